# SPDX-License-Identifier: GPL-2.0
# Common helpers for the project's build and test scripts; sourced, not run.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SNPKVM_BUILD_DIR:-/var/tmp/snp-kvm-build}
JOBS=${JOBS:-$(nproc)}

# The base tree: Debian's linux-source-6.12, pinned to the version the
# patches were written against.
BASE_PKG=linux-source-6.12
BASE_PIN=6.12.117-1~deb12u1

RESULTS=$BUILD/results
export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 1970'
export KBUILD_BUILD_USER=snpkvm KBUILD_BUILD_HOST=build

trap 'rc=$?; echo "error: \"$BASH_COMMAND\" failed with status $rc (${BASH_SOURCE[0]##*/}:$LINENO)" >&2' ERR

stage() { printf '==> [%s] %s\n' "$(date +%T)" "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Install Debian packages that are missing; quiet when nothing is needed.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	stage "installing packages: ${missing[*]}"
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	if ! $sudo apt-get install -y -q "${missing[@]}" >"$BUILD/apt.log" 2>&1; then
		$sudo apt-get update -q >>"$BUILD/apt.log" 2>&1
		$sudo apt-get install -y -q "${missing[@]}" >>"$BUILD/apt.log" 2>&1 ||
			{ tail -20 "$BUILD/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
	fi
}

PKGS_BUILD=(gcc make bc flex bison libelf-dev libssl-dev cpio xz-utils rsync
	    ccache kmod python3 perl patch diffutils)
PKGS_QEMU=(qemu-system-x86 busybox-static)
PKGS_LINT=(sparse python3-sphinx python3-sphinx-rtd-theme python3-yaml)

# Results: each stage appends "<pass|fail|skip>\t<name>\t<detail>" lines to
# $RESULTS/<stage>.tsv; check.sh sums them up.
results_reset() { mkdir -p "$RESULTS"; : >"$RESULTS/$1.tsv"; }
result() {
	local file=$1 status=$2 name=$3 detail=${4:-}
	printf '%s\t%s\t%s\n' "$status" "$name" "$detail" >>"$RESULTS/$file.tsv"
	case $status in
	pass) printf '    ok      %s\n' "$name" ;;
	skip) printf '    skip    %s%s\n' "$name" "${detail:+ ($detail)}" ;;
	*)    printf '    FAIL    %s%s\n' "$name" "${detail:+ ($detail)}" ;;
	esac
}
summary() {
	local p f s
	p=$(cat "$@" 2>/dev/null | grep -c '^pass' || true)
	f=$(cat "$@" 2>/dev/null | grep -c '^fail' || true)
	s=$(cat "$@" 2>/dev/null | grep -c '^skip' || true)
	if [ "$s" -gt 0 ]; then
		echo "$p passed, $f failed, $s skipped"
	else
		echo "$p passed, $f failed"
	fi
	[ "$f" -eq 0 ]
}

mkdir -p "$BUILD"

# One target at a time per build directory: the assembled tree and the
# object trees are shared.  Later targets wait for the running one.
if [ -z "${SNPKVM_LOCKED:-}" ]; then
	exec 9>"$BUILD/.lock"
	if ! flock -n 9; then
		echo "==> waiting for another target using $BUILD" >&2
		flock 9
	fi
	export SNPKVM_LOCKED=1
fi
