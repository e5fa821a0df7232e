# SPDX-License-Identifier: GPL-2.0
# Configure and build kernels from $SRC; sourced by the other scripts.

# KMAKE_ARGS, an array, adds arguments to every make of the kernel, e.g.
# (LLVM=1 "CC=ccache clang" "HOSTCC=ccache clang") for clang.
KMAKE_ARGS=()

kmake() {
	local obj=$1
	shift
	make -s -C "$SRC" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS" \
		${KMAKE_ARGS[@]+"${KMAKE_ARGS[@]}"} "$@"
}

# Configure $obj as x86_64_defconfig + fragments; do nothing when neither the
# fragments nor the Kconfig files changed since the last run.
kconfig() {
	local obj=$1 line sym want got bad=0 stamp
	shift
	mkdir -p "$obj"
	stamp=$(cat "$@" "$ROOT/Kconfig" "$SRC/Makefile" | sha1sum | cut -d' ' -f1)
	if [ -f "$obj/.config" ] && [ "$(cat "$obj/.config.stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	kmake "$obj" x86_64_defconfig >/dev/null
	(cd "$obj" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$obj" .config "$@" >/dev/null)
	kmake "$obj" olddefconfig >/dev/null
	# merge_config only warns: insist that every requested value stuck.
	# Fragments are merged in order, so a later line wins.
	declare -A wanted=()
	while read -r line; do
		case $line in
		CONFIG_*=*) wanted[${line%%=*}]=$line ;;
		"# CONFIG_"*" is not set") sym=${line#\# }; wanted[${sym%% *}]=n ;;
		esac
	done < <(cat "$@")
	for sym in "${!wanted[@]}"; do
		want=${wanted[$sym]}
		got=$(grep -E "^($sym=|# $sym is not set)" "$obj/.config" || true)
		if [ "$want" = n ]; then
			[ -z "$got" ] || [ "$got" = "# $sym is not set" ] && continue
		else
			[ "$got" = "$want" ] && continue
		fi
		echo "error: $sym: wanted '$want', got '${got:-unset}'" >&2
		bad=1
	done
	[ $bad -eq 0 ] || die "kernel configuration of $obj does not match $*"
	echo "$stamp" >"$obj/.config.stamp"
}
