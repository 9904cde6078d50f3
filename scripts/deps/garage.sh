#!/bin/sh
# Garage, the S3-compatible distributed object store the off-site backup tests
# (pg-backup --to s3://…, pg-restore --from s3://…) run against. Built once
# from crates.io (about 12 CPU-minutes on 2 cores) and cached as
# target/tools/garage/bin/garage; a run that finds the pinned version there
# returns at once.
#
#   GARAGE_VERSION=2.5.0   the version to build (the tests are written for 2.5)
set -eu
cd "$(dirname "$0")/../.."
version="${GARAGE_VERSION:-2.5.0}"
root=target/tools/garage
bin=$root/bin/garage
stamp=$root/.version

if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
    exit 0
fi

echo "garage deps: building garage $version from crates.io into $root (once; about 12 CPU-minutes)" >&2
# Its own target dir, so the build does not fight the workspace's for the
# cargo lock, and is kept for a rebuild after a failed run.
CARGO_TARGET_DIR=target/tools/garage-build \
    cargo install --quiet --locked "garage@$version" --root "$root" \
    --no-default-features --features bundled-libs,sqlite
echo "$version" >"$stamp"
"$bin" --version >&2 || true
