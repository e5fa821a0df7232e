#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make kunit: boot the test kernel in QEMU and run the project's KUnit suites.

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/kernel.sh"
. "$ROOT/scripts/vm.sh"

# The project's suites are named kvm_snp_*.
KUNIT_FILTER=${KUNIT_FILTER:-kvm_snp*}

# run_kunit [NAME]: boot $KERNEL_IMAGE and run the KUnit suites; logs and
# results are named NAME (default kunit).
run_kunit() {
	local name=${1:-kunit} initrd
	initrd=$BUILD/vm/$name.cpio.gz
	mkdir -p "$BUILD/vm"
	: >"$BUILD/vm/$name.list"
	make_initramfs "$initrd" "$BUILD/vm/$name.list"
	stage "booting the $name kernel: KUnit suites '$KUNIT_FILTER'"
	boot_vm "$name" "$initrd" "snpkvm.mode=kunit ${SNPKVM_CMDLINE:-} kunit.filter_glob=$KUNIT_FILTER"
	results_reset "$name"
	python3 "$ROOT/scripts/vmresults.py" "$VM_RESULTS" "$VM_CONSOLE" \
		"$RESULTS/$name.tsv" "$name"
	note "console: $VM_CONSOLE"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	need_pkgs "${PKGS_BUILD[@]}" "${PKGS_QEMU[@]}"
	build_test_kernel
	run_kunit
	summary "$RESULTS/kunit.tsv"
fi
