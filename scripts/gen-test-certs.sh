#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Generate a TEST certificate chain like AMD's (ARK -> ASK -> VCEK, all EC
# P-384 here) with openssl, for the snp-certs tests and demos.  These are
# not AMD keys and prove nothing.
#
# usage: scripts/gen-test-certs.sh [DIR]   (default $BUILD/certs)
# Writes ark, ask and vcek as .pem and .der into DIR; does nothing if they
# are all there.  Generated files never go into git.

set -euo pipefail

trap 'rc=$?; echo "error: \"$BASH_COMMAND\" failed with status $rc" \
	"(${BASH_SOURCE[0]##*/}:$LINENO)" >&2' ERR

BUILD=${SNPKVM_BUILD_DIR:-/var/tmp/snp-kvm-build}
DIR=${1:-$BUILD/certs}
NAMES=(ark ask vcek)
DAYS=3650

stage() { printf '==> [%s] %s\n' "$(date +%T)" "$*"; }
note() { printf '    %s\n' "$*"; }

complete() {
	local n
	for n in "${NAMES[@]}"; do
		[ -s "$DIR/$n.pem" ] && [ -s "$DIR/$n.der" ] || return 1
	done
}

# cert NAME SUBJECT ISSUER EXTENSIONS: key and certificate NAME in $tmp,
# signed by ISSUER (self-signed if ISSUER is NAME).
cert() {
	local name=$1 subject=$2 issuer=$3 ext=$4 serial=$5
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
		-out "$tmp/$name.key" 2>/dev/null
	openssl req -new -key "$tmp/$name.key" -subj "$subject" -out "$tmp/$name.csr"
	printf '%s\n' "$ext" | tr ';' '\n' >"$tmp/$name.ext"
	if [ "$issuer" = "$name" ]; then
		openssl x509 -req -in "$tmp/$name.csr" -signkey "$tmp/$name.key" \
			-sha384 -days $DAYS -set_serial "$serial" \
			-extfile "$tmp/$name.ext" -out "$tmp/$name.pem" 2>/dev/null
	else
		openssl x509 -req -in "$tmp/$name.csr" -CA "$tmp/$issuer.pem" \
			-CAkey "$tmp/$issuer.key" -sha384 -days $DAYS -set_serial "$serial" \
			-extfile "$tmp/$name.ext" -out "$tmp/$name.pem" 2>/dev/null
	fi
	openssl x509 -in "$tmp/$name.pem" -outform DER -out "$tmp/$name.der"
}

if complete; then
	note "test certificates already in $DIR"
	exit 0
fi
command -v openssl >/dev/null || { echo "error: openssl is not installed" >&2; exit 1; }

stage "generating a TEST certificate chain in $DIR (not AMD keys)"
mkdir -p "$DIR"
tmp=$(mktemp -d "$DIR/.gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cert ark "/O=snp-kvm test/CN=TEST ARK - not an AMD key" ark \
	'basicConstraints=critical,CA:TRUE;keyUsage=critical,keyCertSign,cRLSign' 1
cert ask "/O=snp-kvm test/CN=TEST ASK - not an AMD key" ark \
	'basicConstraints=critical,CA:TRUE,pathlen:0;keyUsage=critical,keyCertSign,cRLSign' 2
cert vcek "/O=snp-kvm test/CN=TEST VCEK - not an AMD key" ask \
	'basicConstraints=critical,CA:FALSE;keyUsage=critical,digitalSignature' 3
openssl verify -CAfile "$tmp/ark.pem" -untrusted "$tmp/ask.pem" "$tmp/vcek.pem" >/dev/null

for n in "${NAMES[@]}"; do
	mv -f "$tmp/$n.pem" "$tmp/$n.der" "$DIR/"
	note "$DIR/$n.pem, $n.der: $(openssl x509 -in "$DIR/$n.pem" -noout -subject \
		-nameopt oneline,-space_eq | sed 's/.*CN=//'), issuer$(openssl x509 \
		-in "$DIR/$n.pem" -noout -issuer -nameopt oneline,-space_eq | sed 's/.*CN=/ /')"
done
