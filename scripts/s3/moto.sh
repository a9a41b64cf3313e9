#!/usr/bin/env bash
# Installs moto's S3-compatible server (moto[s3,server], pinned below) into
# a virtual environment under target/s3/venv, for `make test-s3`; prints the
# path of its moto_server. Idempotent: installs again only when the pin
# changed. Needs python3 with venv and PyPI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pin='moto[s3,server]==5.1.18'
venv=$root/target/s3/venv
stamp=$venv/.isobox-moto-pin
if [ "$(cat "$stamp" 2>/dev/null)" != "$pin" ]; then
  echo "scripts/s3: installing $pin into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$pin"
  echo "$pin" > "$stamp"
fi
echo "$venv/bin/moto_server"
