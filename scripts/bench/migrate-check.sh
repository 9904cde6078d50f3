#!/bin/sh
# migrate-check side by side with the plain alternative, in one hyperfine run:
#
#   psql ups + downs     every .up.sql with `psql -1 -f`, then every .down.sql
#                        in reverse (what a Makefile or test_migrations.py does)
#   migrate-check        prerequisites, history, upgrade, stairway (up, down, up
#                        again around every migration, with three catalog
#                        snapshots each), reset (down to base, up to head) and
#                        lock hints, in its own throwaway database
#
# on a generated history of BENCH_MIGRATIONS (default 200) updown migrations:
# tables with identity keys, foreign keys, indexes, partial indexes, enums,
# views, functions and triggers, added columns. Uses $DATABASE_URL's server,
# else a throwaway cluster in target/bench-pg. Prints both medians and the
# ratio; the goal is a ratio of at most 3 (the stairway runs every migration
# three times).
set -eu
cd "$(dirname "$0")/../.."

if ! command -v hyperfine >/dev/null 2>&1; then
    apt-get install -y hyperfine >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }
fi
[ -x target/release/migrate-check ] || cargo build --release -p migrate-check
tool="$PWD/target/release/migrate-check"

started=""
if [ -z "${DATABASE_URL:-}" ]; then
    DATABASE_URL=$(scripts/pg-throwaway.sh start target/bench-pg)
    started=yes
fi
cleanup() {
    dropdb --if-exists bench_migrate_plain >/dev/null 2>&1 || true
    if [ -n "$started" ]; then scripts/pg-throwaway.sh stop target/bench-pg; fi
}
trap cleanup EXIT INT TERM

# The connection reaches both sides through PG* variables, so no password
# appears on a command line (hyperfine prints its commands).
. scripts/lib/pg-env.sh
pg_env_from_url "$DATABASE_URL" bin-first
export PGDATABASE=postgres
unset DATABASE_URL

count=${BENCH_MIGRATIONS:-200}
work=target/bench/migrate-check
dir="$work/migrations-$count"
if [ ! -f "$dir/.complete" ]; then
    echo "== generating $count updown migrations in $dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    i=1
    while [ "$i" -le "$count" ]; do
        v=$(printf '%014d' $((20240000000000 + i)))
        up="$dir/${v}_step_$i.up.sql"
        down="$dir/${v}_step_$i.down.sql"
        case $((i % 5)) in
        1)
            {
                echo "CREATE TABLE t$i (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());"
                echo "CREATE INDEX t${i}_created_idx ON t$i (created_at);"
            } > "$up"
            echo "DROP TABLE t$i;" > "$down"
            ;;
        2)
            p=$((i - 1))
            {
                echo "CREATE TYPE s$i AS ENUM ('draft', 'active', 'archived');"
                echo "CREATE TABLE t$i (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, parent_id bigint NOT NULL REFERENCES t$p (id), status s$i NOT NULL DEFAULT 'draft');"
                echo "CREATE INDEX t${i}_active_idx ON t$i (parent_id) WHERE status = 'active';"
            } > "$up"
            printf 'DROP TABLE t%s;\nDROP TYPE s%s;\n' "$i" "$i" > "$down"
            ;;
        3)
            p=$((i - 2))
            echo "ALTER TABLE t$p ADD COLUMN note_$i text, ADD COLUMN score_$i integer NOT NULL DEFAULT 0;" > "$up"
            echo "ALTER TABLE t$p DROP COLUMN note_$i, DROP COLUMN score_$i;" > "$down"
            ;;
        4)
            p=$((i - 3))
            echo "CREATE VIEW v$i AS SELECT id, name, created_at FROM t$p WHERE created_at > now() - interval '30 days';" > "$up"
            echo "DROP VIEW v$i;" > "$down"
            ;;
        0)
            p=$((i - 4))
            {
                echo "CREATE FUNCTION touch_$i() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN NEW.created_at := now(); RETURN NEW; END; \$\$;"
                echo "CREATE TRIGGER t${p}_touch_$i BEFORE UPDATE ON t$p FOR EACH ROW EXECUTE FUNCTION touch_$i();"
            } > "$up"
            printf 'DROP TRIGGER t%s_touch_%s ON t%s;\nDROP FUNCTION touch_%s();\n' "$p" "$i" "$p" "$i" > "$down"
            ;;
        esac
        i=$((i + 1))
    done
    touch "$dir/.complete"
fi

# The plain way: each file in its own transaction, one psql per file.
plain="$work/plain.sh"
cat > "$plain" <<EOF
#!/bin/sh
set -eu
for f in \$(ls $dir/*.up.sql | sort); do psql -X -q -v ON_ERROR_STOP=1 -1 -d bench_migrate_plain -f "\$f" >/dev/null; done
for f in \$(ls $dir/*.down.sql | sort -r); do psql -X -q -v ON_ERROR_STOP=1 -1 -d bench_migrate_plain -f "\$f" >/dev/null; done
EOF

echo "== sanity: migrate-check passes on the generated history"
"$tool" --quiet "$dir"

hyperfine --warmup 1 --runs "${BENCH_RUNS:-5}" --export-json "$work/result.json" \
    --prepare "dropdb --if-exists bench_migrate_plain && createdb bench_migrate_plain" \
    -n "psql ups + downs" "sh $plain" \
    -n "migrate-check" "$tool --quiet $dir"

python3 - "$work/result.json" <<'EOF'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
plain = results["psql ups + downs"]["median"]
check = results["migrate-check"]["median"]
print(f"median: psql ups + downs {plain:.2f} s, migrate-check {check:.2f} s")
print(f"ratio migrate-check / plain psql: {check / plain:.2f} (goal: at most 3)")
EOF
