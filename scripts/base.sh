# SPDX-License-Identifier: GPL-2.0
# Install and unpack the base tree; sourced by the other scripts.
# Sets BASE_DIR (pristine, never written after unpacking), BASE_DEBVER
# (Debian package version) and BASE_VERSION (kernel version).

base_setup() {
	local avail installed tarball

	installed=$(dpkg-query -W -f='${Status} ${Version}' "$BASE_PKG" 2>/dev/null |
		    sed -n 's/^install ok installed //p')
	if [ "$installed" != "$BASE_PIN" ]; then
		avail=$(apt-cache madison "$BASE_PKG" 2>/dev/null | awk '{print $3}')
		if ! grep -qxF "$BASE_PIN" <<<"$avail"; then
			need_pkgs apt-utils >/dev/null
			${SUDO:-} apt-get update -q >>"$BUILD/apt.log" 2>&1 || true
			avail=$(apt-cache madison "$BASE_PKG" 2>/dev/null | awk '{print $3}')
		fi
		if grep -qxF "$BASE_PIN" <<<"$avail"; then
			stage "installing $BASE_PKG=$BASE_PIN"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades \
				"$BASE_PKG=$BASE_PIN" >>"$BUILD/apt.log" 2>&1 ||
				die "cannot install $BASE_PKG=$BASE_PIN (see $BUILD/apt.log)"
		elif [ -z "$installed" ]; then
			echo "warning: pinned $BASE_PKG $BASE_PIN is no longer in the archive;" \
			     "using the newest 6.12 instead" >&2
			need_pkgs "$BASE_PKG"
		else
			echo "warning: pinned $BASE_PKG $BASE_PIN is not available;" \
			     "using the installed $installed" >&2
		fi
	fi
	BASE_DEBVER=$(dpkg-query -W -f='${Version}' "$BASE_PKG")
	tarball=/usr/src/$BASE_PKG.tar.xz
	[ -f "$tarball" ] || die "$tarball missing although $BASE_PKG is installed"

	BASE_DIR=$BUILD/base/$BASE_DEBVER/$BASE_PKG
	if [ ! -f "$BUILD/base/$BASE_DEBVER/.unpacked" ]; then
		stage "unpacking $BASE_PKG $BASE_DEBVER"
		rm -rf "$BUILD/base/$BASE_DEBVER"
		mkdir -p "$BUILD/base/$BASE_DEBVER"
		tar -C "$BUILD/base/$BASE_DEBVER" -xf "$tarball"
		touch "$BUILD/base/$BASE_DEBVER/.unpacked"
	fi
	BASE_VERSION=$(make -s -C "$BASE_DIR" kernelversion)
	[ "$BASE_DEBVER" = "$BASE_PIN" ] || note "base is NOT the pinned $BASE_PIN"
}
