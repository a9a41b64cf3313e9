#!/usr/bin/env bash
# Downloads the npm tarballs pinned in tests/npm/packages.txt into DIR
# (default: .cache/npm-fixtures/ at the repository root, git-ignored), once.
#
#   scripts/npm/fixtures.sh [DIR]
#
# packages.txt holds one line per tarball, `NAME VERSION INTEGRITY`, where
# INTEGRITY is the registry's `dist.integrity` (`sha512-` and the base64 of
# the SHA-512 of the .tgz). Each tarball is saved as NAME-VERSION.tgz, a
# scoped name with its slash as `+` (@scope+name-VERSION.tgz), and its SHA-512
# is checked against the pin: a download that does not match is deleted and
# the script stops with a non-zero status. A file already present is checked
# again and skipped when it matches (re-downloaded when it does not), so a
# second run prints nothing. One line is printed per download.
#
# Needs curl and coreutils (sha512sum, base64, od) only.
set -euo pipefail

REGISTRY=https://registry.npmjs.org
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LIST="$ROOT/tests/npm/packages.txt"
DIR="${1:-$ROOT/.cache/npm-fixtures}"
mkdir -p "$DIR"

# The lowercase hex SHA-512 that an `sha512-BASE64` integrity pins, or
# nothing when the integrity is not of that form.
pinned_hex() {
  case "$1" in
    sha512-*) printf '%s' "${1#sha512-}" | base64 -d 2>/dev/null | od -An -v -tx1 | tr -d ' \n' ;;
  esac
}

# Whether FILE's SHA-512 is HEX.
matches() {
  [ -f "$1" ] && [ "$(sha512sum "$1" | cut -d' ' -f1)" = "$2" ]
}

downloaded=0
while read -r name version integrity rest; do
  case "$name" in '' | '#'*) continue ;; esac
  if [ -z "$integrity" ] || [ -n "$rest" ]; then
    echo "fixtures: $LIST: malformed line: $name $version $integrity $rest" >&2
    exit 1
  fi
  hex="$(pinned_hex "$integrity")"
  if [ "${#hex}" -ne 128 ]; then
    echo "fixtures: $name $version: pinned integrity is not sha512-BASE64: $integrity" >&2
    exit 1
  fi
  file="$DIR/${name/\//+}-$version.tgz"
  if matches "$file" "$hex"; then
    continue
  fi
  url="$REGISTRY/$name/-/${name##*/}-$version.tgz"
  echo "fixtures: downloading $name@$version from $url"
  rm -f "$file" "$file.part"
  if ! curl --fail --silent --show-error --location --retry 3 --max-time 120 -o "$file.part" "$url"; then
    rm -f "$file.part"
    echo "fixtures: $name $version: download failed: $url" >&2
    exit 1
  fi
  if ! matches "$file.part" "$hex"; then
    rm -f "$file.part"
    echo "fixtures: $name $version: SHA-512 MISMATCH, deleted: $url does not match $integrity" >&2
    exit 1
  fi
  mv "$file.part" "$file"
  downloaded=$((downloaded + 1))
done <"$LIST"

if [ "$downloaded" -gt 0 ]; then
  echo "fixtures: $downloaded tarball(s) downloaded and verified in $DIR"
fi
