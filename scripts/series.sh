# SPDX-License-Identifier: GPL-2.0
# The series description, patches/series (its format is documented at its
# top); sourced by the other scripts.  Everything that needs the list of
# patches or of overlay files gets it from here.

SERIES_FILE=$ROOT/patches/series

# Where overlay files live in the repository; they are installed at the same
# path in the kernel tree, except the root build entry points.
OVERLAY_DIRS=(arch include Documentation tools)
declare -A OVERLAY_MAP=(
	[Kbuild]=arch/x86/kvm/svm/Makefile.snp
	[Kconfig]=arch/x86/kvm/svm/Kconfig.snp
)

SERIES_PATCHES=()		# patch file names, in series order
declare -A SERIES_OWNER=()	# overlay file (repository path) -> patch
declare -A SERIES_FILES=()	# patch -> its overlay files, one a line
SERIES_PARSED=

# The kernel tree path of an overlay file.
overlay_tree_path() {
	echo "${OVERLAY_MAP[$1]:-$1}"
}

# Overlay files present in the repository, whether listed or not.
overlay_present() {
	local f
	{
		for f in "${!OVERLAY_MAP[@]}"; do
			[ -f "$ROOT/$f" ] && echo "$f"
		done
		(cd "$ROOT" && find "${OVERLAY_DIRS[@]}" -type f ! -name '*~' \
			! -name '.*.swp' 2>/dev/null)
	} | sort
}

is_overlay_path() {
	local d
	[ -n "${OVERLAY_MAP[$1]:-}" ] && return 0
	for d in "${OVERLAY_DIRS[@]}"; do
		[[ $1 == "$d"/* ]] && return 0
	done
	return 1
}

# Read patches/series into SERIES_PATCHES, SERIES_OWNER and SERIES_FILES;
# stop with every problem found, each naming the file.
series_parse() {
	[ -n "$SERIES_PARSED" ] && return 0
	local line n=0 cur= f p rest errs=() where input=$SERIES_FILE
	local -A listed=()

	SERIES_PATCHES=()
	SERIES_OWNER=()
	SERIES_FILES=()
	if [ ! -f "$input" ]; then
		errs+=("patches/series is missing")
		input=/dev/null
	fi
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		where="patches/series:$n"
		line=${line%%#*}
		[[ $line =~ ^[[:space:]]*$ ]] && continue
		if [[ $line =~ ^[[:space:]] ]]; then
			read -r f rest <<<"$line"
			if [ -n "${rest:-}" ]; then
				errs+=("$where: one overlay file per line: '$line'")
			elif [ -z "$cur" ]; then
				errs+=("$where: overlay file $f is not below a patch")
			elif ! is_overlay_path "$f"; then
				errs+=("$where: $f is not an overlay file (not under ${OVERLAY_DIRS[*]} nor ${!OVERLAY_MAP[*]})")
			elif [ ! -f "$ROOT/$f" ]; then
				errs+=("$where: overlay file $f does not exist")
			elif [ -n "${SERIES_OWNER[$f]:-}" ]; then
				errs+=("$where: overlay file $f is assigned twice, to ${SERIES_OWNER[$f]} and $cur")
			else
				SERIES_OWNER[$f]=$cur
				SERIES_FILES[$cur]+="$f"$'\n'
			fi
		else
			read -r p rest <<<"$line"
			if [ -n "${rest:-}" ]; then
				errs+=("$where: one patch per line: '$line'")
			elif [ ! -f "$ROOT/patches/$p" ]; then
				errs+=("$where: patch $p does not exist in patches/")
			elif [ -n "${listed[$p]:-}" ]; then
				errs+=("$where: patch $p is listed twice")
			else
				listed[$p]=1
				SERIES_PATCHES+=("$p")
				SERIES_FILES[$p]=
			fi
			cur=$p
		fi
	done <"$input"

	while read -r f; do
		[ -n "${SERIES_OWNER[$f]:-}" ] ||
			errs+=("overlay file $f is not assigned to a patch: list it in patches/series below the patch that adds it")
	done < <(overlay_present)
	for p in "$ROOT"/patches/*.patch; do
		[ -e "$p" ] || continue
		[ -n "${listed[${p##*/}]:-}" ] ||
			errs+=("patches/${p##*/} is not listed in patches/series")
	done

	if [ ${#errs[@]} -gt 0 ]; then
		printf 'error: %s\n' "${errs[@]}" >&2
		die "patches/series does not describe the repository (see its header for the format)"
	fi
	SERIES_PARSED=1
}

# The patches, in series order.
series() {
	series_parse
	[ ${#SERIES_PATCHES[@]} -eq 0 ] || printf '%s\n' "${SERIES_PATCHES[@]}"
}

# The overlay files (repository paths) that patch $1 adds.
series_overlay() {
	series_parse
	printf '%s' "${SERIES_FILES[$1]}"
}

# "<repository path>\t<tree path>" for every overlay file, in series order.
overlay_files() {
	local p f
	series_parse
	for p in "${SERIES_PATCHES[@]}"; do
		while read -r f; do
			[ -n "$f" ] && printf '%s\t%s\n' "$f" "$(overlay_tree_path "$f")"
		done <<<"${SERIES_FILES[$p]}"
	done
}

# A patch file is its commit message, a line "---", then the diff.
patch_header() {
	sed '/^---$/,$d' "$1"
}

patch_diff() {
	sed '1,/^---$/d' "$1"
}

# Tree paths a patch's diff touches (new and removed files included).
patch_files() {
	patch_diff "$1" |
		sed -n -e 's|^+++ b/\([^[:space:]]*\).*|\1|p' -e 's|^--- a/\([^[:space:]]*\).*|\1|p' |
		sort -u
}
