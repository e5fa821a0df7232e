#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make certs: build the snp-certs VMM library, its CLI and unit tests on the
# host (outside git, in $BUILD/obj/certs), run the unit tests (one result per
# KTAP case) and check the CLI against a generated TEST certificate chain.

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/kernel.sh"

CERTS_SRC=$ROOT/tools/kvm/snp-certs
CERTS_OUT=$BUILD/obj/certs
CERTS_CHAIN=$BUILD/certs
PKGS_CERTS=(gcc make openssl)

# The uapi headers with KVM_EXIT_COCO come from the test kernel's tree;
# install them only when they are missing.
certs_headers() {
	grep -qs KVM_EXIT_COCO "$TEST_OBJ/usr/include/linux/kvm.h" && return 0
	stage "installing the patched uapi headers into $TEST_OBJ/usr/include"
	need_pkgs "${PKGS_BUILD[@]}"
	assemble
	mkdir -p "$TEST_OBJ"
	kmake "$TEST_OBJ" headers >/dev/null
}

build_certs() {
	local log=$BUILD/certs-build.log
	stage "building snp-certs (OUTPUT=$CERTS_OUT)"
	mkdir -p "$CERTS_OUT"
	if ! make -C "$CERTS_SRC" OUTPUT="$CERTS_OUT" CC=gcc \
			KHDR_INCLUDES="-isystem $TEST_OBJ/usr/include" >"$log" 2>&1; then
		grep -E 'error|Error' "$log" | head -20 | sed 's/^/        /' >&2
		result certs fail certs/build "build failed (full log: $log)"
		return 1
	fi
	note "libsnp_certs.a, snp-certs, snp_certs_test in $CERTS_OUT"
}

# certs_ktap LOG STATUS: one result per case of the flat KTAP document in
# LOG; a lost case or a non-zero exit status without a failed case fails.
certs_ktap() {
	local log=$1 status=$2 line plan='' n=0 failed=0 diag='' name directive
	local re='^(not )?ok [0-9]+ ([^#]*[^# ]) *(# *(.*))?$'
	while IFS= read -r line; do
		if [[ $line =~ ^1\.\.([0-9]+)$ ]]; then
			plan=${BASH_REMATCH[1]}
		elif [[ $line =~ $re ]]; then
			n=$((n + 1))
			name=certs/${BASH_REMATCH[2]}
			directive=${BASH_REMATCH[4]}
			if [ -n "${BASH_REMATCH[1]}" ]; then
				failed=$((failed + 1))
				result certs fail "$name" "${diag:-not ok}"
			elif [[ $directive == SKIP* ]]; then
				result certs skip "$name" "${directive#SKIP }"
			else
				result certs pass "$name"
			fi
			diag=''
		elif [[ $line == '# '* ]] && [ -z "$diag" ]; then
			diag=${line#\# }
		fi
	done <"$log"
	if [ -z "$plan" ] || [ "$n" -lt "$plan" ]; then
		result certs fail certs/snp_certs_test "missing results: $n of ${plan:-?} reported"
	elif [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
		result certs fail certs/snp_certs_test "exit status $status"
	fi
}

run_certs_tests() {
	local log=$BUILD/certs-test.log status=0
	stage "unit tests: snp_certs_test (log: $log)"
	SNP_CERTS_TEST_CERTS=$CERTS_CHAIN timeout 300 "$CERTS_OUT/snp_certs_test" \
		>"$log" 2>&1 || status=$?
	certs_ktap "$log" "$status"
}

# certs_cli NAME STATUS COMMAND...: COMMAND must exit with STATUS.
certs_cli() {
	local name=$1 want=$2 status=0 out
	shift 2
	out=$(timeout 30 "$@" 2>&1) || status=$?
	if [ "$status" -eq "$want" ]; then
		result certs pass "certs/cli/$name"
	else
		sed 's/^/        /' <<<"$out" | head -10
		result certs fail "certs/cli/$name" "exit status $status, expected $want"
	fi
}

# The scripts below get $1 = snp-certs, $2 = the chain, $3 = a scratch dir.
run_certs_cli() {
	local c=$CERTS_OUT/snp-certs d=$CERTS_CHAIN t=$CERTS_OUT/cli
	local ark='c0b406a4-a803-4952-9743-3fb6014cd0ae'
	stage "snp-certs CLI on the TEST chain in $d"
	rm -rf "$t"
	mkdir -p "$t"
	certs_cli build-pem 0 sh -c \
		'"$1" build -o "$3/t.bin" ark="$2/ark.pem" ask="$2/ask.pem" vcek="$2/vcek.pem"' \
		sh "$c" "$d" "$t"
	certs_cli build-der-same-bytes 0 sh -c \
		'"$1" build ark="$2/ark.der" ask="$2/ask.der" vcek="$2/vcek.der" >"$3/der.bin" &&
		 cmp "$3/t.bin" "$3/der.bin"' sh "$c" "$d" "$t"
	certs_cli show 0 sh -c \
		'"$1" show "$3/t.bin" >"$3/show.txt" && grep -q "^0 *ARK *$4 *96 " "$3/show.txt"' \
		sh "$c" "$d" "$t" "$ark"
	certs_cli check-truncated 1 sh -c \
		'head -c 200 "$3/t.bin" >"$3/cut.bin" || exit 99; "$1" check "$3/cut.bin"' \
		sh "$c" "$d" "$t"
	certs_cli usage-error 2 "$c" build ark="$d/ark.pem"
	certs_cli lock-exit-status 7 "$c" lock "$t/t.bin" -- sh -c 'exit 7'
	certs_cli lock-nowait-busy 1 "$c" lock "$t/t.bin" -- "$c" lock --nowait "$t/t.bin" -- true
	certs_cli lock-build-in-place 0 "$c" lock "$t/t.bin" -- \
		"$c" build -o "$t/t.bin" ark="$d/ark.der" ask="$d/ask.der" vcek="$d/vcek.der"
}

run_certs() {
	need_pkgs "${PKGS_CERTS[@]}"
	results_reset certs
	certs_headers
	build_certs || return 0
	if ! "$ROOT/scripts/gen-test-certs.sh" "$CERTS_CHAIN"; then
		result certs fail certs/gen-test-certs "openssl failed"
	fi
	run_certs_tests
	run_certs_cli
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	run_certs
	summary "$RESULTS/certs.tsv"
fi
