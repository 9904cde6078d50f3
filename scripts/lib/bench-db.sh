# Sourced by scripts/bench/pg-backup.sh, pg-restore.sh and their floors: the benchmark
# database, one recipe for both, in three shapes (SHAPE, default mixed):
#
#   plain  pgbench at BENCH_SCALE (default 30): one dominant table,
#          pgbench_accounts (3 M rows at scale 30, about 87% of the data);
#   mixed  the same plus two wide tables of text and jsonb, `docs` and
#          `events` (200,000 rows each at scale 30), as a web service's
#          database looks: several large tables, not one;
#   indexed  mixed plus the indexes such a database grows: two more b-tree
#          indexes on pgbench_accounts, one on events, a GIN index on each
#          jsonb column and an expression index (the same data, a longer
#          index step).
#
# bench_db_name sets $db to the database's name, bench_<shape>_<scale>.
# bench_db_ensure also creates it once (psql, createdb and pgbench must
# reach the server through PG* variables); it is left in place for the next
# run.
bench_db_name() {
    shape=${SHAPE:-mixed}
    scale=${BENCH_SCALE:-30}
    case "$shape" in
    plain | mixed | indexed) ;;
    *) echo "error: SHAPE=$shape: expected plain, mixed or indexed" >&2; exit 2 ;;
    esac
    db=bench_${shape}_$scale
}

bench_db_ensure() {
    bench_db_name
    if psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        return 0
    fi
    echo "== creating the benchmark database $db (pgbench scale $scale, shape $shape)" >&2
    createdb "$db"
    pgbench -i -q -s "$scale" "$db" >/dev/null 2>&1
    if [ "$shape" != plain ]; then
        rows=$((200000 * scale / 30))
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<EOF
CREATE TABLE docs AS SELECT g AS id, md5(g::text) || repeat(' lorem ipsum', 20) AS body,
    jsonb_build_object('id', g, 'tags', jsonb_build_array('a', 'b', g % 7), 'note', md5((g * 7)::text)) AS meta
    FROM generate_series(1, $rows) g;
ALTER TABLE docs ADD PRIMARY KEY (id);
CREATE TABLE events AS SELECT g AS id, timestamptz '2026-01-01' + g * interval '1 second' AS at,
    'user-' || (g % 5000) AS actor,
    jsonb_build_object('path', '/api/items/' || g, 'status', 200 + g % 5,
        'headers', jsonb_build_object('agent', repeat('Mozilla/5.0 ', 4), 'ip', '10.0.' || g % 250 || '.' || g % 7),
        'items', jsonb_build_array(g, g * 2, g * 3)) AS payload,
    repeat(md5(g::text), 3) AS trace
    FROM generate_series(1, $rows) g;
ALTER TABLE events ADD PRIMARY KEY (id);
CREATE INDEX events_actor_at ON events (actor, at);
EOF
    fi
    if [ "$shape" = indexed ]; then
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<EOF
CREATE INDEX accounts_bid ON pgbench_accounts (bid);
CREATE INDEX accounts_abalance_aid ON pgbench_accounts (abalance, aid);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_payload ON events USING gin (payload);
CREATE INDEX docs_meta ON docs USING gin (meta);
CREATE INDEX docs_body_md5 ON docs (md5(body));
EOF
    fi
    psql -X -q -d "$db" -c "VACUUM ANALYZE"
}
