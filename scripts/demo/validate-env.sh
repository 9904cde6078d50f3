#!/bin/sh
# validate-env on the example stack (fixtures/stack/): what a user sees for
# the placeholder-filled examples, the filled-in copy, a broken copy, the
# dump, the diff and the starter schema. Exits 0 when every command exits
# with the code it should.
set -u
cd "${SHIPSHAPE_ROOT:-$(dirname "$0")/../..}"
stack=fixtures/stack
schema=$stack/env.schema.toml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

# Run a command, show it, and check its exit code.
expect() {
    want=$1
    shift
    echo
    echo "\$ $*"
    "$@"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "!! expected exit $want, got $got"
        status=1
    else
        echo "(exit $got, as expected)"
    fi
}

echo "The example files are full of placeholders: one finding per placeholder, exit 1."
expect 1 validate-env --color never --schema "$schema" "$stack/.env.production.example"

echo
echo "The filled-in copy passes (the environment comes from the file name)."
expect 0 validate-env --color never --schema "$schema" "$stack/.env.production"

echo
echo "A copy with the usual mistakes: the default user, a test Clerk key, http, CORS *,"
echo "a short secret, a '#' in an unquoted password and a typo in a name."
sed -e 's/^POSTGRES_USER=.*/POSTGRES_USER=postgres/' \
    -e 's/^CLERK_SECRET_KEY=sk_live_/CLERK_SECRET_KEY=sk_test_/' \
    -e 's#^NEXT_PUBLIC_API_URL=https://#NEXT_PUBLIC_API_URL=http://#' \
    -e 's#^CORS_ORIGINS=.*#CORS_ORIGINS=https://shipshape-demo.test,*#' \
    -e 's/^CSRF_SECRET=.*/CSRF_SECRET=tooShort123/' \
    -e 's/^REDIS_PASSWORD=APY17yVZ/REDIS_PASSWORD=APY17yVZ$x#/' \
    -e 's/^SENTRY_DSN=/SENTRY_DNS=/' \
    "$stack/.env.production" > "$tmp/.env.production"
expect 1 validate-env --color never --schema "$schema" "$tmp/.env.production"

echo
echo "The same as GitHub Actions annotations:"
expect 1 validate-env --schema "$schema" --format github "$tmp/.env.production"

echo
echo "What docker compose will read (secrets masked):"
expect 0 validate-env dump "$stack/.env.production"

echo
echo "Keys that differ between the example and the real file:"
printf 'NEW_FEATURE_FLAG=true\n' >> "$tmp/.env.production"
expect 1 validate-env diff --color never "$stack/.env.production.example" "$tmp/.env.production"

echo
echo "A starter schema from an example file (first lines):"
validate-env schema --from-example "$stack/.env.production.example" > "$tmp/schema.toml"
code=$?
head -n 16 "$tmp/schema.toml"
[ "$code" -eq 0 ] || { echo "!! schema --from-example exited $code"; status=1; }

exit $status
