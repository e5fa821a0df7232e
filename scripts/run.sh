#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make run: build the patched kernel, boot it in QEMU and show that kvm_amd
# came up with the extension.

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/kernel.sh"
. "$ROOT/scripts/vm.sh"

need_pkgs "${PKGS_BUILD[@]}" "${PKGS_QEMU[@]}"
build_test_kernel
initrd=$BUILD/vm/run.cpio.gz
mkdir -p "$BUILD/vm"
: >"$BUILD/vm/run.list"
make_initramfs "$initrd" "$BUILD/vm/run.list"
# The demo goes into the initramfs as /tests/run.
tmp=$(mktemp -d)
(cd "$tmp" && mkdir tests && cp "$ROOT/tests/vm/run-demo" tests/run &&
 find tests | cpio -o -H newc --quiet | gzip -1) >>"$initrd"
rm -rf "$tmp"
stage "booting the patched kernel in QEMU ($QEMU_CPU, TCG)"
VM_TIMEOUT=${VM_TIMEOUT:-600} boot_vm run "$initrd" "snpkvm.mode=run kunit.enable=0"
sed -e '/^SNPKVM-/d' -e 's/^/    /' "$VM_RESULTS"
grep -q '^SNPKVM-RUN-OK' "$VM_RESULTS" || die "the VM did not show kvm_amd with the extension (console: $VM_CONSOLE)"
stage "done: kvm_amd is up in the patched kernel (console log: $VM_CONSOLE)"
