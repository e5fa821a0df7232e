#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make run: build the patched kernel, boot it in QEMU and run one SNP
# attestation end to end on the emulated SNP platform: a guest asks for a
# report with certificates, a demo VMM serves the certificate table built
# from a certificate chain, and the transcript shows each step.
#
# SNPKVM_CERTS=DIR takes ark.pem, ask.pem and vcek.pem (or vlek.pem) from
# DIR instead of the TEST chain generated with openssl.

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/kernel.sh"
. "$ROOT/scripts/vm.sh"
. "$ROOT/scripts/selftests.sh"
. "$ROOT/scripts/certs.sh"

DEMO=x86_64/snp_emul_demo

# certs_table DIR OUT: the certificate table of the chain in DIR.
certs_table() {
	local dir=$1 out=$2 leaf=vcek
	[ -s "$dir/vcek.pem" ] || [ -s "$dir/vcek.der" ] || leaf=vlek
	local args=() n f
	for n in ark ask $leaf; do
		f=$dir/$n.pem
		[ -s "$f" ] || f=$dir/$n.der
		[ -s "$f" ] || die "$dir has no $n.pem or $n.der"
		args+=("$n=$f")
	done
	"$CERTS_OUT/snp-certs" build -o "$out" "${args[@]}" ||
		die "snp-certs build failed for the chain in $dir"
	"$CERTS_OUT/snp-certs" show "$out" | sed 's/^/    /'
}

need_pkgs "${PKGS_BUILD[@]}" "${PKGS_QEMU[@]}" "${PKGS_CERTS[@]}"
build_test_kernel
stage "building the demo VMM ($DEMO) and snp-certs"
build_selftest_targets "$DEMO"
certs_headers
build_certs || die "snp-certs build failed"

certs_dir=${SNPKVM_CERTS:-$BUILD/certs}
if [ -z "${SNPKVM_CERTS:-}" ]; then
	"$ROOT/scripts/gen-test-certs.sh" "$certs_dir" | sed 's/^/    /'
fi
stage "certificate table from $certs_dir"
mkdir -p "$BUILD/vm"
certs_table "$certs_dir" "$BUILD/vm/certs.bin"

initrd=$BUILD/vm/run.cpio.gz
: >"$BUILD/vm/run.list"
make_initramfs "$initrd" "$BUILD/vm/run.list" "$SELFTESTS_OUT/$DEMO"
# The demo script goes into the initramfs as /tests/run, the table next to it.
tmp=$(mktemp -d)
(cd "$tmp" && mkdir tests && cp "$ROOT/tests/vm/run-demo" tests/run &&
 cp "$BUILD/vm/certs.bin" tests/certs.bin &&
 find tests | cpio -o -H newc --quiet | gzip -1) >>"$initrd"
rm -rf "$tmp"

stage "booting the patched kernel in QEMU ($QEMU_CPU, TCG) with the emulated SNP platform"
VM_TIMEOUT=${VM_TIMEOUT:-600} boot_vm run "$initrd" \
	"snpkvm.mode=run kvm_amd.snp_emulation=1 kunit.enable=0"
sed -e '/^SNPKVM-/d' -e 's/^/    /' "$VM_RESULTS"
grep -q '^SNPKVM-RUN-OK' "$VM_RESULTS" ||
	die "the demo failed (transcript above, console: $VM_CONSOLE)"
stage "done: one attestation through the patched kernel (console log: $VM_CONSOLE)"
