#!/bin/sh
# How fast could any restore of the benchmark dump be on this machine?
#
# Times, alternately with `gunzip -c f.sql.gz | psql` (BENCH_RUNS rounds,
# default 5), only the work the server itself must do in a restore of
# scripts/bench/pg-restore.sh's database, arranged as well as two
# connections allow:
#
#   data     every table's rows read by the server straight from
#            pre-decompressed files (COPY … FROM 'file', no client at all),
#            each table split in two halves loaded on two connections;
#   index    pgbench_accounts' primary key on one connection, the other
#            primary keys and the ANALYZE of the small tables on the other;
#   analyze  ANALYZE pgbench_accounts (it waits for its primary key: their
#            locks conflict).
#
# The sum is a floor for pg-restore, which also verifies the file first and
# decompresses, splits and sends the data itself. Prints the medians and
# floor / (gunzip | psql), and the same with pg-restore's verification
# pass added (it must read the whole file before touching the server).
#
# Needs what scripts/bench/pg-restore.sh leaves (run it first, with the same
# DATABASE_URL, SHAPE and PG_MAJOR): the database bench_<shape>_<scale> and
# its dump in target/bench/pg-restore. COPY from a server-side file needs a superuser (or
# pg_read_server_files) and the server on this machine.
set -eu
cd "$(dirname "$0")/../.."
# pg-restore runs in the same rounds; a stale binary would measure old code.
cargo build --release -q -p pg-restore

: "${DATABASE_URL:?set DATABASE_URL to the server scripts/bench/pg-restore.sh used}"
. scripts/lib/bench-db.sh
bench_db_name
gz="$PWD/target/bench/pg-restore/$db.sql.gz"
[ -f "$gz" ] || { echo "no $gz: run scripts/bench/pg-restore.sh first" >&2; exit 2; }

# Clients through PG* variables, as in pg-restore.sh (no password in argv).
. scripts/lib/pg-env.sh
pg_env_from_url "$DATABASE_URL" bin-first
unset DATABASE_URL
# pg-restore's own sessions run so too.
export PGOPTIONS="-c synchronous_commit=off"

# The rows of every COPY, one file per table, split into two halves; the
# server reads them, so they must be readable by its user.
work=$(mktemp -d /tmp/pg-restore-floor.XXXXXX)
trap 'rm -rf "$work"; for d in floor_bench floor_psql floor_tool; do dropdb --if-exists $d 2>/dev/null; done' EXIT INT TERM
chmod 755 "$work"
gunzip -c "$gz" | awk -v dir="$work" '
    /^COPY public\.[a-z_]+ .* FROM stdin;$/ { split($2, a, "."); out = dir "/" a[2] ".tsv"; n = 0; inside = 1; next }
    inside && /^\\\.$/ { inside = 0; close(out); next }
    inside { print > out }'
for f in "$work"/*.tsv; do
    split -n l/2 -d "$f" "${f%.tsv}.part"
done
chmod -R a+rX "$work"
pg_dump --section=pre-data "$db" > "$work/pre-data.sql"

copy_half() { # $1: part suffix (00 or 01)
    args=""
    for part in "$work"/*.part"$1"; do
        table=$(basename "$part" .part"$1")
        args="$args -c \"COPY public.$table FROM '$part'\""
    done
    eval psql -X -q -d floor_bench "$args"
}
# The post-data section: pgbench_accounts' primary key (the longest build)
# on one connection, everything else and the other tables' ANALYZE on the
# other, then ANALYZE pgbench_accounts (it waits for its key).
pg_dump --section=post-data "$db" | awk '
    /^ALTER TABLE ONLY public.pgbench_accounts$/ { getline next_line; if (next_line ~ /pgbench_accounts_pkey/) next; print; print next_line; next }
    { print }' > "$work/post-data-rest.sql"
for table in $(psql -X -At -d "$db" -c "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname <> 'pgbench_accounts'"); do
    echo "ANALYZE public.$table;" >> "$work/post-data-rest.sql"
done
now() { date +%s.%N; }

: > "$work/results"
for round in $(seq 1 "${BENCH_RUNS:-5}"); do
    dropdb --if-exists floor_bench; dropdb --if-exists floor_psql
    psql -X -q -d postgres -c CHECKPOINT
    createdb floor_bench
    psql -X -q -d floor_bench -f "$work/pre-data.sql" >/dev/null
    t0=$(now)
    copy_half 00 & copy_half 01 & wait
    t1=$(now)
    psql -X -q -d floor_bench -c "ALTER TABLE ONLY public.pgbench_accounts ADD CONSTRAINT pgbench_accounts_pkey PRIMARY KEY (aid)" &
    psql -X -q -d floor_bench -f "$work/post-data-rest.sql" >/dev/null &
    wait
    t2=$(now)
    psql -X -q -d floor_bench -c "ANALYZE public.pgbench_accounts"
    t3=$(now)
    # Out of the way before the baseline, so autovacuum does not work on it then.
    dropdb floor_bench
    psql -X -q -d postgres -c CHECKPOINT
    createdb floor_psql
    t4=$(now)
    gunzip -c "$gz" | psql -X -q -v ON_ERROR_STOP=1 -d floor_psql >/dev/null
    t5=$(now)
    # What pg-restore must add before anything else: reading the whole file
    # once to verify it (`pg-restore list` does the same pass).
    target/release/pg-restore list "$gz" >/dev/null
    t6=$(now)
    # And pg-restore itself, in the same round.
    dropdb floor_psql
    psql -X -q -d postgres -c CHECKPOINT
    t7=$(now)
    target/release/pg-restore --yes --quiet --target floor_tool "$gz"
    t8=$(now)
    dropdb floor_tool
    echo "$t0 $t1 $t2 $t3 $t4 $t5 $t6 $t7 $t8" | awk '{ printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f\n", $2-$1, $3-$2, $4-$3, $4-$1, $6-$5, $7-$6, $9-$8 }' | tee -a "$work/results"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$1" '{ print $c }' "$work/results" | median; }
data=$(col 1); index=$(col 2); analyze=$(col 3); floor=$(col 4); psql_time=$(col 5); verify=$(col 6); tool=$(col 7)
echo
echo "== medians (s): data $data, index $index, analyze $analyze; floor $floor; verification pass $verify; gunzip|psql $psql_time"
echo "$floor $psql_time" | awk '{ printf "server floor / (gunzip -c | psql) = %.2fx\n", $1 / $2 }'
echo "$floor $verify $psql_time" | awk '{ printf "(server floor + verification) / (gunzip -c | psql) = %.2fx (pg-restore also decompresses, cuts and sends the data)\n", ($1 + $2) / $3 }'
echo "$tool $psql_time" | awk '{ printf "pg-restore / (gunzip -c | psql) = %.2fx (pg-restore %.3f s)\n", $1 / $2, $1 }'
echo "per round: (floor + verification) / psql, pg-restore / psql"
awk '{ printf "  %.2fx %.2fx\n", ($4 + $6) / $5, $7 / $5 }' "$work/results"
