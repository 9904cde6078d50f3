#!/bin/sh
# validate-env's differential tests read the same .env fixtures with the
# real readers its dialects model and compare: python-dotenv (in a
# virtualenv under target/, never the system Python) and @next/env (npm,
# under target/). Quick when both are already there.
set -eu
cd "$(dirname "$0")/../.."
venv="${VALIDATE_ENV_VENV:-target/validate-env-venv}"
node_dir="${VALIDATE_ENV_NODE:-target/validate-env-node}"
python="${PYTHON:-python3}"

if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import dotenv' 2>/dev/null; then
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "validate-env deps: $python not found; install Python 3 (Debian/Ubuntu: apt-get install python3 python3-venv)" >&2
        exit 1
    fi
    echo "validate-env deps: creating $venv with python-dotenv" >&2
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'python-dotenv>=1.0,<2'
fi

if ! [ -f "$node_dir/node_modules/@next/env/package.json" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "validate-env deps: npm not found; install Node.js (Debian/Ubuntu: apt-get install nodejs npm)" >&2
        exit 1
    fi
    echo "validate-env deps: installing @next/env into $node_dir" >&2
    mkdir -p "$node_dir"
    npm install --silent --no-audit --no-fund --prefix "$node_dir" '@next/env@16' >/dev/null
fi
