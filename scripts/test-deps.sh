#!/bin/sh
# Install what the tests need beyond Rust, idempotently: each tool that needs
# something ships scripts/deps/<tool>.sh (e.g. Alembic in a virtualenv under
# target/, promtool and amtool from Debian). Each script must be quick when
# everything is already there.
set -eu
cd "$(dirname "$0")/.."
for script in scripts/deps/*.sh; do
    [ -e "$script" ] || continue
    sh "$script"
done
