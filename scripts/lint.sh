#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make lint: checkpatch --strict on the project's patches and new files,
# sparse (C=2) and W=1 on arch/x86/kvm/ in a production-like configuration
# (KVM_AMD=m KVM_INTEL=m KVM_WERROR=y), the uapi header test, and a docs
# build of Documentation/virt when rst changed.  Compiler, sparse and docs
# warnings are compared against the unpatched base: only new ones fail.

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/assemble.sh"
. "$ROOT/scripts/kbuild.sh"

LINT_OBJ=$BUILD/obj/lint
LINT_BASE_OBJ=$BUILD/obj/lint-base

# Strip tree prefixes and line numbers so warnings compare across trees.
# make reports physical paths, so strip those too (the base may be reached
# through a symlink).
normalize_warnings() {
	local d re=
	for d in "$SRC" "$BASE_DIR" "$LINT_OBJ" "$LINT_BASE_OBJ"; do
		re+="${re:+|}$d|$(realpath -m "$d")"
	done
	sed -E -e "s#^($re)/##" -e 's#^\.\./##' \
	       -e 's#:[0-9]+:[0-9]+:#:#' -e 's#:[0-9]+:#:#' | sort
}

lint_checkpatch() {
	local f out tot
	stage "checkpatch --strict"
	while read -r f; do
		out=$("$SRC/scripts/checkpatch.pl" --strict --root="$SRC" \
			--quiet --show-types "$ROOT/patches/$f" 2>&1) || true
		report_checkpatch "patches/$f" "$out"
	done < <(series)
	while IFS=$'\t' read -r f _; do
		case $f in *.c|*.h|Kbuild|Kconfig|*.rst|*.sh|*.py|*.S) ;; *) continue ;; esac
		out=$("$SRC/scripts/checkpatch.pl" --strict --no-tree -f --quiet --show-types \
			"$ROOT/$f" 2>&1) || true
		report_checkpatch "$f" "$out"
	done < <(overlay_files)
}

report_checkpatch() {
	local name=$1 out=$2 tot
	tot=$(grep -E '^total: ' <<<"$out" || true)
	if grep -qE '^(ERROR|WARNING|CHECK):' <<<"$out"; then
		grep -E '^(ERROR|WARNING|CHECK):|^#[0-9]+:' <<<"$out" | sed 's/^/        /' | head -30
		result lint fail "checkpatch $name" "${tot:-see above}"
	else
		result lint pass "checkpatch $name"
	fi
}

# Build arch/x86/kvm/ with W=1 C=2 and keep the warnings.
kvm_warnings() {
	local src=$1 obj=$2 out=$3 rc=0
	SRC=$src kconfig "$obj" "$ROOT/configs/lint.config"
	SRC=$src kmake "$obj" prepare >/dev/null 2>&1
	# C=2 re-checks every file, so the list is complete on warm runs too.
	SRC=$src kmake "$obj" -k W=1 C=2 arch/x86/kvm/ >"$out.log" 2>&1 || rc=$?
	grep -E ': (warning|error):' "$out.log" | normalize_warnings >"$out" || true
	return $rc
}

lint_kvm_build() {
	local cur=$BUILD/lint-kvm.warnings base=$BUILD/lint-kvm-base-$BASE_DEBVER.warnings rc=0 new
	stage "W=1 C=2 build of arch/x86/kvm/ (KVM_AMD=m KVM_INTEL=m KVM_WERROR=y)"
	if [ ! -f "$base" ]; then
		note "baseline: the unpatched base, once"
		kvm_warnings "$BASE_DIR" "$LINT_BASE_OBJ" "$base.tmp" || true
		mv "$base.tmp" "$base"
	fi
	kvm_warnings "$SRC" "$LINT_OBJ" "$cur" || rc=$?
	new=$(comm -13 "$base" "$cur")
	note "$(wc -l <"$base") warnings in the base, $(wc -l <"$cur") with the project"
	if [ -n "$new" ]; then
		sed 's/^/        /' <<<"$new"
		result lint fail "W=1 C=2 arch/x86/kvm/" "$(wc -l <<<"$new") new warnings"
	elif [ $rc -ne 0 ]; then
		grep -E 'error|Error' "$cur.log" | head -20 | sed 's/^/        /'
		result lint fail "W=1 C=2 arch/x86/kvm/" "build failed: $cur.log"
	else
		result lint pass "W=1 C=2 arch/x86/kvm/"
	fi
}

# The production configuration must carry none of the test-only emulation:
# neither the option nor a symbol of its code in the KVM objects.
lint_no_emulation() {
	local name="production config: no emulated SNP platform" objs syms
	if grep -q '^CONFIG_KVM_AMD_SNP_EMULATION=y' "$LINT_OBJ/.config"; then
		result lint fail "$name" "CONFIG_KVM_AMD_SNP_EMULATION=y in $LINT_OBJ/.config"
		return
	fi
	objs=$(find "$LINT_OBJ/arch/x86/kvm" -name '*.o' ! -name '*.mod.o')
	if [ -z "$objs" ]; then
		result lint fail "$name" "no objects under $LINT_OBJ/arch/x86/kvm"
		return
	fi
	syms=$(nm $objs 2>/dev/null | grep -E ' snp_emul|kvm_snp_emul|KVM_SNP_EMUL' || true)
	if [ -n "$syms" ]; then
		sed 's/^/        /' <<<"$syms" | head -10
		result lint fail "$name" "emulation symbols in the KVM objects"
	else
		note "$(wc -w <<<"$objs") objects, no snp_emul symbols"
		result lint pass "$name"
	fi
}

lint_uapi() {
	local log=$BUILD/lint-uapi.log
	stage "uapi header test (CONFIG_UAPI_HEADER_TEST)"
	if kmake "$LINT_OBJ" usr/ >"$log" 2>&1 && ! grep -qE ': (warning|error):' "$log"; then
		result lint pass "uapi header test"
	else
		grep -E ': (warning|error):|Error' "$log" | head -20 | sed 's/^/        /'
		result lint fail "uapi header test" "$log"
	fi
}

docs_warnings() {
	local src=$1 obj=$2 out=$3
	mkdir -p "$obj"
	make -C "$src" O="$obj" SPHINXDIRS=virt htmldocs >"$out.log" 2>&1 || true
	grep -E 'WARNING|ERROR' "$out.log" | normalize_warnings >"$out" || true
}

lint_docs() {
	local cur=$BUILD/lint-docs.warnings base=$BUILD/lint-docs-base-$BASE_DEBVER.warnings new
	if ! grep -qE '^Documentation/.*\.rst$' "$BUILD/src.touched"; then
		result lint skip "docs build of Documentation/virt" "no rst changed"
		return 0
	fi
	stage "docs build of Documentation/virt"
	need_pkgs "${PKGS_LINT[@]}"
	if [ ! -f "$base" ]; then
		note "baseline: the unpatched base, once"
		docs_warnings "$BASE_DIR" "$BUILD/obj/docs-base" "$base.tmp"
		mv "$base.tmp" "$base"
	fi
	docs_warnings "$SRC" "$BUILD/obj/docs" "$cur"
	new=$(comm -13 "$base" "$cur")
	if [ -n "$new" ]; then
		sed 's/^/        /' <<<"$new"
		result lint fail "docs build of Documentation/virt" "$(wc -l <<<"$new") new warnings"
	else
		result lint pass "docs build of Documentation/virt"
	fi
}

run_lint() {
	need_pkgs "${PKGS_BUILD[@]}" sparse
	stage "assembling the source tree"
	assemble
	results_reset lint
	lint_checkpatch
	lint_kvm_build
	lint_no_emulation
	lint_uapi
	lint_docs
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	run_lint
	summary "$RESULTS/lint.tsv"
fi
