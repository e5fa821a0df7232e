#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make patches: export the series described by patches/series as
# git format-patch output with a cover letter, into $SNPKVM_PATCHES_DIR
# (default $BUILD/patches, outside git), and check that git am of the export
# onto the base reproduces the tree that make kernel builds.
#
# The export goes through a git repository of the kernel tree,
# $BUILD/series-git: a commit "base" (tag base) of the pristine base, then one
# commit per patch on branch "series" (its overlay files plus its diff, with
# the patch header as author and message).  scripts/bisect-check.sh builds
# those commits.  Dates are fixed (the project's HEAD commit date), so the
# same repository content always gives the same commits.

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/assemble.sh"

PATCHES_OUT=${SNPKVM_PATCHES_DIR:-$BUILD/patches}
SERIES_GIT=$BUILD/series-git
# Extra git format-patch arguments, e.g. "-v2" or "--rfc".
FORMAT_PATCH_ARGS=${SNPKVM_FORMAT_PATCH_ARGS:-}
FILENAME_MAX=100

sgit() {
	git -C "$SERIES_GIT" -c core.autocrlf=false -c core.safecrlf=false "$@"
}

# Fixed identity and dates for the commits that the scripts make.
series_dates() {
	local date
	date=$(git -C "$ROOT" log -1 --format=%cD 2>/dev/null || true)
	export GIT_AUTHOR_DATE=${date:-"Thu, 1 Jan 1970 00:00:00 +0000"}
	export GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
}

# "Name <email>" of a patch's From: line.
patch_author() {
	patch_header "$1" | sed -n '0,/^From: /s/^From: //p'
}

# The commit message: the subject without its [PATCH] prefix, a blank
# line, the changelog.
patch_message() {
	patch_header "$1" | awk '
		!inbody && /^Subject: / {
			s = $0; sub(/^Subject: */, "", s); sub(/^\[[^]]*\] */, "", s)
			print s; next
		}
		!inbody && /^$/ { inbody = 1; print ""; next }
		inbody { print }'
}

patch_check_header() {
	local p=$1 f=$ROOT/patches/$1 errs=()
	grep -qx -- '---' "$f" || errs+=("no '---' line between the message and the diff")
	patch_header "$f" | grep -q '^From: .*<.*@.*>$' || errs+=("no 'From: Name <email>' line")
	patch_header "$f" | grep -q '^Subject: ' || errs+=("no 'Subject:' line")
	patch_header "$f" | grep -q '^Signed-off-by: ' || errs+=("no Signed-off-by: line")
	[ ${#errs[@]} -eq 0 ] && return 0
	printf 'error: patches/%s: %s\n' "$p" "${errs[@]}" >&2
	return 1
}

# The repository with the base commit, made once per base version by
# importing the pristine tree (ignored files included).
series_git_init() {
	local stamp=$SERIES_GIT/.git/snpkvm-base
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$BASE_DIR" ] &&
	   sgit rev-parse -q --verify base >/dev/null; then
		return 0
	fi
	stage "importing the base tree into $SERIES_GIT (once per base version)"
	rm -rf "$SERIES_GIT"
	mkdir -p "$SERIES_GIT"
	sgit init -q
	sgit config gc.auto 0
	sgit config core.looseCompression 1
	sgit config user.name snpkvm
	sgit config user.email snpkvm@localhost
	git -C "$BASE_DIR" --git-dir="$SERIES_GIT/.git" --work-tree=. add -A -f .
	GIT_AUTHOR_DATE="Thu, 1 Jan 1970 00:00:00 +0000" \
	GIT_COMMITTER_DATE="Thu, 1 Jan 1970 00:00:00 +0000" \
		sgit commit -q -m "base: $BASE_PKG $BASE_DEBVER (Linux $BASE_VERSION)"
	sgit tag base
	sgit reset -q --hard base
	echo "$BASE_DIR" >"$stamp"
}

# One commit per series entry on branch "series".
series_git_commits() {
	local p n=0 f t author name email bad=0
	series_parse
	for p in "${SERIES_PATCHES[@]}"; do
		patch_check_header "$p" || bad=1
	done
	[ $bad -eq 0 ] || die "malformed patch header (format: see patches/series)"

	sgit checkout -q -f -B series base
	sgit clean -q -fdx
	for p in "${SERIES_PATCHES[@]}"; do
		n=$((n + 1))
		while read -r f; do
			[ -n "$f" ] || continue
			t=$(overlay_tree_path "$f")
			[ -e "$BASE_DIR/$t" ] &&
				die "overlay file $f would replace upstream $t: change it with a patch"
			patch_files "$ROOT/patches/$p" | grep -qxF "$t" &&
				die "$f is both an overlay file and changed by the diff of $p"
			mkdir -p "$SERIES_GIT/$(dirname "$t")"
			cp "$ROOT/$f" "$SERIES_GIT/$t"
		done < <(series_overlay "$p")
		if [ -n "$(patch_files "$ROOT/patches/$p")" ]; then
			if ! out=$(patch_diff "$ROOT/patches/$p" |
					sgit apply --whitespace=nowarn -p1 - 2>&1); then
				echo "$out" | sed 's/^/    /' >&2
				die "the diff of $p does not apply at step $n of the series"
			fi
		fi
		sgit add -A -f .
		sgit diff --cached --quiet &&
			die "$p changes nothing: it has neither a diff nor overlay files"
		author=$(patch_author "$ROOT/patches/$p")
		name=${author% <*}
		email=${author##*<}
		email=${email%>}
		GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email \
		GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email \
			sgit commit -q --no-verify -F - < <(patch_message "$ROOT/patches/$p")
	done
}

# Cover letter: fill in what git format-patch leaves as placeholders.
series_cover_letter() {
	local cover=$1 spec=$ROOT/patches/cover-letter.txt subject body
	[ -f "$spec" ] || die "patches/cover-letter.txt is missing"
	subject=$(sed '/^#/d' "$spec" | sed -n '1s/^Subject: //p')
	[ -n "$subject" ] || die "patches/cover-letter.txt: the first line after the comments must be 'Subject: ...'"
	body=$(sed '/^#/d' "$spec" | sed '1,2d' |
	       sed -e "s/@BASE_VERSION@/$BASE_VERSION/g" -e "s/@BASE_PKG@/$BASE_PKG/g" \
		   -e "s/@BASE_DEBVER@/$BASE_DEBVER/g")
	grep -q '@[A-Z_]*@' <<<"$body" &&
		die "patches/cover-letter.txt: unknown placeholder $(grep -o '@[A-Z_]*@' <<<"$body" | head -1)"
	SUBJECT=$subject BODY=$body python3 - "$cover" <<-'EOF'
		import os, sys
		path = sys.argv[1]
		text = open(path).read()
		for ph, val in (("*** SUBJECT HERE ***", os.environ["SUBJECT"]),
				("*** BLURB HERE ***", os.environ["BODY"])):
		    if ph not in text:
		        sys.exit("no %r in %s" % (ph, path))
		    text = text.replace(ph, val, 1)
		open(path, "w").write(text)
	EOF
}

series_export() {
	local out=$PATCHES_OUT p n=0 got want bad=0 f
	case $(realpath -m "$out")/ in
	"$ROOT"/*) die "SNPKVM_PATCHES_DIR=$out is inside the repository: exports stay outside git" ;;
	esac
	rm -rf "$out"
	mkdir -p "$out"
	# shellcheck disable=SC2086
	sgit -c user.name="$(patch_author "$ROOT/patches/${SERIES_PATCHES[0]}" | sed 's/ <.*//')" \
	     -c user.email="$(patch_author "$ROOT/patches/${SERIES_PATCHES[0]}" | sed 's/.*<//; s/>$//')" \
		format-patch -q --cover-letter --filename-max-length=$FILENAME_MAX \
		$FORMAT_PATCH_ARGS -o "$out" base..series
	series_cover_letter "$(ls "$out"/*0000-cover-letter.patch)"

	# The repository's file names are the export's: NNNN is the position,
	# the rest is what format-patch makes of the subject.
	for p in "${SERIES_PATCHES[@]}"; do
		n=$((n + 1))
		got=$(cd "$out" && ls | grep -E "^(v[0-9]+-)?$(printf %04d $n)-" | sed -E 's/^v[0-9]+-//' || true)
		if [ "$got" != "$p" ]; then
			echo "error: patches/series entry $n is $p; by its position and subject it must be named $got" >&2
			bad=1
		fi
	done
	[ $bad -eq 0 ] || die "rename the patches above (git mv) and update patches/series"
	EXPORTED=()
	for f in "$out"/*.patch; do EXPORTED+=("$f"); done
}

# git am the export onto the base and compare the result with the tree that
# make kernel builds ($BUILD/src, as assemble.sh leaves it).
series_am_check() {
	local out=$PATCHES_OUT diffs n
	sgit checkout -q -f --detach base
	sgit clean -q -fdx
	if ! sgit am -q --whitespace=nowarn $(ls "$out"/*.patch | grep -v -- '-cover-letter\.patch$') \
			>"$BUILD/series-am.log" 2>&1; then
		sed 's/^/        /' "$BUILD/series-am.log" | head -20
		sgit am --abort >/dev/null 2>&1 || true
		result patches fail "git am of the export onto the base" "$BUILD/series-am.log"
		sgit checkout -q -f series
		return 0
	fi
	result patches pass "git am of the export onto the base"
	if [ "$(sgit rev-parse 'HEAD^{tree}')" = "$(sgit rev-parse 'series^{tree}')" ]; then
		result patches pass "git am result = the series commits (same tree)"
	else
		sgit diff --stat HEAD series | sed 's/^/        /' | tail -20
		result patches fail "git am result = the series commits (same tree)"
	fi
	diffs=$(diff -rq --no-dereference -x .git "$SERIES_GIT" "$SRC" 2>&1 |
		sed -e "s#$SERIES_GIT#<am>#g" -e "s#$SRC#<src>#g" || true)
	if [ -z "$diffs" ]; then
		result patches pass "git am result = make kernel's tree (diff -r $SRC)"
	else
		n=$(wc -l <<<"$diffs")
		head -20 <<<"$diffs" | sed 's/^/        /'
		result patches fail "git am result = make kernel's tree (diff -r $SRC)" "$n differences"
	fi
	sgit checkout -q -f series
}

run_patches() {
	local t0=$SECONDS f
	need_pkgs git python3
	stage "assembling the source tree"
	assemble
	results_reset patches
	series_dates
	series_git_init
	stage "committing the series onto the base ($SERIES_GIT, branch series)"
	series_git_commits
	stage "exporting with git format-patch into $PATCHES_OUT"
	series_export
	result patches pass "export: ${#SERIES_PATCHES[@]} patches and a cover letter"
	stage "checking: git am of the export onto the base against the assembled tree"
	series_am_check
	stage "exported series: $PATCHES_OUT ($((SECONDS - t0)) s)"
	for f in "${EXPORTED[@]}"; do
		note "${f##*/}"
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	run_patches
	summary "$RESULTS/patches.tsv"
fi
