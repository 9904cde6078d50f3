#!/bin/sh
# Where pg-backup's time goes beyond its `pg_dump > /dev/null` floor, in
# CPU: runs the floor and pg-backup alternately (BENCH_RUNS rounds, default
# 5, the order reversed every other round) and reports each run's wall time
# and the CPU-seconds the whole machine was busy meanwhile (/proc/stat:
# server backends, pg_dump, pg-backup and anything else; steal time, which
# is another VM's, is not counted), with the medians.
#
# On a machine whose cores the dump already keeps busy, pg-backup cannot
# end sooner than (its run's busy CPU-seconds) / (cores): what it adds —
# compression, the snapshot's row counts, the verification pass — shows up
# there even when the wall times are too noisy to tell. BENCH_LEVELS (default
# "6") times pg-backup at each gzip level given.
#
# The database is pg-backup.sh's (scripts/lib/bench-db.sh: SHAPE,
# BENCH_SCALE), created here if that script has not run on DATABASE_URL's
# server yet. Linux only.
#
# On PostgreSQL 18 the floor also gets help from the server's I/O workers
# (io_method=worker, the default), which read the tables on the second core
# that pg-backup's compression needs; the header names the io_method, and
# `ALTER SYSTEM SET io_method = 'sync'` plus a restart shows the difference.
set -eu
cd "$(dirname "$0")/../.."
cargo build --release -q -p pg-backup
: "${DATABASE_URL:?set DATABASE_URL to the server scripts/bench/pg-backup.sh used}"
. scripts/lib/pg-env.sh
pg_env_from_url "$DATABASE_URL" bin-first
unset DATABASE_URL
. scripts/lib/bench-db.sh
bench_db_ensure
export PGDATABASE="$db"
tool="$PWD/target/release/pg-backup"
out=target/bench/pg-backup-floor
rm -rf "$out"
mkdir -p "$out/pgb"

# busy NAME CMD...: run CMD, append "NAME start end busy_ticks" to
# $out/runs (busy: user + nice + system + irq + softirq clock ticks).
busy() {
    _name=$1
    shift
    read -r _ u n s _ _ x y _ < /proc/stat
    _t0=$(date +%s.%N)
    "$@" >/dev/null
    _t1=$(date +%s.%N)
    read -r _ u2 n2 s2 _ _ x2 y2 _ < /proc/stat
    echo "$_name $_t0 $_t1 $(((u2 + n2 + s2 + x2 + y2) - (u + n + s + x + y)))" >> "$out/runs"
}

floor() { busy floor sh -c 'pg_dump > /dev/null'; }
levels() {
    for level in ${BENCH_LEVELS:-6}; do
        busy "pg-backup-$level" "$tool" --quiet --dir "$out/pgb" --prefix bench \
            --compress-level "$level" --keep-days 0 --keep-min 1
    done
}
for round in $(seq 1 "${BENCH_RUNS:-5}"); do
    if [ $((round % 2)) = 1 ]; then floor; levels; else levels; floor; fi
done

python3 - "$out/runs" "$(nproc)" "$(getconf CLK_TCK)" "$(psql -X -At -d postgres -c "SELECT current_setting('server_version') || coalesce(' (io_method ' || current_setting('io_method', true) || ')', '')")" <<'PY'
import statistics, sys
runs, cores, tck, server = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
by = {}
for line in open(runs):
    name, start, end, ticks = line.split()
    by.setdefault(name, []).append((float(end) - float(start), int(ticks) / tck))
print(f"== PostgreSQL {server}, {cores} cores: medians of {len(by['floor'])} alternated runs")
floor = statistics.median(w for w, _ in by["floor"])
for name, rs in by.items():
    wall = statistics.median(w for w, _ in rs)
    busy = statistics.median(b for _, b in rs)
    print(f"  {name:14} wall {wall:6.3f} s ({wall / floor:4.2f}x floor)   busy {busy:5.2f} CPU-s"
          f"   so at least {busy / cores:6.3f} s on {cores} cores ({busy / cores / floor:4.2f}x floor)")
PY
