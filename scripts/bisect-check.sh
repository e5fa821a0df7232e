#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bisect-check: check that every step of the series builds and is clean.
#
# Exports the series (scripts/patches.sh, which leaves one commit per patch
# in $BUILD/series-git), then checks out the base and each commit in turn
# and, at each step:
#   - builds arch/x86/kvm/ with configs/lint.config (KVM=m KVM_AMD=m
#     KVM_INTEL=m KVM_WERROR=y) W=1 C=2: the build must succeed, with no gcc
#     and no sparse warning that the base does not have;
#   - checks that no new symbol of the kvm modules is left unresolved
#     (used from another module without an export, or not exported at all);
#   - runs the uapi header test (CONFIG_UAPI_HEADER_TEST: headers_install
#     and a compile of every uapi header);
#   - runs checkpatch --strict on the exported patch: no error, warning or
#     check (FILE_PATH_CHANGES is accepted only if get_maintainer.pl finds
#     an existing MAINTAINERS section for every added file);
#   - builds the KVM selftests that the patch adds or changes, if any;
#   - checks that the build left the source tree clean.
# After the last step it also builds arch/x86/kvm/ with configs/test.config
# (KVM_AMD=y, KUnit, KASAN), with clang (LLVM=1, KVM_WERROR=y) and with
# configs/feature-off.config on top of lint.config (KVM_WERROR=y, W=1 C=2).
#
# One object directory per configuration ($BUILD/obj/bisect-*), reused
# across steps and runs, and ccache.  Objects under arch/x86/kvm/ and
# virt/kvm/ are deleted before each build so that every compiler warning
# is seen (ccache replays the warnings of cached compiles).

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/patches.sh"
. "$ROOT/scripts/kbuild.sh"

BISECT=$BUILD/bisect
CLANG_ARGS=(LLVM=1 "CC=ccache clang" "HOSTCC=ccache clang")
FAILED=0
TIMES=()

# Strip tree prefixes and line numbers so that warnings compare across steps.
bisect_normalize() {
	local re
	re="$SERIES_GIT|$BISECT_OBJ|$(realpath -m "$SERIES_GIT")|$(realpath -m "$BISECT_OBJ")"
	sed -E -e "s#^($re)/##" -e 's#^\.\./##' \
	       -e 's#:[0-9]+:[0-9]+:#:#' -e 's#:[0-9]+:#:#' | sort
}

# bisect_build NAME OBJ FRAGMENTS... -- MAKE-ARGS...: configure OBJ for the
# checked-out step and build arch/x86/kvm/; leave $BISECT/NAME.{log,gcc,
# sparse} (gcc: warnings with a -W option, sparse: the other diagnostics).
bisect_build() {
	local name=$1 obj=$2 frags=() rc=0
	shift 2
	while [ "$1" != -- ]; do frags+=("$1"); shift; done
	shift
	BISECT_OBJ=$obj
	rm -f "$obj/.config.stamp"
	SRC=$SERIES_GIT kconfig "$obj" "${frags[@]}"
	SRC=$SERIES_GIT kmake "$obj" prepare >"$BISECT/$name.log" 2>&1 || rc=$?
	if [ $rc -eq 0 ]; then
		rm -rf "$obj/arch/x86/kvm" "$obj/virt/kvm"
		SRC=$SERIES_GIT kmake "$obj" -k "$@" arch/x86/kvm/ >"$BISECT/$name.log" 2>&1 || rc=$?
	fi
	grep -E ': (warning|error):' "$BISECT/$name.log" | bisect_normalize >"$BISECT/$name.all" || true
	grep -E '\[-W[^]]*\]$' "$BISECT/$name.all" >"$BISECT/$name.gcc" || true
	grep -vE '\[-W[^]]*\]$' "$BISECT/$name.all" >"$BISECT/$name.sparse" || true
	return $rc
}

# Symbols that the kvm modules leave unresolved after linking against each
# other: "<module> <symbol>", for the module objects of arch/x86/kvm/.
bisect_unresolved() {
	local obj=$1 mods=() m
	for m in $(sed -n 's#^\(arch/x86/kvm/.*\.o\)$#\1#p' "$obj/arch/x86/kvm/modules.order" 2>/dev/null); do
		mods+=("$obj/$m")
	done
	[ ${#mods[@]} -gt 0 ] || return 0
	for m in "${mods[@]}"; do
		nm "$m" | sed -n 's/.* __export_symbol_/E /p'
		nm -u "$m" | awk -v m="${m##*/}" '{print "U " m " " $2}'
	done | awk '$1 == "E" { e[$2] = 1; next } !($3 in e) { print $2 " " $3 }' | sort -u
}

# Whether the tree exports $1, also through the macros that export the
# symbols generated for tracepoints and static calls.
tree_exports() {
	local sym=$1 re
	case $sym in
	__SCK__tp_func_*|__SCT__tp_func_*|__tracepoint_*|__traceiter_*)
		sym=${sym#__SC[KT]__tp_func_}
		sym=${sym#__tracepoint_}
		sym=${sym#__traceiter_}
		re="EXPORT_TRACEPOINT_SYMBOL(_GPL)?\\([[:space:]]*$sym[[:space:])]" ;;
	__SCK__*|__SCT__*)
		sym=${sym#__SC[KT]__}
		re="EXPORT_STATIC_CALL(_TRAMP)?(_GPL)?\\([[:space:]]*$sym[[:space:])]" ;;
	*)
		re="EXPORT_SYMBOL(_GPL)?(_NS(_GPL)?)?\\([[:space:]]*$sym[[:space:],)]" ;;
	esac
	git -C "$SERIES_GIT" grep -qE "$re" -- '*.c' '*.S' '*.h'
}

# New unresolved symbols must be exported by the kernel proper.
bisect_link_check() {
	local obj=$1 base=$2 m sym bad=()
	while read -r m sym; do
		tree_exports "$sym" || bad+=("$m: $sym")
	done < <(awk 'NR == FNR { b[$2] = 1; next } !($2 in b)' "$base" <(bisect_unresolved "$obj"))
	[ ${#bad[@]} -eq 0 ] && return 0
	printf '%s\n' "${bad[@]}"
	return 1
}

bisect_checkpatch() {
	local patch=$1 out f sects uncovered=()
	local cp=("$SERIES_GIT/scripts/checkpatch.pl" --strict --show-types --quiet --root="$SERIES_GIT")
	out=$("${cp[@]}" "$patch" 2>&1) || true
	if grep -q '^WARNING:FILE_PATH_CHANGES:' <<<"$out"; then
		while read -r f; do
			sects=$(cd "$SERIES_GIT" && perl scripts/get_maintainer.pl --no-git \
				--no-git-fallback --sections -f "$f" 2>/dev/null |
				grep -vE '^([A-Z]:|[[:space:]]|$)' | grep -vx 'THE REST' || true)
			[ -n "$sects" ] || uncovered+=("$f")
		done < <(sed -n 's/^ create mode [0-7]* //p' "$patch")
		[ ${#uncovered[@]} -eq 0 ] &&
			out=$("${cp[@]}" --ignore FILE_PATH_CHANGES "$patch" 2>&1) || true
	fi
	if grep -qE '^(ERROR|WARNING|CHECK):' <<<"$out"; then
		grep -E '^(ERROR|WARNING|CHECK):|^#[0-9]+:|^\+' <<<"$out" | head -30
		[ ${#uncovered[@]} -eq 0 ] ||
			echo "not covered by a MAINTAINERS section: ${uncovered[*]}"
		return 1
	fi
}

# Build the selftests that the patch adds or changes, against the step's
# installed headers.
bisect_selftests() {
	local patch=$1 obj=$2 out=$BISECT/selftests t targets=() mk
	mk=$SERIES_GIT/tools/testing/selftests/kvm/Makefile
	grep -q '^+++ b/tools/testing/selftests/kvm/' "$patch" || return 0
	while read -r t; do
		grep -qE "^TEST_GEN_PROGS_x86_64 \+= $t\$" "$mk" && targets+=("$out/$t")
	done < <({
		sed -n 's/^+TEST_GEN_PROGS_x86_64 += //p' "$patch"
		sed -n 's#^+++ b/tools/testing/selftests/kvm/\(x86_64/.*\)\.c$#\1#p' "$patch"
	} | sort -u)
	if [ ${#targets[@]} -eq 0 ]; then
		# Library changes only: build the tests that make selftests runs.
		while read -r t; do
			grep -qE "^TEST_GEN_PROGS_x86_64 \+= $t\$" "$mk" && targets+=("$out/$t")
		done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ROOT/tests/selftests.list")
	fi
	SELFTESTS_BUILT="${targets[*]##*/}"
	SRC=$SERIES_GIT kmake "$obj" headers >"$BISECT/selftests.log" 2>&1 || return 1
	mkdir -p "$out"
	make -C "$SERIES_GIT/tools/testing/selftests/kvm" -j"$JOBS" OUTPUT="$out" \
		CC="ccache gcc" LINUX_HDR_PATH="$obj/usr/include" \
		KHDR_INCLUDES="-isystem $obj/usr/include" "${targets[@]}" \
		>>"$BISECT/selftests.log" 2>&1 || return 1
	! grep -E ': warning:' "$BISECT/selftests.log"
}

# One line per step: status, step, seconds, what was checked, subject.
step_line() {
	local status=$1 step=$2 secs=$3 what=$4 subject=$5
	printf '    %-7s %-6s %4d s  %-44s %s\n' "$status" "$step" "$secs" "$what" "$subject"
	printf '%s\t%s\t%s\n' "$([ "$status" = ok ] && echo pass || echo fail)" \
		"bisect $step $subject" "$what" >>"$RESULTS/bisect.tsv"
	TIMES+=("$(printf '%-6s %4d s  %s' "$step" "$secs" "$subject")")
	[ "$status" = ok ] || FAILED=$((FAILED + 1))
}

fail_detail() {
	sed 's/^/            /' | head -"${2:-20}"
	[ -z "${1:-}" ] || echo "            (full log: $1)"
}

# What broke a build: the diagnostics that the base does not have (all of
# them for configurations without a base reference), else the log's end.
build_failure() {
	local name=$1 log=$BISECT/$1.log
	if [ -n "${NEW_GCC:-}${NEW_SPARSE:-}" ]; then
		printf '%s\n' "$NEW_GCC" "$NEW_SPARSE" | sed '/^$/d' | fail_detail "$log"
	elif [ -s "$BISECT/$name.all" ] && [ "${2:-}" = all ]; then
		sort -u "$BISECT/$name.all" | fail_detail "$log"
	else
		grep -vE '^make(\[[0-9]+\])?: ' "$log" | tail -10 | fail_detail "$log"
	fi
}

# The base: reference warnings and unresolved symbols, kept per base version
# and compiler.
bisect_base() {
	local t0=$SECONDS key obj=$BUILD/obj/bisect-lint
	key=$( { cat "$ROOT/configs/lint.config"; gcc --version | head -1; sparse --version; } |
	       sha1sum | cut -c1-12)
	BASE_REF=$BISECT/base-$BASE_DEBVER-$key
	if [ -f "$BASE_REF.done" ]; then
		step_line ok "0/$N" 0 "reference (cached): gcc $(wc -l <"$BASE_REF.gcc"), sparse $(wc -l <"$BASE_REF.sparse")" "base $BASE_VERSION"
		return 0
	fi
	sgit checkout -q -f --detach base
	if ! bisect_build base "$obj" "$ROOT/configs/lint.config" -- W=1 C=2; then
		step_line FAIL "0/$N" $((SECONDS - t0)) "the base does not build" "base $BASE_VERSION"
		grep -E 'error|Error' "$BISECT/base.log" | fail_detail "$BISECT/base.log"
		die "cannot check the series without a building base"
	fi
	cp "$BISECT/base.gcc" "$BASE_REF.gcc"
	cp "$BISECT/base.sparse" "$BASE_REF.sparse"
	bisect_unresolved "$obj" >"$BASE_REF.unresolved"
	touch "$BASE_REF.done"
	step_line ok "0/$N" $((SECONDS - t0)) "reference: gcc $(wc -l <"$BASE_REF.gcc"), sparse $(wc -l <"$BASE_REF.sparse")" "base $BASE_VERSION"
}

# Compare a W=1 C=2 build with the base; print what is new.
bisect_new_warnings() {
	local name=$1
	NEW_GCC=$(comm -13 "$BASE_REF.gcc" "$BISECT/$name.gcc")
	NEW_SPARSE=$(comm -13 "$BASE_REF.sparse" "$BISECT/$name.sparse")
	[ -z "$NEW_GCC$NEW_SPARSE" ]
}

bisect_step() {
	local i=$1 commit=$2 patch=$3 t0=$SECONDS subject obj=$BUILD/obj/bisect-lint
	local fails=() what out
	subject=$(sgit log -1 --format=%s "$commit")
	sgit checkout -q -f --detach "$commit"

	: >"$BISECT/detail"
	if ! bisect_build "step$i" "$obj" "$ROOT/configs/lint.config" -- W=1 C=2; then
		fails+=("build")
		bisect_new_warnings "step$i" || true
		build_failure "step$i" >"$BISECT/detail"
	elif ! bisect_new_warnings "step$i"; then
		fails+=("new warnings")
		printf '%s\n' "$NEW_GCC" "$NEW_SPARSE" | sed '/^$/d' | fail_detail "$BISECT/step$i.log" >"$BISECT/detail"
	elif ! out=$(bisect_link_check "$obj" "$BASE_REF.unresolved"); then
		fails+=("unresolved symbols")
		fail_detail <<<"$out" >"$BISECT/detail"
	fi
	if ! SRC=$SERIES_GIT kmake "$obj" usr/ >"$BISECT/uapi$i.log" 2>&1 ||
	   grep -qE ': (warning|error):' "$BISECT/uapi$i.log"; then
		fails+=("uapi header test")
		grep -E ': (warning|error):|Error' "$BISECT/uapi$i.log" | fail_detail "$BISECT/uapi$i.log" >>"$BISECT/detail"
	fi
	if ! out=$(bisect_checkpatch "$patch"); then
		fails+=("checkpatch")
		fail_detail "" 30 <<<"$out" >>"$BISECT/detail"
	fi
	SELFTESTS_BUILT=
	if ! bisect_selftests "$patch" "$obj" >>"$BISECT/detail"; then
		fails+=("selftests build")
		grep -E 'error|warning' "$BISECT/selftests.log" | fail_detail "$BISECT/selftests.log" >>"$BISECT/detail"
	fi
	if [ -n "$(sgit status --porcelain --untracked-files=all | head -5)" ]; then
		fails+=("source tree modified by the build")
		sgit status --porcelain --untracked-files=all | fail_detail >>"$BISECT/detail"
	fi

	what="W=1 +0, sparse +0, link, uapi, checkpatch${SELFTESTS_BUILT:+, selftests}"
	if [ ${#fails[@]} -eq 0 ]; then
		step_line ok "$i/$N" $((SECONDS - t0)) "$what" "$subject"
	else
		step_line FAIL "$i/$N" $((SECONDS - t0)) "$(IFS=,; echo "${fails[*]}" | sed 's/,/, /g')" "$subject"
		cat "$BISECT/detail"
	fi
}

# Extra configurations, on the last step.
bisect_extra() {
	local name=$1 label=$2 t0=$SECONDS obj=$BUILD/obj/bisect-$1 what
	shift 2
	local frags=()
	while [ "$1" != -- ]; do frags+=("$1"); shift; done
	shift
	NEW_GCC= NEW_SPARSE=
	if ! bisect_build "$name" "$obj" "${frags[@]}" -- "$@"; then
		step_line FAIL "$N/$N+" $((SECONDS - t0)) "build" "$label"
		case " $* " in *" W=1 "*) bisect_new_warnings "$name" || true ;; esac
		build_failure "$name" all
		return 0
	fi
	case " $* " in
	*" W=1 "*)
		what="W=1 +0, sparse +0, link"
		if ! bisect_new_warnings "$name"; then
			step_line FAIL "$N/$N+" $((SECONDS - t0)) "new warnings" "$label"
			printf '%s\n' "$NEW_GCC" "$NEW_SPARSE" | sed '/^$/d' | fail_detail "$BISECT/$name.log"
			return 0
		fi
		if ! out=$(bisect_link_check "$obj" "$BASE_REF.unresolved"); then
			step_line FAIL "$N/$N+" $((SECONDS - t0)) "unresolved symbols" "$label"
			fail_detail <<<"$out"
			return 0
		fi ;;
	*)
		what="builds, no warnings"
		if [ -s "$BISECT/$name.all" ]; then
			step_line FAIL "$N/$N+" $((SECONDS - t0)) "$(wc -l <"$BISECT/$name.all") warnings" "$label"
			fail_detail "$BISECT/$name.log" <"$BISECT/$name.all"
			return 0
		fi ;;
	esac
	step_line ok "$N/$N+" $((SECONDS - t0)) "$what" "$label"
}

run_bisect_check() {
	local t0=$SECONDS i commits
	need_pkgs "${PKGS_BUILD[@]}" sparse clang lld llvm
	run_patches
	mkdir -p "$BISECT"
	results_reset bisect
	mapfile -t commits < <(sgit rev-list --reverse base..series)
	N=${#commits[@]}
	stage "bisect-check: base and $N steps, arch/x86/kvm/ in $BUILD/obj/bisect-*"
	printf '    %-7s %-6s %6s  %-44s %s\n' status step time checks patch
	bisect_base
	for i in $(seq 1 "$N"); do
		bisect_step "$i" "${commits[$((i - 1))]}" "${EXPORTED[$i]}"
	done
	bisect_extra test "KVM_AMD=y, configs/test.config (KUnit, KASAN)" \
		"$ROOT/configs/test.config" --
	KMAKE_ARGS=("${CLANG_ARGS[@]}")
	bisect_extra clang "clang $(clang -dumpversion), LLVM=1, KVM_WERROR=y" \
		"$ROOT/configs/lint.config" --
	KMAKE_ARGS=()
	bisect_extra feature-off "feature off: $(grep -E '^CONFIG_|^# CONFIG_.* is not set' \
			"$ROOT/configs/feature-off.config" |
			sed 's/^# \(CONFIG_[A-Z0-9_]*\) is not set/\1=n/' | paste -sd' '), W=1 C=2" \
		"$ROOT/configs/lint.config" "$ROOT/configs/feature-off.config" -- W=1 C=2
	sgit checkout -q -f series

	stage "timings"
	printf '    %s\n' "${TIMES[@]}"
	note "total $((SECONDS - t0)) s (including make patches)"
	stage "summary"
	if [ $FAILED -eq 0 ]; then
		echo "bisect-check: all $N steps and the extra builds are clean"
	else
		echo "bisect-check: $FAILED checks failed"
	fi
	summary "$RESULTS/bisect.tsv"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	run_bisect_check
fi
