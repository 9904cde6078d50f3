#!/bin/sh
# awscli, the S3 client the benchmarks compare pg-backup's off-site upload
# with (`pg_dump | gzip | aws s3 cp - s3://…`) and that tests may use as a
# second, independent S3 client against the Garage store. Installed in a
# virtualenv under target/ (never the system Python), pinned, so a new
# release cannot change what is measured. Silent and quick when present.
#
#   AWSCLI_VENV=target/venv-awscli   where the virtualenv lives
set -eu
cd "$(dirname "$0")/../.."
venv="${AWSCLI_VENV:-target/venv-awscli}"
python="${PYTHON:-python3}"
awscli_version=1.46.2

# The pinned version's dist-info directory, found without starting Python
# (which alone takes longer than the rest of this check).
for dist in "$venv"/lib/python3*/site-packages/awscli-"$awscli_version".dist-info; do
    if [ -d "$dist" ] && [ -x "$venv/bin/aws" ]; then
        exit 0
    fi
done

if ! command -v "$python" >/dev/null 2>&1; then
    echo "awscli deps: $python not found; install Python 3 (Debian/Ubuntu: apt-get install python3 python3-venv)" >&2
    exit 1
fi
echo "awscli deps: installing awscli $awscli_version into $venv" >&2
mkdir -p "$(dirname "$venv")"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "awscli==$awscli_version"
"$venv/bin/aws" --version >/dev/null
