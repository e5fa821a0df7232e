#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: everything that runs on this machine.  The last line is
# "N passed, N failed[, N skipped]"; the exit status is non-zero when
# anything failed.

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/selftests.sh"
. "$ROOT/scripts/kunit.sh"
. "$ROOT/scripts/lint.sh"
. "$ROOT/scripts/patches.sh"

timed() {
	local t0=$SECONDS name=$1
	shift
	"$@"
	TIMINGS+=("$(printf '%-10s %4d s' "$name" $((SECONDS - t0)))")
}

TIMINGS=()
rm -f "$RESULTS"/*.tsv
need_pkgs "${PKGS_BUILD[@]}" "${PKGS_QEMU[@]}" sparse
timed harness "$ROOT/tests/harness/run.sh"
timed kernel build_test_kernel
timed kunit run_kunit
timed selftests eval 'build_selftests && run_selftests'
timed lint run_lint
timed patches run_patches

stage "timings"
printf '    %s\n' "${TIMINGS[@]}"
stage "summary"
summary "$RESULTS"/*.tsv
