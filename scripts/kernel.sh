#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make kernel: the patched test kernel (bzImage).

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/assemble.sh"
. "$ROOT/scripts/kbuild.sh"

TEST_OBJ=$BUILD/obj/test
KERNEL_IMAGE=$TEST_OBJ/arch/x86/boot/bzImage

build_test_kernel() {
	local t0=$SECONDS
	need_pkgs "${PKGS_BUILD[@]}"
	stage "assembling the source tree"
	assemble
	stage "configuring the test kernel (configs/test.config)"
	kconfig "$TEST_OBJ" "$ROOT/configs/test.config"
	stage "building the test kernel"
	if ! kmake "$TEST_OBJ" bzImage >"$BUILD/kernel-build.log" 2>&1; then
		grep -E 'error|Error' "$BUILD/kernel-build.log" | head -40 >&2
		die "kernel build failed (full log: $BUILD/kernel-build.log)"
	fi
	grep -i 'warning:' "$BUILD/kernel-build.log" | sed 's/^/    /' | head -20 || true
	note "kernel: $KERNEL_IMAGE"
	note "base version: Linux $BASE_VERSION ($BASE_PKG $BASE_DEBVER)"
	note "built in $((SECONDS - t0)) s"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	build_test_kernel
fi
