#!/bin/sh
# pg-restore side by side with what teams use today, in one hyperfine run:
#
#   gunzip -c f.sql.gz | psql      the restore_db.sh way (plain SQL, one connection)
#   pg_restore -j2 f.dump          custom-format archive, two connections
#   pg-restore f.sql.gz            verify + restore beside + checks + swap (default --jobs)
#   pg-restore DIR/<pg-backup file>      the same through a pg-backup file and manifest
#   pg-restore s3://…/<same backup>      download + stored checksum + spool, then the same
#                                  (a three-node Garage cluster here, scripts/dev/garage.sh
#                                  on port 3990; BENCH_S3=0 leaves the last two out)
#
# The benchmark database is pg-backup's, bench_backup_<scale>: pgbench at a
# scale giving a few hundred MB of plain SQL (BENCH_SCALE, default 30, about
# 350 MB), plus a table with text and jsonb. It is created here with the same
# recipe as scripts/bench/pg-backup.sh when that script has not run yet, and
# left in place as that script does. Uses $DATABASE_URL's server, else a
# throwaway cluster in target/bench-pg. Prints each median and the ratios.
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

scale=${BENCH_SCALE:-30}
work=target/bench/pg-restore
mkdir -p "$work"
db=bench_backup_$scale
if ! psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    # Keep this recipe identical to scripts/bench/pg-backup.sh.
    echo "== creating the benchmark database $db (pgbench scale $scale + docs table)"
    createdb "$db"
    pgbench -i -q -s "$scale" "$db" >/dev/null 2>&1
    psql -X -q -d "$db" -c "CREATE TABLE docs AS SELECT g AS id, md5(g::text) || repeat(' lorem ipsum', 20) AS body,
        jsonb_build_object('id', g, 'tags', jsonb_build_array('a', 'b', g % 7), 'note', md5((g * 7)::text)) AS meta
        FROM generate_series(1, 200000 * $scale / 30) g; ALTER TABLE docs ADD PRIMARY KEY (id);"
    psql -X -q -d "$db" -c "VACUUM ANALYZE"
fi
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
hyperfine --runs "${BENCH_RUNS:-3}" --prepare "$prepare" --export-json "$work/results.json" "$@"
sh -c "$prepare"

median() {
    jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$work/results.json"
}
if command -v jq >/dev/null 2>&1; then
    psql_t=$(median 'gunzip -c | psql')
    pgr_t=$(median 'pg_restore -j2')
    tool_t=$(median 'pg-restore')
    echo
    echo "== medians (s): gunzip|psql $psql_t, pg_restore -j2 $pgr_t, pg-restore $tool_t"
    awk -v a="$tool_t" -v b="$psql_t" 'BEGIN { printf "pg-restore / (gunzip -c | psql) = %.2fx (goal <= 0.80x)\n", a / b }'
    awk -v a="$tool_t" -v b="$pgr_t" 'BEGIN { printf "pg-restore / (pg_restore -j2)  = %.2fx\n", a / b }'
    if [ "$s3" = 1 ]; then
        local_t=$(median 'pg-restore pg-backup file')
        s3_t=$(median 'pg-restore s3://')
        awk -v a="$s3_t" -v b="$local_t" 'BEGIN { printf "pg-restore s3:// / pg-restore local file = %.2fx (goal <= 1.15x)\n", a / b }'
    fi
fi
