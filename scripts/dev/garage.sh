#!/bin/sh
# A local Garage S3 store to try pg-backup --to s3://… and pg-restore
# --from s3://… by hand; the tests start their own (crates/testkit's
# garage module) and never touch this one.
#
#   scripts/dev/garage.sh start [--nodes 1|3]   start it (one node, or three with
#                                               replication 3; default: as before)
#   scripts/dev/garage.sh stop                  stop every node, by pid
#   scripts/dev/garage.sh status                which nodes run; Garage's own view
#   scripts/dev/garage.sh env                   print the export lines again
#   scripts/dev/garage.sh reset                 stop, and delete all its data
#
# Everything lives in target/garage-dev/ (configs, data, logs, pids, the
# access key). It keeps its data across stop/start; `reset` to begin anew.
# `start` prints the variables for an S3 client on stdout (messages go to
# stderr), so either copy them or:
#
#   eval "$(scripts/dev/garage.sh start)"
#   pg-backup --to s3://shipshape/app
#
# Ports: node i (0-based) listens on 127.0.0.1, S3 API on BASE+10i, RPC on
# BASE+10i+1, admin API on BASE+10i+3; BASE is GARAGE_DEV_PORT (3900, the
# Garage default, so node 0's S3 endpoint is http://127.0.0.1:3900).
# The binary is SHIPSHAPE_GARAGE_BIN, else target/tools/garage/bin/garage
# (scripts/deps/garage.sh builds it).
set -eu
cd "$(dirname "$0")/../.."
root=target/garage-dev
bin="${SHIPSHAPE_GARAGE_BIN:-target/tools/garage/bin/garage}"
base="${GARAGE_DEV_PORT:-3900}"
bucket=shipshape

say() { echo "garage-dev: $*" >&2; }
die() { say "$*"; exit 1; }

# The garage CLI against node $1, with only what it needs in its environment
# (an inherited GARAGE_RPC_HOST or RUST_LOG would change what it does).
cli() {
    node=$1
    shift
    env -i RUST_LOG=garage=warn NO_COLOR=1 "$bin" -c "$root/node$node/garage.toml" "$@"
}

# Whether the pid in node $1's pid file is alive and really that node: its
# command line names its config, so a pid reused by something else is left
# alone.
node_running() {
    pidfile="$root/node$1/pid"
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile")
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "node$1/garage.toml"
}

node_count() {
    cat "$root/nodes" 2>/dev/null || echo 0
}

# The nodes of a cluster as a TOML list: each node reconnects to the others
# from these on a restart (Garage saves its peer list only now and then, so a
# cluster stopped soon after it started would otherwise come up alone).
peers() {
    [ -f "$root/peers" ] || return 0
    sed 's/.*/"&"/' "$root/peers" | paste -sd, -
}

write_config() { # node, replication factor
    dir="$PWD/$root/node$1"
    mkdir -p "$dir/meta" "$dir/data"
    port=$((base + 10 * $1))
    cat >"$dir/garage.toml" <<EOF
# scripts/dev/garage.sh: node $1 of a local development store.
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = $2
consistency_mode = "consistent"
rpc_bind_addr = "127.0.0.1:$((port + 1))"
rpc_public_addr = "127.0.0.1:$((port + 1))"
rpc_secret = "$(cat "$root/rpc_secret")"
bootstrap_peers = [$(peers)]

[s3_api]
api_bind_addr = "127.0.0.1:$port"
s3_region = "garage"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$((port + 3))"
EOF
}

# Start node $1 in the background, detached from this shell (nohup: closing
# the terminal must not stop it), and record its pid.
spawn() {
    node=$1
    shift
    env -i RUST_LOG=garage=info NO_COLOR=1 \
        GARAGE_DEFAULT_ACCESS_KEY="$key_id" GARAGE_DEFAULT_SECRET_KEY="$secret" \
        GARAGE_DEFAULT_BUCKET="$bucket" \
        nohup "$bin" -c "$root/node$node/garage.toml" server "$@" \
        </dev/null >>"$root/node$node/garage.log" 2>&1 &
    echo $! >"$root/node$node/pid"
}

# Wait (up to 30 s) until `garage status` answers through node $1: its RPC
# port listens. `garage node id` answers earlier, from the key file alone.
wait_rpc() {
    tries=0
    until cli "$1" status >/dev/null 2>&1; do
        node_running "$1" || die "node $1 exited; see $root/node$1/garage.log"
        tries=$((tries + 1))
        [ "$tries" -lt 300 ] || die "node $1 not answering after 30 s; see $root/node$1/garage.log"
        sleep 0.1
    done
}

# Wait until every partition has its quorum (`garage health` exits 0).
wait_healthy() {
    tries=0
    until cli 0 health -q >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 300 ] || die "not healthy after 30 s; see $root/node*/garage.log"
        sleep 0.1
    done
}

print_env() {
    . "$root/credentials"
    cat <<EOF
export AWS_ACCESS_KEY_ID=$key_id
export AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=garage
export AWS_DEFAULT_REGION=garage
export AWS_ENDPOINT_URL=http://127.0.0.1:$base
export AWS_ALLOW_HTTP=true
EOF
    say "bucket s3://$bucket/ ready: pg-backup --to s3://$bucket/app"
}

random_hex() { # bytes
    od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

start() {
    # Default: the store already here, else one node.
    nodes=$(node_count)
    [ "$nodes" != 0 ] || nodes=1
    while [ $# -gt 0 ]; do
        case $1 in
            --nodes) [ $# -ge 2 ] || die "--nodes needs 1 or 3"; nodes=$2; shift 2 ;;
            --nodes=*) nodes=${1#--nodes=}; shift ;;
            *) die "unknown option $1 (usage: start [--nodes 1|3])" ;;
        esac
    done
    case $nodes in 1 | 3) ;; *) die "--nodes must be 1 or 3 (with 2, losing one node stops writes)" ;; esac
    [ -x "$bin" ] || die "no Garage binary at $bin: run scripts/deps/garage.sh (or set SHIPSHAPE_GARAGE_BIN)"

    existing=$(node_count)
    if [ "$existing" != 0 ] && [ "$existing" != "$nodes" ]; then
        die "$root holds a $existing-node store; '$0 reset' first to start a $nodes-node one"
    fi
    fresh=false
    if [ "$existing" = 0 ]; then
        fresh=true
        mkdir -p "$root"
        # Garage's key format: GK + 24 hex digits; the secret 64.
        printf 'key_id=GK%s\nsecret=%s\n' "$(random_hex 12)" "$(random_hex 32)" >"$root/credentials"
        random_hex 32 >"$root/rpc_secret"
        chmod 600 "$root/credentials" "$root/rpc_secret"
        echo "$nodes" >"$root/nodes"
    fi
    . "$root/credentials"

    i=0
    while [ "$i" -lt "$nodes" ]; do
        if node_running "$i"; then
            say "node $i already runs (pid $(cat "$root/node$i/pid"))"
        else
            write_config "$i" "$nodes"
            if [ "$nodes" = 1 ]; then
                # Lays out the single node, imports the key and creates the
                # bucket from the GARAGE_DEFAULT_* variables (idempotent).
                spawn "$i" --single-node --default-bucket
            else
                spawn "$i"
            fi
            say "node $i started (pid $(cat "$root/node$i/pid"), S3 on 127.0.0.1:$((base + 10 * i)))"
        fi
        i=$((i + 1))
    done
    i=0
    while [ "$i" -lt "$nodes" ]; do
        wait_rpc "$i"
        i=$((i + 1))
    done

    if [ "$nodes" = 3 ] && $fresh; then
        # Nodes find each other through node 0, then one layout: 1 GB each in
        # one zone, replication factor 3 (the peers are remembered in each
        # node's metadata, so a restart needs none of this).
        for i in 1 2; do
            id=$(cli "$i" node id -q)
            cli 0 node connect "$id" >/dev/null
        done
        ids=""
        for i in 0 1 2; do
            id=$(cli "$i" node id -q)
            ids="$ids ${id%%@*}"
            echo "$id" >>"$root/peers"
        done
        # shellcheck disable=SC2086 # one argument per node id
        cli 0 layout assign -z dc1 -c 1G $ids >/dev/null
        cli 0 layout apply --version 1 >/dev/null
        cli 0 key import --yes -n shipshape-dev "$key_id" "$secret" >/dev/null
        cli 0 bucket create "$bucket" >/dev/null
        cli 0 bucket allow --read --write --owner "$bucket" --key "$key_id" >/dev/null
    fi
    wait_healthy
    print_env
}

stop() {
    nodes=$(node_count)
    # SIGTERM to every node first, then wait: stopping them one by one would
    # leave the last ones without peers, and a node whose peers are gone may
    # not exit on SIGTERM at all. Whatever still runs after 3 s gets SIGKILL.
    pids=""
    i=0
    while [ "$i" -lt "$nodes" ]; do
        if node_running "$i"; then
            kill -TERM "$pid" 2>/dev/null || true
            pids="$pids $i:$pid"
        fi
        i=$((i + 1))
    done
    tries=0
    while [ "$tries" -lt 30 ]; do
        up=false
        for entry in $pids; do
            node_running "${entry%%:*}" && up=true
        done
        $up || break
        sleep 0.1
        tries=$((tries + 1))
    done
    for entry in $pids; do
        i=${entry%%:*}
        if node_running "$i"; then
            kill -KILL "${entry#*:}" 2>/dev/null || true
            say "node $i (pid ${entry#*:}) killed after 3 s"
        else
            say "node $i (pid ${entry#*:}) stopped"
        fi
        rm -f "$root/node$i/pid"
    done
}

status() {
    nodes=$(node_count)
    [ "$nodes" != 0 ] || { say "no store in $root ('$0 start' makes one)"; exit 1; }
    running=0
    i=0
    while [ "$i" -lt "$nodes" ]; do
        if node_running "$i"; then
            say "node $i runs (pid $(cat "$root/node$i/pid"), S3 on http://127.0.0.1:$((base + 10 * i)))"
            running=$((running + 1))
        else
            say "node $i is stopped"
        fi
        i=$((i + 1))
    done
    [ "$running" != 0 ] || exit 3
    i=0
    while ! node_running "$i"; do i=$((i + 1)); done
    cli "$i" status >&2
}

command=${1:-}
[ $# -eq 0 ] || shift
case $command in
    start) start "$@" ;;
    stop) stop ;;
    status) status ;;
    env) [ -f "$root/credentials" ] || die "no store in $root"; print_env ;;
    reset) stop; rm -rf "$root"; say "removed $root" ;;
    *) die "usage: $0 start [--nodes 1|3] | stop | status | env | reset" ;;
esac
