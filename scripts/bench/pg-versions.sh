#!/bin/sh
# pg-restore and pg-backup against their real-world alternatives on every
# PostgreSQL major version, one throwaway cluster per version (the builds of
# scripts/deps/postgres.sh under target/pg/N, server and clients alike):
#
#   pg-restore.sh  SHAPE=plain and SHAPE=mixed (BENCH_SHAPES, e.g. "mixed
#                  indexed"): pg-restore against `gunzip -c | psql` (and
#                  `pg_restore -j2`), alternated rounds, with psql run twice
#                  in each round as a control (BENCH_CONTROL=0 leaves it
#                  out): how far apart two identical commands land
#   pg-backup.sh   SHAPE=mixed, BENCH_VS=floor: pg-backup against its
#                  `pg_dump > /dev/null` floor and `pg_dump | pigz -6`,
#                  the floor run twice as a control
#
# MAJORS (default "14 15 16 17 18"), BENCH_TOOLS (default "pg-restore
# pg-backup"), BENCH_RUNS (rounds, default 5) and
# BENCH_SCALE pass through. The object store is left out (BENCH_S3=0): it
# does not depend on the server's version. Prints one markdown table per
# tool, for docs/benchmarks.md; the details stay in target/bench/.
set -eu
cd "$(dirname "$0")/../.."
cargo build --release -q -p pg-restore -p pg-backup
sh scripts/deps/postgres.sh

majors=${MAJORS:-14 15 16 17 18}
tools=${BENCH_TOOLS:-pg-restore pg-backup}
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
    case " $tools " in *" pg-restore "*) shapes=${BENCH_SHAPES:-plain mixed} ;; *) shapes="" ;; esac
    for shape in $shapes; do
        echo "=== PostgreSQL $major, pg-restore, shape $shape"
        DATABASE_URL=$url PG_MAJOR=$major SHAPE=$shape BENCH_S3=0 BENCH_CONTROL=${BENCH_CONTROL:-1} \
            sh scripts/bench/pg-restore.sh |
            tee "$out/pg-restore-$major-$shape.txt"
        cp "target/bench/pg-restore/summary-bench_${shape}_$scale-$major.json" "$out/"
    done
    case " $tools " in *" pg-backup "*) ;; *) scripts/pg-throwaway.sh stop "$dir"; started=""; continue ;; esac
    echo "=== PostgreSQL $major, pg-backup"
    DATABASE_URL=$url PG_MAJOR=$major SHAPE=mixed BENCH_S3=0 BENCH_VS=floor BENCH_CONTROL=${BENCH_CONTROL:-1} \
        sh scripts/bench/pg-backup.sh |
        tee "$out/pg-backup-$major.txt"
    cp "target/bench/pg-backup/summary-bench_mixed_$scale-$major.json" "$out/pg-backup-$major.json"
    scripts/pg-throwaway.sh stop "$dir"
    started=""
done

python3 - "$out" "$scale" "$tools" "${BENCH_SHAPES:-plain mixed}" $majors <<'PY'
import json, os, statistics, sys
out, scale, tools, shapes, majors = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split(), sys.argv[5:]
def control(s, name="gunzip -c | psql (again)"):
    # The baseline's second run against its first, round by round: the noise.
    c = s["ratio"].get(name)
    if not c:
        return "–"
    return " ".join(f"{x:.2f}" for x in c["rounds"]) + f" ({min(c['rounds']):.2f}–{max(c['rounds']):.2f}×)"
if "pg-restore" in tools:
    print("\n| PostgreSQL | shape | `gunzip -c \\| psql` | `pg_restore -j2` | pg-restore | pg-restore / psql, median | per round (worst) | control: psql / psql, per round |")
    print("|---|---|---|---|---|---|---|---|")
    for major in majors:
        for shape in shapes:
            s = json.load(open(f"{out}/summary-bench_{shape}_{scale}-{major}.json"))
            m, r = s["medians"], s["ratio"]["pg-restore"]
            server = s["label"].rsplit(" ", 1)[1]
            rounds = " ".join(f"{x:.2f}" for x in r["rounds"])
            print(f"| {server} | {shape} | {m['gunzip -c | psql']:.2f} s | {m['pg_restore -j2']:.2f} s "
                  f"| {m['pg-restore']:.2f} s | **{r['median']:.2f}×** | {rounds} ({max(r['rounds']):.2f}×) | {control(s)} |")
if "pg-backup" in tools:
    print("\n| PostgreSQL | `pg_dump > /dev/null` | `pg_dump \\| pigz -6` | pg-backup | pg-backup / floor, median | per round (worst) | pg-backup / pigz | control: floor / floor, per round |")
    print("|---|---|---|---|---|---|---|---|")
    for major in majors:
        s = json.load(open(f"{out}/pg-backup-{major}.json"))
        m, r = s["medians"], s["ratio"]["pg-backup"]
        rounds = " ".join(f"{x:.2f}" for x in r["rounds"])
        print(f"| {major} | {m['pg_dump > /dev/null']:.2f} s | {m['pg_dump | pigz']:.2f} s | {m['pg-backup']:.2f} s "
              f"| **{r['median']:.2f}×** | {rounds} ({max(r['rounds']):.2f}×) | {m['pg-backup'] / m['pg_dump | pigz']:.2f}× "
              f"| {control(s, 'pg_dump > /dev/null (again)')} |")
PY
