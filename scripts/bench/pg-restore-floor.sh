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
# floor / (gunzip | psql); compare with the issue's 0.80x goal.
#
# Needs what scripts/bench/pg-restore.sh leaves (run it first, with the same
# DATABASE_URL): the database bench_backup_<scale> and its dump in
# target/bench/pg-restore. COPY from a server-side file needs a superuser (or
# pg_read_server_files) and the server on this machine.
set -eu
cd "$(dirname "$0")/../.."

: "${DATABASE_URL:?set DATABASE_URL to the server scripts/bench/pg-restore.sh used}"
scale=${BENCH_SCALE:-30}
db=bench_backup_$scale
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
trap 'rm -rf "$work"; dropdb --if-exists floor_bench 2>/dev/null; dropdb --if-exists floor_psql 2>/dev/null' EXIT INT TERM
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
    for table in docs pgbench_accounts pgbench_branches pgbench_tellers; do
        [ -f "$work/$table.part$1" ] && args="$args -c \"COPY public.$table FROM '$work/$table.part$1'\""
    done
    eval psql -X -q -d floor_bench "$args"
}
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
    psql -X -q -d floor_bench -c "ALTER TABLE ONLY public.docs ADD CONSTRAINT docs_pkey PRIMARY KEY (id)" \
        -c "ALTER TABLE ONLY public.pgbench_branches ADD CONSTRAINT pgbench_branches_pkey PRIMARY KEY (bid)" \
        -c "ALTER TABLE ONLY public.pgbench_tellers ADD CONSTRAINT pgbench_tellers_pkey PRIMARY KEY (tid)" \
        -c "ANALYZE public.docs" -c "ANALYZE public.pgbench_branches" -c "ANALYZE public.pgbench_tellers" \
        -c "ANALYZE public.pgbench_history" &
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
    echo "$t0 $t1 $t2 $t3 $t4 $t5" | awk '{ printf "%.3f %.3f %.3f %.3f %.3f\n", $2-$1, $3-$2, $4-$3, $4-$1, $6-$5 }' | tee -a "$work/results"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$1" '{ print $c }' "$work/results" | median; }
data=$(col 1); index=$(col 2); analyze=$(col 3); floor=$(col 4); psql_time=$(col 5)
echo
echo "== medians (s): data $data, index $index, analyze $analyze; floor $floor; gunzip|psql $psql_time"
echo "$floor $psql_time" | awk '{ printf "floor / (gunzip -c | psql) = %.2fx (the goal for pg-restore, which does more: <= 0.80x)\n", $1 / $2 }'
echo "ratios per round:"
awk '{ printf "  %.2fx", $4 / $5 } END { print "" }' "$work/results"
