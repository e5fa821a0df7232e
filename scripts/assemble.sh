#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Put base + patches + overlay together into $BUILD/src, as described by
# patches/series (see scripts/series.sh).
#
# The source tree is updated in place, touching only the files whose content
# changes, so that kbuild rebuilds incrementally.  Files that an earlier run
# patched or added but that the project no longer touches are restored from
# the pristine base (or removed).

. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/base.sh"
. "$ROOT/scripts/series.sh"

assemble() {
	local src=$BUILD/src stage_dir=$BUILD/stage touched=$BUILD/src.touched
	local p f changed=0 removed=0

	base_setup
	if [ ! -f "$BUILD/src.base" ] || [ "$(cat "$BUILD/src.base")" != "$BASE_DIR" ]; then
		stage "copying base $BASE_VERSION into $src"
		rm -rf "$src" "$touched"
		cp -a "$BASE_DIR" "$src.tmp"
		mv "$src.tmp" "$src"
		echo "$BASE_DIR" >"$BUILD/src.base"
	fi

	rm -rf "$stage_dir"
	mkdir -p "$stage_dir"
	: >"$stage_dir.list"

	series_parse

	# Patches to upstream files, in series order, onto copies of the files.
	while read -r p; do
		# A patch may only add overlay files, without a diff.
		[ -n "$(patch_files "$ROOT/patches/$p")" ] || continue
		patch_files "$ROOT/patches/$p" | while read -r f; do
			echo "$f" >>"$stage_dir.list"
			if [ -f "$BASE_DIR/$f" ] && [ ! -e "$stage_dir/$f" ]; then
				mkdir -p "$stage_dir/$(dirname "$f")"
				cp "$BASE_DIR/$f" "$stage_dir/$f"
			fi
		done
		if ! out=$(patch -p1 -d "$stage_dir" --batch --forward --fuzz=0 \
				--no-backup-if-mismatch -r - < <(patch_diff "$ROOT/patches/$p") 2>&1); then
			echo "$out" | sed 's/^/    /' >&2
			die "patch $p does not apply to $BASE_PKG $BASE_DEBVER (failed hunks above)"
		fi
	done < <(series)

	# Overlay files: new files of the project at their in-tree paths.
	while IFS=$'\t' read -r p f; do
		grep -qxF "$f" "$stage_dir.list" &&
			die "$p is both an overlay file and patched by patches/"
		[ -e "$BASE_DIR/$f" ] &&
			die "overlay file $p would replace upstream $f: change it with a patch"
		mkdir -p "$stage_dir/$(dirname "$f")"
		cp "$ROOT/$p" "$stage_dir/$f"
		echo "$f" >>"$stage_dir.list"
	done < <(overlay_files)

	sort -u -o "$stage_dir.list" "$stage_dir.list"
	touch "$touched"

	# Install what differs; restore what is no longer touched.
	while read -r f; do
		if grep -qxF "$f" "$stage_dir.list"; then
			if [ -e "$stage_dir/$f" ]; then
				cmp -s "$stage_dir/$f" "$src/$f" && continue
				mkdir -p "$src/$(dirname "$f")"
				cp "$stage_dir/$f" "$src/$f"
				changed=$((changed + 1))
			elif [ -e "$src/$f" ]; then
				rm -f "$src/$f"
				removed=$((removed + 1))
			fi
		elif [ -e "$BASE_DIR/$f" ]; then
			cmp -s "$BASE_DIR/$f" "$src/$f" && continue
			cp "$BASE_DIR/$f" "$src/$f"
			changed=$((changed + 1))
		elif [ -e "$src/$f" ]; then
			rm -f "$src/$f"
			removed=$((removed + 1))
		fi
	done < <(sort -u "$touched" "$stage_dir.list")
	cp "$stage_dir.list" "$touched"

	SRC=$src
	note "base: $BASE_PKG $BASE_DEBVER (Linux $BASE_VERSION)"
	note "tree: $src ($(series | wc -l) patches, $(overlay_files | wc -l) overlay files;" \
	     "$changed files updated, $removed removed)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	stage "assembling the source tree"
	assemble
fi
