#!/bin/sh
# migrate-check's tests drive the real `alembic` command on the fixture
# projects. Install Alembic, SQLAlchemy, psycopg and pydantic-settings (the
# FastAPI template's settings, in fixtures/migrate-check/alembic-settings) into a virtualenv under
# target/ (never into the system Python) when missing; when the virtualenv
# already imports all three this takes well under a second.
set -eu
cd "$(dirname "$0")/../.."
venv="${MIGRATE_CHECK_VENV:-target/migrate-check-venv}"
python="${PYTHON:-python3}"

if [ -x "$venv/bin/alembic" ] &&
    "$venv/bin/python" -c 'import alembic, sqlalchemy, psycopg, pydantic_settings' 2>/dev/null; then
    exit 0
fi

if ! command -v "$python" >/dev/null 2>&1; then
    echo "migrate-check deps: $python not found; install Python 3 (Debian/Ubuntu: apt-get install python3 python3-venv)" >&2
    exit 1
fi
echo "migrate-check deps: creating $venv with alembic, sqlalchemy, psycopg[binary], pydantic-settings" >&2
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    'alembic>=1.12' 'sqlalchemy>=2' 'psycopg[binary]>=3.1' 'pydantic-settings>=2'
"$venv/bin/alembic" --version >&2
