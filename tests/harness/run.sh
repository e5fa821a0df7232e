#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check scripts/vmresults.py against recorded VM outputs: the parser decides
# what passes, so it is tested like the rest.

. "$(dirname "$0")/../../scripts/lib.sh"

stage "harness: result parser against tests/harness/fixtures"
results_reset harness
for dir in "$ROOT"/tests/harness/fixtures/*/; do
	name=$(basename "$dir")
	got=$(mktemp)
	python3 "$ROOT/scripts/vmresults.py" "$dir/results.log" "$dir/console.log" \
		"$got" vm >/dev/null
	if diff <(cut -f1,2 "$got") "$dir/expected.tsv" >"$got.diff"; then
		result harness pass "harness/$name"
	else
		sed 's/^/        /' "$got.diff"
		result harness fail "harness/$name" "parser output differs from expected.tsv"
	fi
	rm -f "$got" "$got.diff"
done
