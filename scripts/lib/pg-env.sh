# Sourced by the demo scripts: pg_env_from_url URL exports libpq's PG*
# variables (PGUSER, PGPASSWORD, PGHOST, PGPORT) from a postgres:// URL, so
# psql, createdb and pg_dump get the connection without a password on their
# command line, and puts the newest PostgreSQL client binaries on PATH —
# after what is there, or first with a second argument `bin-first` (the
# benchmarks: the real programs, not Debian's wrapper scripts).
# Handles the URLs scripts/pg-throwaway.sh prints (no percent-encoding).
pg_env_from_url() {
    _rest=${1#*://}
    _userinfo=${_rest%%@*}
    _hostport=${_rest#*@}
    _hostport=${_hostport%%/*}
    export PGUSER="${_userinfo%%:*}"
    case "$_userinfo" in *:*) export PGPASSWORD="${_userinfo#*:}" ;; esac
    export PGHOST="${_hostport%%:*}"
    case "$_hostport" in *:*) export PGPORT="${_hostport##*:}" ;; esac
    # PG_MAJOR=N: the build scripts/deps/postgres.sh installed (the same
    # one scripts/pg-throwaway.sh started), else the system's newest.
    if [ -n "${PG_MAJOR:-}" ] && [ -x "$PWD/target/pg/$PG_MAJOR/bin/psql" ]; then
        _bindir="$PWD/target/pg/$PG_MAJOR/bin"
    else
        _bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -1)
    fi
    if [ -n "$_bindir" ]; then
        if [ "${2:-}" = bin-first ]; then PATH="$_bindir:$PATH"; else PATH="$PATH:$_bindir"; fi
        export PATH
    fi
    unset _rest _userinfo _hostport _bindir
}
