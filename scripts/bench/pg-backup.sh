#!/bin/sh
# pg-backup side by side with what teams use today, in one hyperfine run:
#
#   pg_dump > /dev/null          the floor: nothing can be faster than the dump itself
#   pg_dump | gzip -6 > f        the backup_db.sh way
#   pg_dump | pigz -6 > f        parallel gzip
#   pg_dump -Fc > f              custom format (pg_dump's own single-threaded compression)
#   pg-backup                    snapshot row counts + parallel gzip -6 + SHA-256 + fsync
#                                + manifest + full verification pass + retention
#   pg_dump | gzip | aws s3 cp - s3://…     the common off-site script (awscli 1.x)
#   pg-backup --to s3://…        the same backup streamed to the store as a
#                                multipart upload, manifest last
#
# The store is a three-node Garage cluster with replication 3 on this machine
# (scripts/dev/garage.sh on port 3980; BENCH_S3=0 leaves it out).
#
# The benchmark database comes from scripts/lib/bench-db.sh (shared with
# pg-restore.sh): SHAPE=mixed (default: pgbench plus two wide text/jsonb
# tables) or plain, at BENCH_SCALE (default 30, a few hundred MB of SQL).
# BENCH_VS=floor times only pg-backup, its `pg_dump > /dev/null` floor and
# `pg_dump | pigz` (the same compression on every core, nothing else;
# scripts/bench/pg-versions.sh, on every PostgreSQL version); with
# BENCH_CONTROL=1 also the floor a second time, whose ratio to the first,
# round by round, is the machine's noise on a ratio of two identical
# commands (pg-versions.sh turns it on). Uses
# $DATABASE_URL's server, else a throwaway cluster in target/bench-pg.
# Prints each median, pg-backup's ratio to each, and pg-backup's peak memory
# (RSS).
set -eu
cd "$(dirname "$0")/../.."

need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }
}
need hyperfine hyperfine
need pigz pigz
need jq jq
[ -x /usr/bin/time ] || need /usr/bin/time time
cargo build --release -q -p pg-backup
tool="$PWD/target/release/pg-backup"
s3=${BENCH_S3:-1}
if [ "$s3" = 1 ]; then
    sh scripts/deps/garage.sh
    sh scripts/deps/awscli.sh
    aws="$PWD/target/venv-awscli/bin/aws"
fi

started=""
# PG_MAJOR=N runs the throwaway server and the clients of that version
# (target/pg/N from scripts/deps/postgres.sh), each version its own cluster.
pgdir=target/bench-pg${PG_MAJOR:+-$PG_MAJOR}
if [ -z "${DATABASE_URL:-}" ]; then
    DATABASE_URL=$(scripts/pg-throwaway.sh start "$pgdir")
    started=yes
fi
cleanup() {
    if [ -n "$started" ]; then scripts/pg-throwaway.sh stop "$pgdir"; fi
    if [ "$s3" = 1 ]; then GARAGE_DEV_PORT=3980 sh scripts/dev/garage.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT INT TERM

# The connection reaches every client through PG* variables, so no password
# appears on a command line (hyperfine prints its commands).
. scripts/lib/pg-env.sh
pg_env_from_url "$DATABASE_URL" bin-first
unset DATABASE_URL

runs=${BENCH_RUNS:-5}
level=6
work=target/bench/pg-backup
rm -rf "$work/out"
mkdir -p "$work/out/pgb"
. scripts/lib/bench-db.sh
bench_db_ensure
export PGDATABASE="$db"
plain=$(pg_dump | wc -c)
echo "== $db: $((plain / 1048576)) MiB of plain SQL; $(nproc) cores; gzip level $level; $runs runs each"

set -- -n 'pg_dump > /dev/null' "pg_dump > /dev/null" \
    -n 'pg_dump | pigz' "pg_dump | pigz -$level > $work/out/pigz.sql.gz" \
    -n 'pg-backup' "$tool --quiet --dir $work/out/pgb --prefix bench --compress-level $level --keep-days 0 --keep-min 1"
if [ "${BENCH_VS:-all}" != floor ]; then
    set -- "$@" -n 'pg_dump | gzip' "pg_dump | gzip -$level > $work/out/gzip.sql.gz" \
        -n 'pg_dump -Fc' "pg_dump -Fc > $work/out/custom.dump"
fi
if [ "$s3" = 1 ]; then
    # Credentials reach both clients through AWS_* variables (none on a
    # command line); a fresh cluster per run of this script.
    GARAGE_DEV_PORT=3980 sh scripts/dev/garage.sh reset >/dev/null 2>&1 || true
    eval "$(GARAGE_DEV_PORT=3980 sh scripts/dev/garage.sh start --nodes 3)"
    set -- "$@" \
        -n 'pg_dump | gzip | aws s3 cp' "pg_dump | gzip -$level | $aws s3 cp --only-show-errors - s3://shipshape/aws/bench.sql.gz" \
        -n 'pg-backup --to s3' "$tool --quiet --to s3://shipshape/pgb --prefix bench --compress-level $level --keep-days 0 --keep-min 1"
fi
if [ "${BENCH_VS:-all}" = floor ] && [ "${BENCH_CONTROL:-0}" = 1 ]; then
    set -- "$@" -n 'pg_dump > /dev/null (again)' "pg_dump > /dev/null"
fi
if [ "${BENCH_VS:-all}" = floor ]; then
    # Alternated rounds (scripts/lib/rounds.sh), ratios to the floor per round.
    . scripts/lib/rounds.sh
    bench_rounds "$work" "$runs" ":" "$@"
    echo
    server=$(psql -X -At -d postgres -c 'SHOW server_version')
    bench_summary "$work" "$runs" 'pg_dump > /dev/null' "$db on PostgreSQL $server" \
        "$work/summary-$db-${PG_MAJOR:-server}.json"
    echo "  goal: pg-backup <= 1.1x 'pg_dump > /dev/null'"
    exit 0
fi
hyperfine --warmup 1 --runs "$runs" --export-json "$work/hyperfine.json" "$@"

/usr/bin/time -v "$tool" --quiet --dir "$work/out/pgb" --prefix bench --compress-level "$level" \
    --keep-days 0 --keep-min 1 2> "$work/time.txt"
rss_kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
if [ "$s3" = 1 ]; then
    /usr/bin/time -v "$tool" --quiet --to s3://shipshape/pgb --prefix bench --compress-level "$level" \
        --keep-days 0 --keep-min 1 2> "$work/time-s3.txt"
    rss_s3_kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time-s3.txt")
fi

echo
echo "== medians (seconds) and pg-backup's ratio to each"
jq -r '.results as $r | ($r[] | select(.command == "pg-backup") | .median) as $pb |
    $r[] | "\(.command)\t\(.median * 1000 | round / 1000)\t\($pb / .median * 100 | round / 100)x"' \
    "$work/hyperfine.json" | awk -F'\t' '{ printf "  %-22s %8.3f s   pg-backup = %s\n", $1, $2, $3 }'
echo
echo "== sizes"
ls -l "$work/out"/*.sql.gz "$work/out"/*.dump "$work/out"/pgb/*.sql.gz 2>/dev/null |
    awk '{ printf "  %-60s %8.1f MiB\n", $9, $5 / 1048576 }'
echo
echo "== pg-backup peak RSS: $((rss_kib / 1024)) MiB (goal: under 64 MiB)"
echo "== goals: pg-backup <= 0.6x 'pg_dump | gzip' and <= 1.25x 'pg_dump > /dev/null'"
if [ "$s3" = 1 ]; then
    echo
    echo "== off-site: medians and 'pg-backup --to s3''s ratio to each"
    jq -r '.results as $r | ($r[] | select(.command == "pg-backup --to s3") | .median) as $pb |
        $r[] | "\(.command)\t\(.median * 1000 | round / 1000)\t\($pb / .median * 100 | round / 100)x"' \
        "$work/hyperfine.json" | awk -F'\t' '{ printf "  %-28s %8.3f s   pg-backup --to s3 = %s\n", $1, $2, $3 }'
    echo "== pg-backup --to s3 peak RSS: $((rss_s3_kib / 1024)) MiB (goal: under 64 MiB)"
    echo "== goals: pg-backup --to s3 <= 1.2x 'pg_dump > /dev/null' and faster than 'pg_dump | gzip | aws s3 cp'"
fi
