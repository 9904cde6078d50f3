#!/bin/sh
# pg-restore side by side with what teams use today, in alternated rounds:
#
#   gunzip -c f.sql.gz | psql      the restore_db.sh way (plain SQL, one connection)
#   pg_restore -j2 f.dump          custom-format archive, two connections
#   pg-restore f.sql.gz            verify + restore beside + checks + swap (default --jobs)
#   pg-restore DIR/<pg-backup file>      the same through a pg-backup file and manifest
#   pg-restore s3://…/<same backup>      download + stored checksum + spool, then the same
#                                  (a three-node Garage cluster here, scripts/dev/garage.sh
#                                  on port 3990; BENCH_S3=0 leaves the last two out)
#
# The benchmark database comes from scripts/lib/bench-db.sh, shared with
# scripts/bench/pg-backup.sh: SHAPE=plain (pgbench alone, one dominant table),
# SHAPE=mixed (the default: pgbench plus two wide text/jsonb tables) or
# SHAPE=indexed (mixed with six more indexes, two of them GIN), at
# BENCH_SCALE (default 30, a few hundred MB of SQL); left in place for the
# next run. PG_MAJOR=N runs a throwaway cluster and the clients of that
# version (target/pg/N); $DATABASE_URL's server instead when set.
# BENCH_RUNS alternated rounds (default 5), one run of each command per
# round; BENCH_ALSO="--jobs 1;--jobs 3" adds pg-restore with those options.
# BENCH_CONTROL=1 adds `gunzip -c | psql` a second time, into a database of
# its own: its ratio to the first, round by round, is the machine's noise on
# a ratio of two identical commands (scripts/bench/pg-versions.sh turns it on).
# Prints each median, min and max, and pg-restore's ratio to psql per round.
set -eu
cd "$(dirname "$0")/../.."

if ! command -v hyperfine >/dev/null 2>&1; then
    apt-get install -y hyperfine >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }
fi
command -v jq >/dev/null 2>&1 || apt-get install -y jq >/dev/null 2>&1 || true
# Always build: a stale binary would measure old code (a no-op when fresh).
cargo build --release -q -p pg-restore -p pg-backup
tool="$PWD/target/release/pg-restore"
s3=${BENCH_S3:-1}
[ "$s3" = 1 ] && sh scripts/deps/garage.sh

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
    if [ "$s3" = 1 ]; then GARAGE_DEV_PORT=3990 sh scripts/dev/garage.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT INT TERM

# The connection goes to the clients through PG* variables, so no password
# appears on a command line (hyperfine prints its commands).
. scripts/lib/pg-env.sh
pg_env_from_url "$DATABASE_URL" bin-first
unset DATABASE_URL

work=target/bench/pg-restore
mkdir -p "$work"
. scripts/lib/bench-db.sh
bench_db_ensure
# Dumped on every run (a few seconds), so the inputs always match the database.
echo "== dumping $db"
pg_dump "$db" | gzip > "$work/$db.sql.gz"
pg_dump -Fc "$db" > "$work/$db.dump"
gz="$work/$db.sql.gz"
dump="$work/$db.dump"
echo "== inputs: $(du -h "$gz" | cut -f1) $gz ($(gunzip -c "$gz" | wc -c | awk '{printf "%.0f MB", $1/1e6}') of SQL), $(du -h "$dump" | cut -f1) $dump"

# Each run starts from a checkpoint: a restore writes about 1 GB of WAL, and a
# checkpoint left running by the previous run would land on the next one.
prepare="dropdb --if-exists bench_psql; dropdb --if-exists bench_pgr; dropdb --if-exists bench_tool; psql -X -q -d postgres -c CHECKPOINT"
set -- -n 'gunzip -c | psql' "createdb bench_psql && gunzip -c $gz | psql -X -q -v ON_ERROR_STOP=1 -d bench_psql >/dev/null" \
    -n 'pg_restore -j2' "createdb bench_pgr && pg_restore -j2 --exit-on-error -d bench_pgr $dump" \
    -n 'pg-restore' "$tool --yes --quiet --target bench_tool $gz"
if [ "${BENCH_CONTROL:-0}" = 1 ]; then
    prepare="$prepare; dropdb --if-exists bench_psql_again"
    set -- "$@" -n 'gunzip -c | psql (again)' "createdb bench_psql_again && gunzip -c $gz | psql -X -q -v ON_ERROR_STOP=1 -d bench_psql_again >/dev/null"
fi
# Variants for comparing plans, each restoring into a database of its own.
also=${BENCH_ALSO:-}
n=0
while [ -n "$also" ]; do
    opts=${also%%;*}
    case "$also" in *\;*) also=${also#*;} ;; *) also="" ;; esac
    n=$((n + 1))
    prepare="$prepare; dropdb --if-exists bench_tool$n"
    set -- "$@" -n "pg-restore $opts" "$tool --yes --quiet --target bench_tool$n $opts $gz"
done
if [ "$s3" = 1 ]; then
    # One pg-backup run writes the same backup locally and to the store.
    GARAGE_DEV_PORT=3990 sh scripts/dev/garage.sh reset >/dev/null 2>&1 || true
    eval "$(GARAGE_DEV_PORT=3990 sh scripts/dev/garage.sh start --nodes 3)"
    rm -rf "$work/pgb"
    PGDATABASE="$db" "$PWD/target/release/pg-backup" --quiet --dir "$work/pgb" --to s3://shipshape/restore --prefix bench
    local_file=$(ls "$work/pgb"/bench_*.sql.gz)
    remote_file="s3://shipshape/restore/$(basename "$local_file")"
    prepare="$prepare; dropdb --if-exists bench_local; dropdb --if-exists bench_s3"
    set -- "$@" \
        -n 'pg-restore pg-backup file' "$tool --yes --quiet --target bench_local $local_file" \
        -n 'pg-restore s3://' "$tool --yes --quiet --target bench_s3 $remote_file"
fi
# Alternated rounds (scripts/lib/rounds.sh): the goal is pg-restore <= 1.0x
# psql in every round, not only by median.
. scripts/lib/rounds.sh
rounds=${BENCH_RUNS:-5}
bench_rounds "$work" "$rounds" "$prepare" "$@"
echo
server=$(psql -X -At -d postgres -c 'SHOW server_version')
bench_summary "$work" "$rounds" 'gunzip -c | psql' "$db on PostgreSQL $server" \
    "$work/summary-$db-${PG_MAJOR:-server}.json"
if [ "$s3" = 1 ]; then
    jq -r '.medians | "  pg-restore s3:// / pg-restore local file: median \(."pg-restore s3://" / ."pg-restore pg-backup file" * 100 | round / 100)x (goal <= 1.15x)"' \
        "$work/summary-$db-${PG_MAJOR:-server}.json"
fi
echo "  goals: pg-restore <= 1.0x psql in every round; <= 0.85x on the mixed shape on PostgreSQL 16+"
