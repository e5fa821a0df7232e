#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make kernel: the patched test kernel (bzImage).

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/assemble.sh"
. "$ROOT/scripts/kbuild.sh"

TEST_OBJ=$BUILD/obj/test
KERNEL_IMAGE=$TEST_OBJ/arch/x86/boot/bzImage

# build_kernel OBJ NAME FRAGMENT...: configure OBJ from the fragments and
# build its bzImage; the log goes to $BUILD/NAME-build.log.
build_kernel() {
	local obj=$1 name=$2 log=$BUILD/$2-build.log
	shift 2
	stage "configuring the $name kernel (${*##*/})"
	kconfig "$obj" "$@"
	stage "building the $name kernel"
	if ! kmake "$obj" bzImage >"$log" 2>&1; then
		grep -E 'error|Error' "$log" | head -40 >&2
		die "$name kernel build failed (full log: $log)"
	fi
	grep -i 'warning:' "$log" | sed 's/^/    /' | head -20 || true
}

build_test_kernel() {
	local t0=$SECONDS
	need_pkgs "${PKGS_BUILD[@]}"
	stage "assembling the source tree"
	assemble
	build_kernel "$TEST_OBJ" test "$ROOT/configs/test.config"
	note "kernel: $KERNEL_IMAGE"
	note "base version: Linux $BASE_VERSION ($BASE_PKG $BASE_DEBVER)"
	note "built in $((SECONDS - t0)) s"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	build_test_kernel
fi
