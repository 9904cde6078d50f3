#!/bin/sh
# A throwaway PostgreSQL cluster for the demo and the benchmarks.
#
#   scripts/pg-throwaway.sh start DIR   # initdb + start; prints DATABASE_URL
#   scripts/pg-throwaway.sh url DIR     # prints DATABASE_URL of a running one
#   scripts/pg-throwaway.sh stop DIR    # stop and delete
#
# Idempotent: "start" on a running cluster only prints its URL. Uses
# PG_MAJOR=N's build from target/pg/N/bin (scripts/deps/postgres.sh installs
# 14 to 18) when set, else the newest /usr/lib/postgresql/*/bin (or PATH);
# scram passwords, 127.0.0.1 on a free port, and runs the server as
# "postgres" when invoked as root (PostgreSQL refuses to run as root). The
# bin directory is remembered in DIR/bindir for "url" and "stop". The
# integration tests do not use this script: their harness (crates/testkit)
# starts its own cluster.
set -eu

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|url|stop DIR" >&2; exit 2; }
# Absolute: the server programs run from / (the postgres user may not be
# able to enter the current directory), where a relative DIR means nothing.
if [ -d "$dir" ]; then dir=$(cd "$dir" && pwd); fi

bindir=""
if [ "$cmd" != start ] && [ -f "$dir/bindir" ]; then
    bindir=$(cat "$dir/bindir")
elif [ -n "${PG_MAJOR:-}" ]; then
    bindir="$(cd "$(dirname "$0")/.." && pwd)/target/pg/$PG_MAJOR/bin"
    if [ ! -x "$bindir/initdb" ]; then
        echo "error: PostgreSQL $PG_MAJOR is not installed in $bindir" >&2
        echo "  hint: scripts/deps/postgres.sh installs 14 to 18" >&2
        exit 3
    fi
else
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        if [ -x "$d/initdb" ]; then bindir=$d; break; fi
    done
    if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then bindir=$(dirname "$(command -v initdb)"); fi
fi
if [ -z "$bindir" ]; then
    echo "error: no PostgreSQL server binaries (initdb, pg_ctl) found." >&2
    echo "  hint: apt-get install postgresql, or set DATABASE_URL to an existing server" >&2
    exit 3
fi

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() {
    echo "postgres://postgres:$(cat "$dir/pwfile")@127.0.0.1:$(cat "$dir/port")/postgres"
}

running() {
    [ -f "$dir/port" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

case "$cmd" in
start)
    if running; then url; exit 0; fi
    rm -rf "$dir"
    mkdir -p "$dir/socket"
    dir=$(cd "$dir" && pwd)
    head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/pwfile"
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' > "$dir/port"
    echo "$bindir" > "$dir/bindir"
    if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi
    (cd / && as_pg "$bindir/initdb" -U postgres --auth=scram-sha-256 --pwfile="$dir/pwfile" \
        -E UTF8 --locale=C --no-sync -D "$dir/data" >/dev/null)
    (cd / && as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $(cat "$dir/port") -k $dir/socket -c listen_addresses=127.0.0.1" start >/dev/null)
    url
    ;;
url)
    running || { echo "error: no cluster running in $dir" >&2; exit 3; }
    url
    ;;
stop)
    if [ -d "$dir/data" ]; then
        (cd / && as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1) || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|url|stop DIR" >&2; exit 2 ;;
esac
