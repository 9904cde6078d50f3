#!/bin/sh
# validate-env's differential tests read the same .env fixtures with the
# real readers its dialects model and compare: python-dotenv (in a
# virtualenv under target/, never the system Python) and @next/env (npm,
# under target/). Quick when both are already there.
#
# Both are pinned: a new release can read a file differently (python-dotenv
# 1.2.4 read `KEY= #c` as empty where 1.2.2 read `#c`), and the tests must
# compare against the version the dialects follow. Bump a pin together with
# the dialect, docs/validate-env.md and PINNED_* in
# crates/validate-env/tests/readers.rs.
set -eu
cd "$(dirname "$0")/../.."
venv="${VALIDATE_ENV_VENV:-target/validate-env-venv}"
node_dir="${VALIDATE_ENV_NODE:-target/validate-env-node}"
python="${PYTHON:-python3}"
python_dotenv_version=1.2.4
next_env_version=16.5.0

installed_python_dotenv() {
    "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("python-dotenv"))' 2>/dev/null || true
}

if ! [ -x "$venv/bin/python" ] || [ "$(installed_python_dotenv)" != "$python_dotenv_version" ]; then
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "validate-env deps: $python not found; install Python 3 (Debian/Ubuntu: apt-get install python3 python3-venv)" >&2
        exit 1
    fi
    echo "validate-env deps: installing python-dotenv $python_dotenv_version into $venv" >&2
    mkdir -p "$(dirname "$venv")"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "python-dotenv==$python_dotenv_version"
fi

package_json="$node_dir/node_modules/@next/env/package.json"
if ! [ -f "$package_json" ] || ! grep -q "\"version\": \"$next_env_version\"" "$package_json"; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "validate-env deps: npm not found; install Node.js (Debian/Ubuntu: apt-get install nodejs npm)" >&2
        exit 1
    fi
    echo "validate-env deps: installing @next/env $next_env_version into $node_dir" >&2
    mkdir -p "$node_dir"
    npm install --silent --no-audit --no-fund --save-exact --prefix "$node_dir" "@next/env@$next_env_version" >/dev/null
fi
