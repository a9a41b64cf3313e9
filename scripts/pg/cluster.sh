#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests, on 127.0.0.1 (TLS on, password
# required) and on a unix socket (trust), with fsync off:
#
#   bash scripts/pg/cluster.sh start   # idempotent; prints the env lines below
#   bash scripts/pg/cluster.sh stop    # idempotent; leaves no postgres process
#   bash scripts/pg/cluster.sh env     # prints the env lines; exit 1 if stopped
#
# Everything lives in target/pg/ of this checkout: data/ (the cluster), sock/
# (the socket directory), log (the server log), tls/ (a test CA, ca.crt and
# ca.key, and a server certificate it signed for localhost and 127.0.0.1,
# made once) and env, which start writes and prints:
#
#   ISOBOX_TEST_PG_URL=postgres://isobox:isobox@127.0.0.1:PORT/isobox
#   ISOBOX_TEST_PG_SOCKET=/abs/target/pg/sock
#   ISOBOX_TEST_PG_PORT=PORT
#   ISOBOX_TEST_PG_CA=/abs/target/pg/tls/ca.crt
#
# PORT is the first free one from 54329 up. Role isobox (LOGIN CREATEDB,
# password isobox) owns database isobox; the superuser is postgres, over the
# socket only. initdb refuses to run as root, so as root the cluster belongs
# to and runs as the system user isobox-pg (created here if absent); otherwise
# as the current user. If that user cannot reach target/pg (a checkout under
# a private directory), the cluster lives in /tmp/isobox-pg-$(id -u)-CKSUM
# instead (CKSUM of the checkout's path) and target/pg/env still points at it.
# PostgreSQL 15 is expected in /usr/lib/postgresql/*/bin; Debian's postgresql
# package is installed if no server is there.
# Progress and errors go to stderr; stdout carries only the env lines.
set -euo pipefail
umask 022

me=cluster.sh
say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { say "error: $*"; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
repo_base=$root/target/pg
# Per checkout, so two checkouts' fallbacks never share (or stop) a cluster.
tmp_base=/tmp/isobox-pg-$(id -u)-$(printf %s "$root" | cksum | cut -d' ' -f1)
first_port=54329
role=isobox
password=isobox
dbname=isobox

# The caller's PGHOST, PGPORT, PGSSLMODE... must not steer this script's psql.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^PG' || true)

is_root() { [ "$(id -u)" -eq 0 ]; }
if is_root; then pguser=isobox-pg; else pguser=$(id -un); fi

# Runs a command as the cluster's user, from /, without the lock's fd 9
# (postgres would inherit it and hold the lock for its lifetime).
as_user() {
  if ! is_root; then
    (cd / && env LC_ALL=C "$@" 9<&-)
  elif command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u "$pguser" -- env HOME=/ LC_ALL=C "$@" 9<&-)
  else
    (cd / && setpriv --reuid="$(id -u "$pguser")" --regid="$(id -g "$pguser")" \
      --init-groups env HOME=/ LC_ALL=C "$@" 9<&-)
  fi
}

ensure_user() {
  is_root || return 0
  getent passwd "$pguser" >/dev/null && return 0
  say "creating system user $pguser"
  local shell=()
  [ -x /usr/sbin/nologin ] && shell=(--shell /usr/sbin/nologin)
  useradd --system --no-create-home "${shell[@]}" "$pguser" \
    || getent passwd "$pguser" >/dev/null || die "useradd $pguser failed"
}

find_bindir() {
  local d
  for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return 0
    fi
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    d=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
    [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  fi
  return 1
}

install_postgres() {
  local sudo=""
  is_root || sudo="sudo"
  say "PostgreSQL server binaries not found; installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q postgresql >&2; then
    $sudo apt-get update -q >&2
    $sudo apt-get install -y -q postgresql >&2 || die "apt-get install postgresql failed"
  fi
}

setup_binaries() {
  bindir=$(find_bindir) || { install_postgres; bindir=$(find_bindir) || die "no initdb/pg_ctl/postgres under /usr/lib/postgresql/*/bin even after installing postgresql"; }
  if [ -x "$bindir/psql" ]; then psql=$bindir/psql
  else psql=$(command -v psql) || die "psql not found (install postgresql-client)"; fi
  command -v openssl >/dev/null 2>&1 || die "openssl not found"
}

# True if process $1 exists and is not a zombie (an init that is slow to reap
# leaves those, and postgres takes them for a live postmaster).
alive() {
  local st
  st=$(sed -n 's/^.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Prints the postmaster's PID if the cluster in data dir $1 is up: the PID in
# postmaster.pid is alive, is a postgres, and runs in that data directory.
running_pid() {
  local data=$1 pid comm real cwd
  [ -f "$data/postmaster.pid" ] || return 1
  pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[1-9][0-9]*$ ]] && alive "$pid" || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [ "$comm" = postgres ] || [ "$comm" = postmaster ] || return 1
  real=$(cd "$data" 2>/dev/null && pwd -P) || return 1
  if cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null); then
    [ "$cwd" = "$real" ] || return 1
  else
    # No ptrace access to its cwd: its command line names the data dir.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F -- "-D $data " >/dev/null || return 1
  fi
  echo "$pid"
}

# Line $2 of $1/postmaster.pid (4: port, 5: socket directory).
pidfile_line() { sed -n "${2}p" "$1/postmaster.pid"; }

running_base() {
  local b
  for b in "$repo_base" "$tmp_base"; do
    if running_pid "$b/data" >/dev/null; then echo "$b"; return 0; fi
  done
  return 1
}

# Postgres processes still working in data dir $1 (children left behind by a
# killed postmaster, say), found by their cwd.
leftovers() {
  local real p comm
  real=$(cd "$1" 2>/dev/null && pwd -P) || return 0
  for p in /proc/[0-9]*; do
    comm=
    read -r comm 2>/dev/null <"$p/comm" || continue
    [ "$comm" = postgres ] || continue
    [ "$(readlink "$p/cwd" 2>/dev/null)" = "$real" ] && echo "${p#/proc/}"
  done
  return 0
}

bytes() { printf %s "$1" | wc -c; }

# Makes $1 the cluster's base directory if the cluster user can use it.
prepare_base() {
  local b=$1
  if [ "$(bytes "$b/sock/.s.PGSQL.65535")" -gt 107 ]; then
    say "$b: the socket path would exceed 107 bytes"
    return 1
  fi
  [ -L "$b" ] && { say "$b is a symlink; not using it"; return 1; }
  mkdir -p "$b" 2>/dev/null || return 1
  if is_root; then
    chown "$pguser:" "$b" || return 1
    local f
    for f in data sock log tls/server.key initdb.log; do
      if [ -e "$b/$f" ] && [ "$(stat -c %U "$b/$f")" != "$pguser" ]; then
        chown -R "$pguser:" "$b/$f"
      fi
    done
  elif [ "$(stat -c %U "$b")" != "$pguser" ]; then
    return 1
  fi
  chmod 0755 "$b" 2>/dev/null || return 1
  as_user test -w "$b" -a -x "$b" -a -r "$b" 2>/dev/null
}

# Writes stdin to $2 with mode $1, owned by the cluster user.
put_file() {
  local tmp
  tmp=$(mktemp "$2.XXXXXX")
  cat >"$tmp"
  if is_root; then install -o "$pguser" -g "$(id -g "$pguser")" -m "$1" "$tmp" "$2"
  else install -m "$1" "$tmp" "$2"; fi
  rm -f "$tmp"
}

ensure_tls() {
  local tls=$base/tls new
  mkdir -p "$tls"
  chmod 0755 "$tls"
  if [ -s "$tls/ca.crt" ] && [ -s "$tls/ca.key" ] && [ -s "$tls/server.crt" ] && [ -s "$tls/server.key" ] \
    && openssl verify -CAfile "$tls/ca.crt" "$tls/server.crt" >/dev/null 2>&1 \
    && openssl x509 -in "$tls/ca.crt" -noout -checkend 86400 >/dev/null 2>&1 \
    && openssl x509 -in "$tls/server.crt" -noout -checkend 86400 >/dev/null 2>&1; then
    :
  else
    say "making a test CA and a server certificate in $tls"
    new=$(mktemp -d "$tls/.new.XXXXXX")
    cat >"$new/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = isobox test
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
    if ! (
      cd "$new"
      openssl req -config openssl.cnf -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -subj "/CN=isobox test CA" -extensions ca_ext -keyout ca.key -out ca.crt
      openssl req -config openssl.cnf -new -newkey rsa:2048 -nodes -sha256 \
        -subj "/CN=localhost" -keyout server.key -out server.csr
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
        -days 3650 -sha256 -extfile openssl.cnf -extensions server_ext -out server.crt
      openssl verify -CAfile ca.crt server.crt
    ) >"$new/openssl.log" 2>&1; then
      cat "$new/openssl.log" >&2
      rm -rf "$new"
      die "openssl failed to make the test certificates"
    fi
    chmod 0600 "$new/ca.key" "$new/server.key"
    chmod 0644 "$new/ca.crt" "$new/server.crt"
    mv -f "$new/ca.key" "$new/ca.crt" "$new/server.key" "$new/server.crt" "$tls/"
    rm -rf "$new"
  fi
  # postgres wants its key 0600 and its own.
  chmod 0600 "$tls/server.key" "$tls/ca.key"
  is_root && chown "$pguser:" "$tls/server.key"
  return 0
}

env_text() { # port
  printf '%s\n' \
    "ISOBOX_TEST_PG_URL=postgres://$role:$password@127.0.0.1:$1/$dbname" \
    "ISOBOX_TEST_PG_SOCKET=$base/sock" \
    "ISOBOX_TEST_PG_PORT=$1" \
    "ISOBOX_TEST_PG_CA=$base/tls/ca.crt"
}

write_env() { # text
  local f tmp files=("$base/env")
  # In the /tmp fallback, target/pg/env too, where the tests look first.
  [ "$base" = "$repo_base" ] || files+=("$repo_base/env")
  for f in "${files[@]}"; do
    mkdir -p "$(dirname "$f")" 2>/dev/null || continue
    tmp=$(mktemp "$f.XXXXXX" 2>/dev/null) || { [ "$f" = "$base/env" ] && die "cannot write $f"; continue; }
    printf '%s\n' "$1" >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$f"
  done
}

remove_env() {
  rm -f "$repo_base/env" "$tmp_base/env" 2>/dev/null || true
}

shq() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }

port_free() {
  local p=$1
  if command -v ss >/dev/null 2>&1; then
    [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]
  else
    ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
  fi
}

ensure_role_db() { # port
  as_user "$psql" -X -q -v ON_ERROR_STOP=1 -h "$base/sock" -p "$1" -U postgres -d postgres >&2 <<EOF
SET client_min_messages = warning;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password';
  ELSE
    ALTER ROLE $role LOGIN CREATEDB PASSWORD '$password';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $dbname OWNER $role' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$dbname') \gexec
EOF
}

# The way the tests come in: TCP, TLS verified against the test CA, password.
check_tcp() { # port
  "$psql" -X -q -At -v ON_ERROR_STOP=1 \
    "host=localhost hostaddr=127.0.0.1 port=$1 user=$role password=$password dbname=$dbname sslmode=verify-full sslrootcert=$base/tls/ca.crt" \
    -c 'select 1' >/dev/null
}

init_cluster() {
  local data=$base/data want
  want=$("$bindir/postgres" --version | awk '{print $3}')
  want=${want%%.*}
  if [ -d "$data" ] && [ ! -f "$data/PG_VERSION" ]; then
    say "$data has no PG_VERSION (an interrupted initdb?); making it again"
    rm -rf "$data"
  elif [ -f "$data/PG_VERSION" ] && [ "$(cat "$data/PG_VERSION")" != "$want" ]; then
    say "$data is PostgreSQL $(cat "$data/PG_VERSION")'s, the binaries are $want's; making it again"
    rm -rf "$data"
  fi
  if [ ! -d "$data" ]; then
    say "initdb $data (PostgreSQL $want, owner $pguser)"
    if ! as_user "$bindir/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C --no-sync >"$base/initdb.log" 2>&1; then
      tail -n 30 "$base/initdb.log" >&2
      die "initdb failed (log: $base/initdb.log)"
    fi
  fi
  put_file 0600 "$data/pg_hba.conf" <<'EOF'
# Written by scripts/pg/cluster.sh at every start.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
hostssl all       all   127.0.0.1/32  scram-sha-256
host    all       all   127.0.0.1/32  scram-sha-256
EOF
}

# Closes every fd above 2 in this (sub)shell, so the server inherits none of
# the caller's (a pipe it waits on, make's jobserver).
close_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

start_server() {
  local data=$base/data log=$base/log port=$first_port attempt off opts pid
  # Not running (the caller checked), so these are a dead server's.
  kill_rest "$data"
  if [ -f "$data/postmaster.pid" ]; then
    say "removing stale $data/postmaster.pid (PID $(head -n1 "$data/postmaster.pid" 2>/dev/null) is not this cluster's postmaster)"
    rm -f "$data/postmaster.pid"
  fi
  rm -f "$base/sock"/.s.PGSQL.*
  as_user mkdir -p "$base/sock"
  chmod 0755 "$base/sock"
  if [ -f "$log" ] && [ "$(stat -c %s "$log")" -gt $((64 * 1024 * 1024)) ]; then
    mv -f "$log" "$log.old"
  fi
  [ -e "$log" ] || as_user touch "$log"
  for attempt in $(seq 1 20); do
    while ! port_free "$port"; do
      port=$((port + 1))
      [ "$port" -le 65535 ] || die "no free TCP port on 127.0.0.1 from $first_port up"
    done
    opts="-k $(shq "$base/sock") -p $port -c listen_addresses=127.0.0.1"
    opts+=" -c ssl=on -c ssl_cert_file=$(shq "$base/tls/server.crt") -c ssl_key_file=$(shq "$base/tls/server.key")"
    opts+=" -c fsync=off -c max_connections=200"
    off=$(stat -c %s "$log")
    if (close_fds; as_user "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 -s -o "$opts" start >&2); then
      echo "$port"
      return 0
    fi
    if tail -c +"$((off + 1))" "$log" | grep -E 'could not bind|could not create any TCP/IP sockets|Address already in use' >/dev/null; then
      say "port $port was taken meanwhile; trying the next"
      port=$((port + 1))
      continue
    fi
    say "pg_ctl start failed; the server log ($log) says:"
    tail -c +"$((off + 1))" "$log" | tail -n 30 >&2
    if pid=$(running_pid "$data"); then
      as_user "$bindir/pg_ctl" -D "$data" -m immediate -s stop >&2 || kill -QUIT "$pid" 2>/dev/null || true
    fi
    die "could not start PostgreSQL in $data"
  done
  die "could not start PostgreSQL: every port tried was taken"
}

print_env() { cat "$base/env"; }

lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9<"${BASH_SOURCE[0]}"
  flock -w 300 9 || die "another cluster.sh has held the lock for 5 minutes"
}

cmd_start() {
  local port text
  lock
  base=""
  if base=$(running_base); then
    port=$(pidfile_line "$base/data" 4)
    text=$(env_text "$port")
    if [ ! -f "$base/env" ] || [ "$(cat "$base/env")" != "$text" ]; then
      # Up, but an earlier start did not finish (or env was removed).
      setup_binaries
      ensure_role_db "$port" || die "creating role $role / database $dbname failed"
      write_env "$text"
    fi
    print_env
    return 0
  fi
  ensure_user
  setup_binaries
  if prepare_base "$repo_base"; then
    base=$repo_base
  else
    say "user $pguser cannot use $repo_base; the cluster goes in $tmp_base instead"
    if [ -L "$tmp_base" ]; then
      die "$tmp_base is a symlink; remove it"
    elif [ -e "$tmp_base" ] && ! [ -O "$tmp_base" ] && [ "$(stat -c %U "$tmp_base")" != "$pguser" ]; then
      die "$tmp_base exists and belongs to $(stat -c %U "$tmp_base"), not to $pguser"
    fi
    prepare_base "$tmp_base" || die "user $pguser cannot use $tmp_base either"
    base=$tmp_base
  fi
  [ -n "$base" ] || die "internal error: no base directory chosen"
  ensure_tls
  init_cluster
  port=$(start_server)
  say "PostgreSQL up on 127.0.0.1:$port and $base/sock (data $base/data, log $base/log)"
  ensure_role_db "$port" || die "creating role $role / database $dbname failed (log: $base/log)"
  check_tcp "$port" || die "connecting over TCP with TLS (verify-full) as $role failed (log: $base/log)"
  write_env "$(env_text "$port")"
  print_env
}

# Ends whatever still runs in data dir $1: the given PIDs, then any postgres
# working there.
kill_rest() {
  local data=$1 p i
  shift
  for i in $(seq 1 50); do
    local left=()
    for p in $(printf '%s\n' "$@" $(leftovers "$data") | sort -un); do
      alive "$p" && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = postgres ] && left+=("$p")
    done
    [ ${#left[@]} -eq 0 ] && return 0
    if [ "$i" -eq 10 ] || [ "$i" -eq 40 ]; then
      say "killing leftover postgres processes ${left[*]}"
      kill -KILL "${left[@]}" 2>/dev/null || true
    fi
    sleep 0.1
  done
  die "postgres processes ${left[*]} survived SIGKILL"
}

cmd_stop() {
  local pid children b
  lock
  if ! base=$(running_base); then
    say "not running"
    for b in "$repo_base" "$tmp_base"; do kill_rest "$b/data"; done
    remove_env
    return 0
  fi
  pid=$(running_pid "$base/data")
  children=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
  bindir=$(find_bindir) || bindir=""
  if [ -n "$bindir" ] && as_user "$bindir/pg_ctl" -D "$base/data" -m fast -w -t 30 -s stop >&2; then
    say "stopped (PID $pid)"
  else
    say "pg_ctl stop failed; sending SIGQUIT to postmaster $pid"
    kill -QUIT "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
  fi
  # shellcheck disable=SC2086
  kill_rest "$base/data" "$pid" $children
  remove_env
}

cmd_env() {
  base=$(running_base) || { say "not running"; exit 1; }
  local text
  text=$(env_text "$(pidfile_line "$base/data" 4)")
  [ -f "$base/env" ] && [ "$(cat "$base/env")" = "$text" ] || write_env "$text"
  print_env
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  *)
    echo "usage: $0 start|stop|env" >&2
    exit 2
    ;;
esac
