#!/usr/bin/env bash
# Fetches the Web Platform Tests that Node 20.19.2 pins (Debian's nodejs
# source package carries them under test/fixtures/wpt) into a git-ignored
# cache, once. The tarball is checked against its sha256 before anything is
# extracted; only test/fixtures/wpt is kept. Idempotent: a second run with a
# complete cache does nothing.
#
#   scripts/wpt/fetch.sh [DEST]     (default: .cache/wpt at the repository root)
#
# The tarball comes straight from the Debian mirror named in the system's apt
# sources (pool/main/n/nodejs/); if that fails (or WPT_FETCH=apt), from
# `apt-get source --download-only` with a private apt directory (nothing on
# the system changes).
set -euo pipefail

VERSION=20.19.2+dfsg
DEBIAN_VERSION=20.19.2+dfsg-1+deb13u2
TARBALL=nodejs_${VERSION}.orig.tar.xz
SHA256=5e5559381ad031d245a8efa403458abbb73755f74c3e6380f185a4dd342b7949

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST=${1:-$ROOT/.cache/wpt}
STAMP=$DEST/.isobox-wpt-source

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SHA256" ] && [ -f "$DEST/resources/testharness.js" ]; then
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

checked() {
  [ -f "$WORK/$TARBALL" ] && echo "$SHA256  $WORK/$TARBALL" | sha256sum -c --quiet - >/dev/null 2>&1
}

URI=$(mirror)
URI=${URI%/}
if [ "${WPT_FETCH:-}" = apt ]; then
  :
elif command -v curl >/dev/null; then
  echo "wpt: downloading $TARBALL (20 MB) from $URI" >&2
  curl -fsSL --retry 3 -o "$WORK/$TARBALL" "$URI/pool/main/n/nodejs/$TARBALL" || true
elif command -v wget >/dev/null; then
  echo "wpt: downloading $TARBALL (20 MB) from $URI" >&2
  wget -q -O "$WORK/$TARBALL" "$URI/pool/main/n/nodejs/$TARBALL" || true
fi

if ! checked; then
  echo "wpt: fetching $TARBALL with apt-get source" >&2
  rm -f "$WORK/$TARBALL"
  mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $URI trixie main" >"$WORK/sources.list"
  O=(-o "Dir::Etc::SourceList=$WORK/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$WORK/lists" -o "Dir::Cache=$WORK/cache")
  apt-get "${O[@]}" -qq update >&2
  # May exit non-zero when a part other than the .orig tarball is missing:
  # the checksum below decides.
  (cd "$WORK" && apt-get "${O[@]}" -qq source --download-only "nodejs=$DEBIAN_VERSION" >&2) || true
fi

if ! checked; then
  echo "wpt: could not obtain $TARBALL with sha256 $SHA256" >&2
  exit 1
fi

rm -rf "$DEST.partial"
mkdir -p "$DEST.partial"
tar xJf "$WORK/$TARBALL" -C "$DEST.partial" --strip-components=4 --wildcards 'node-v20.19.2/test/fixtures/wpt/*'
echo "$SHA256" >"$DEST.partial/.isobox-wpt-source"
rm -rf "$DEST"
mv "$DEST.partial" "$DEST"
echo "wpt: extracted into $DEST" >&2
