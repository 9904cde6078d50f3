#!/bin/sh
# pg-restore and pg-backup against their real-world alternatives on every
# PostgreSQL major version, one throwaway cluster per version (the builds of
# scripts/deps/postgres.sh under target/pg/N, server and clients alike):
#
#   pg-restore.sh  SHAPE=plain and SHAPE=mixed: pg-restore against
#                  `gunzip -c | psql` (and `pg_restore -j2`), alternated rounds
#   pg-backup.sh   SHAPE=mixed, BENCH_VS=floor: pg-backup against its
#                  `pg_dump > /dev/null` floor
#
# MAJORS (default "14 15 16 17 18"), BENCH_RUNS (rounds, default 5) and
# BENCH_SCALE pass through. The object store is left out (BENCH_S3=0): it
# does not depend on the server's version. Prints one markdown table per
# tool, for docs/benchmarks.md; the details stay in target/bench/.
set -eu
cd "$(dirname "$0")/../.."
cargo build --release -q -p pg-restore -p pg-backup
sh scripts/deps/postgres.sh

majors=${MAJORS:-14 15 16 17 18}
scale=${BENCH_SCALE:-30}
out=target/bench/pg-versions
mkdir -p "$out"
started=""
cleanup() { if [ -n "$started" ]; then scripts/pg-throwaway.sh stop "$started"; fi; }
trap cleanup EXIT INT TERM

for major in $majors; do
    dir=target/bench-pg-$major
    url=$(PG_MAJOR=$major scripts/pg-throwaway.sh start "$dir")
    started=$dir
    for shape in plain mixed; do
        echo "=== PostgreSQL $major, pg-restore, shape $shape"
        DATABASE_URL=$url PG_MAJOR=$major SHAPE=$shape BENCH_S3=0 sh scripts/bench/pg-restore.sh |
            tee "$out/pg-restore-$major-$shape.txt"
        cp "target/bench/pg-restore/summary-bench_${shape}_$scale-$major.json" "$out/"
    done
    echo "=== PostgreSQL $major, pg-backup"
    DATABASE_URL=$url PG_MAJOR=$major SHAPE=mixed BENCH_S3=0 BENCH_VS=floor sh scripts/bench/pg-backup.sh |
        tee "$out/pg-backup-$major.txt"
    cp target/bench/pg-backup/hyperfine.json "$out/pg-backup-$major.json"
    scripts/pg-throwaway.sh stop "$dir"
    started=""
done

python3 - "$out" "$scale" $majors <<'PY'
import json, os, statistics, sys
out, scale, majors = sys.argv[1], sys.argv[2], sys.argv[3:]
print("\n| PostgreSQL | shape | `gunzip -c \\| psql` | `pg_restore -j2` | pg-restore | pg-restore / psql, median | per round (worst) |")
print("|---|---|---|---|---|---|---|")
for major in majors:
    for shape in ("plain", "mixed"):
        s = json.load(open(f"{out}/summary-bench_{shape}_{scale}-{major}.json"))
        m, r = s["medians"], s["ratio"]["pg-restore"]
        rounds = " ".join(f"{x:.2f}" for x in r["rounds"])
        print(f"| {s['server']} | {shape} | {m['gunzip -c | psql']:.2f} s | {m['pg_restore -j2']:.2f} s "
              f"| {m['pg-restore']:.2f} s | **{r['median']:.2f}×** | {rounds} ({max(r['rounds']):.2f}×) |")
print("\n| PostgreSQL | `pg_dump > /dev/null` | pg-backup | pg-backup / floor (median) | min – max of pg-backup |")
print("|---|---|---|---|---|")
for major in majors:
    res = {r["command"]: r for r in json.load(open(f"{out}/pg-backup-{major}.json"))["results"]}
    floor, pgb = res["pg_dump > /dev/null"], res["pg-backup"]
    print(f"| {major} | {floor['median']:.2f} s | {pgb['median']:.2f} s | **{pgb['median'] / floor['median']:.2f}×** "
          f"| {min(pgb['times']):.2f} – {max(pgb['times']):.2f} s |")
PY
