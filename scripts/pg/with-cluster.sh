#!/usr/bin/env bash
# Runs a command with the tests' private PostgreSQL cluster up
# (scripts/pg/cluster.sh), its settings in the environment
# (ISOBOX_TEST_PG_URL, _SOCKET, _PORT, _CA), and stops the cluster by PID
# afterwards, whether the command passed or not. `make test` runs the host
# tests this way; the store's tests start the cluster themselves when run
# alone (and then leave it running: `bash scripts/pg/cluster.sh stop`).
#
#   bash scripts/pg/with-cluster.sh cargo test -p isobox-store
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
env_lines=$(bash "$here/cluster.sh" start)
trap 'bash "$here/cluster.sh" stop >/dev/null' EXIT
while IFS='=' read -r key value; do
  [ -n "$key" ] && export "$key=$value"
done <<< "$env_lines"
"$@"
