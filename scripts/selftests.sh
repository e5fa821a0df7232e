#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make selftests: build the project's kselftests and the upstream regression
# subset (statically linked, outside the source tree), boot the test kernel
# in QEMU and run them.

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/kernel.sh"
. "$ROOT/scripts/vm.sh"

SELFTESTS_OUT=$BUILD/obj/selftests

selftest_list() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ROOT/tests/selftests.list"
}

# build_selftest_targets T...: build the given programs (paths relative to
# tools/testing/selftests/kvm) into $SELFTESTS_OUT.
build_selftest_targets() {
	local t targets=() log=$BUILD/selftests-build.log
	kmake "$TEST_OBJ" headers >/dev/null
	mkdir -p "$SELFTESTS_OUT"
	for t in "$@"; do targets+=("$SELFTESTS_OUT/$t"); done
	if ! make -C "$SRC/tools/testing/selftests/kvm" -j"$JOBS" \
			OUTPUT="$SELFTESTS_OUT" CC="ccache gcc" \
			LINUX_HDR_PATH="$TEST_OBJ/usr/include" \
			KHDR_INCLUDES="-isystem $TEST_OBJ/usr/include" \
			USERLDFLAGS=-static "${targets[@]}" >"$log" 2>&1; then
		grep -E 'error|Error' "$log" | head -30 >&2
		die "selftests build failed (full log: $log)"
	fi
}

build_selftests() {
	local t list=()
	stage "building KVM selftests (static, OUTPUT=$SELFTESTS_OUT)"
	while read -r t; do list+=("$t"); done < <(selftest_list)
	build_selftest_targets "${list[@]}"
	note "${#list[@]} test programs built"
}

run_selftests() {
	local initrd=$BUILD/vm/selftests.cpio.gz list bins=() t
	mkdir -p "$BUILD/vm"
	list=$BUILD/vm/selftests.list
	: >"$list"
	while read -r t; do
		basename "$t" >>"$list"
		bins+=("$SELFTESTS_OUT/$t")
	done < <(selftest_list)
	make_initramfs "$initrd" "$list" "${bins[@]}"
	stage "booting the test kernel: selftests ($QEMU_CPU, TCG)"
	boot_vm selftests "$initrd" "snpkvm.mode=selftests kvm_amd.snp_emulation=1 ${SNPKVM_CMDLINE:-} kunit.enable=0"
	results_reset selftests
	python3 "$ROOT/scripts/vmresults.py" "$VM_RESULTS" "$VM_CONSOLE" \
		"$RESULTS/selftests.tsv" selftests
	note "console: $VM_CONSOLE"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	need_pkgs "${PKGS_BUILD[@]}" "${PKGS_QEMU[@]}"
	build_test_kernel
	build_selftests
	run_selftests
	summary "$RESULTS/selftests.tsv"
fi
