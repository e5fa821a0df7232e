#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make coverage: line coverage of the project's new .c files under its KUnit
# suites, with the kernel's gcov support, measured in QEMU.

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/kunit.sh"

COV_OBJ=$BUILD/obj/coverage

# Decode the .gcda files the VM printed into the object tree, next to the
# .gcno files the compiler wrote.
extract_gcda() {
	# The serial line ends lines with CR LF.
	awk -v obj="$COV_OBJ" '
		{ sub(/\r$/, "") }
		/^SNPKVM-GCDA-BEGIN / { path = $2; sub(".*" obj, obj, path); out = path ".b64"; printf "" > out; next }
		/^SNPKVM-GCDA-END/ { close(out); print out; out = ""; next }
		out != "" { print >> out }
	' "$1" | while read -r b64; do
		base64 -d "$b64" >"${b64%.b64}"
		rm -f "$b64"
	done
}

run_coverage() {
	local f base out total
	need_pkgs "${PKGS_BUILD[@]}" "${PKGS_QEMU[@]}"
	stage "assembling the source tree"
	assemble
	build_kernel "$COV_OBJ" coverage "$ROOT/configs/test.config" \
		"$ROOT/configs/coverage.config"
	find "$COV_OBJ" -name '*.gcda' -delete
	KERNEL_IMAGE=$COV_OBJ/arch/x86/boot/bzImage run_kunit coverage
	extract_gcda "$VM_RESULTS"

	stage "line coverage (gcov)"
	out=$BUILD/coverage
	rm -rf "$out" && mkdir -p "$out"
	while read -r f; do
		[ -f "$COV_OBJ/${f%.c}.gcda" ] || { note "$f: no counters (not profiled?)"; continue; }
		base=$out/$(basename "$f")
		(cd "$out" && gcov -o "$COV_OBJ/$(dirname "$f")" "$SRC/$f" >"$base.log" 2>&1)
		total=$(grep -A1 "File '$SRC/$f'" "$base.log" | sed -n 's/Lines executed://p')
		note "$f: ${total:-?}"
		grep -n '#####' "$base.gcov" 2>/dev/null |
			sed -E 's/^[0-9]+: *#####: *([0-9]+):/        not run: line \1:/' | head -40
	done < <(cd "$ROOT" && find arch -name '*.c' ! -name '*_test.c' | sort)
	note "annotated sources: $out/*.gcov"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	run_coverage
	summary "$RESULTS/coverage.tsv"
fi
