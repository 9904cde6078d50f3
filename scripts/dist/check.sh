#!/bin/sh
# make dist-check: install target/dist/shipshape_*.deb into a fresh Debian
# bookworm tree (debootstrap, run once and cached as a tarball under
# target/dist-check/), run each tool's --version and --help there, read
# `man pg-backup`, check where the completions and units landed, remove the
# package and check that `dpkg -r` left no file behind. Then lintian.
#
# Exit 0 ok, 1 a check failed, 2 cannot start (not root, no .deb), 3
# debootstrap failed. Needs root (debootstrap, chroot). DEBIAN_MIRROR overrides the mirror;
# DIST_CHECK_SUITE the release (default bookworm). `rm -rf target/dist-check`
# forgets the cached tree.
set -eu
cd "$(dirname "$0")/../.."

TOOLS="validate-env pg-backup pg-restore migrate-check alert-lint"
SUITE=${DIST_CHECK_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=target/dist-check
# man-db for `man`; nothing else beyond minbase, so the .deb's Depends are tested.
INCLUDE=man-db
TREE_TAR="$CACHE/$SUITE-minbase-$INCLUDE.tar"
ROOT="$CACHE/root"

say() { echo "dist-check: $*" >&2; }
fail() { echo "dist-check: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "dist-check: needs root (debootstrap, chroot)" >&2; exit 2; }
set -- target/dist/shipshape_*.deb
[ -f "$1" ] || { echo "dist-check: no target/dist/shipshape_*.deb; run make dist" >&2; exit 2; }
[ $# = 1 ] || { echo "dist-check: more than one .deb in target/dist/: $*" >&2; exit 2; }
deb=$1
sh scripts/dist/deps.sh

cleanup() {
    for m in "$ROOT/proc" "$ROOT/dev/pts" "$CACHE/build/proc" "$CACHE/build/sys"; do
        if mountpoint -q "$m" 2>/dev/null; then umount "$m" || true; fi
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! [ -f "$TREE_TAR" ]; then
    say "debootstrap $SUITE (minbase + $INCLUDE) from $MIRROR, cached as $TREE_TAR"
    cleanup # a debootstrap killed half-way leaves its /proc and /sys mounted
    rm -rf --one-file-system "$CACHE/build"
    mkdir -p "$CACHE"
    if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$CACHE/build" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
        tail -n 20 "$CACHE/debootstrap.log" >&2
        echo "dist-check: debootstrap failed (full log: $CACHE/debootstrap.log)" >&2
        exit 3
    fi
    rm -rf "$CACHE/build/var/cache/apt/archives/"*.deb
    tar -C "$CACHE/build" -cf "$TREE_TAR.tmp" .
    mv "$TREE_TAR.tmp" "$TREE_TAR"
    cleanup
    rm -rf --one-file-system "$CACHE/build"
fi

say "fresh $SUITE tree in $ROOT"
cleanup
rm -rf --one-file-system "$ROOT"
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$TREE_TAR"
mount -t proc proc "$ROOT/proc"
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }

# Every file and directory outside dpkg's and man-db's own bookkeeping.
snapshot() {
    (cd "$ROOT" && find . -xdev \
        \( -path ./proc -o -path ./tmp -o -path ./var/lib/dpkg -o -path ./var/log \
        -o -path ./var/cache/man -o -path ./var/cache/debconf -o -path ./run \) -prune \
        -o -print) | LC_ALL=C sort
}
snapshot >"$CACHE/before.txt"

# The archive's binaries, as someone without dpkg would run them (in /tmp,
# outside the snapshot).
host=$(rustc -vV | sed -n 's/^host: //p')
set -- target/dist/shipshape-*-"$host".tar.gz
[ -f "$1" ] || fail "no target/dist/shipshape-*-$host.tar.gz"
mkdir -p "$ROOT/tmp/archive"
tar -C "$ROOT/tmp/archive" --strip-components=1 -xzf "$1"
for tool in $TOOLS; do
    in_root "/tmp/archive/bin/$tool" --version >/dev/null || fail "the archive's $tool --version exited $? on $SUITE"
done
say "the archive's binaries run on $SUITE ($(in_root ldd --version | sed -n '1s/.* //p'))"

say "dpkg -i ${deb##*/}"
cp "$deb" "$ROOT/tmp/"
in_root dpkg -i "/tmp/${deb##*/}" >"$CACHE/dpkg-install.log" 2>&1 ||
    { cat "$CACHE/dpkg-install.log" >&2; fail "dpkg -i"; }

in_root dpkg --verify shipshape >&2 || fail "dpkg --verify shipshape (md5sums) reported the files above"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
for tool in $TOOLS; do
    out=$(in_root "$tool" --version) || fail "$tool --version exited $?"
    # tool 0.1.0 (commit 0123456789ab, built 2026-12-06)
    echo "$out" | grep -Eq "^$tool $version \(commit [0-9a-f]{7,12}, built [0-9]{4}-[0-9]{2}-[0-9]{2}\)$" ||
        fail "$tool --version printed '$out', not '$tool $version (commit HASH, built DATE)'"
    say "  $out"
    in_root "$tool" --help >/dev/null || fail "$tool --help exited $?"
    rc=0
    in_root "$tool" --no-such-flag >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "$tool --no-such-flag exited $rc, not 2 (usage error)"
    for f in "/usr/share/man/man1/$tool.1.gz" "/usr/share/bash-completion/completions/$tool" \
        "/usr/share/zsh/vendor-completions/_$tool" "/usr/share/fish/vendor_completions.d/$tool.fish"; do
        [ -f "$ROOT$f" ] || fail "$f is not installed"
    done
done
page=$(in_root env MANPAGER=cat MAN_DISABLE_SECCOMP=1 man pg-backup 2>&1) || fail "man pg-backup: $page"
echo "$page" | grep -q "pg-backup" || fail "man pg-backup printed no page"
say "  man pg-backup: $(echo "$page" | wc -l) lines"
for unit in pg-backup.service pg-backup.timer pg-backup-verify.service pg-backup-verify.timer; do
    [ -f "$ROOT/lib/systemd/system/$unit" ] || fail "$unit is not installed"
done
grep -q '^ExecStart=/usr/bin/pg-backup ' "$ROOT/lib/systemd/system/pg-backup.service" ||
    fail "pg-backup.service does not run /usr/bin/pg-backup"
if [ -n "$(find "$ROOT/etc/systemd" -name 'pg-backup*' 2>/dev/null)" ]; then
    fail "a pg-backup unit is enabled: $(find "$ROOT/etc/systemd" -name 'pg-backup*')"
fi

say "dpkg -r shipshape"
in_root dpkg -r shipshape >"$CACHE/dpkg-remove.log" 2>&1 ||
    { cat "$CACHE/dpkg-remove.log" >&2; fail "dpkg -r"; }
snapshot >"$CACHE/after.txt"
if ! diff -u "$CACHE/before.txt" "$CACHE/after.txt" >"$CACHE/leftovers.diff"; then
    cat "$CACHE/leftovers.diff" >&2
    fail "dpkg -r left files behind (or removed some)"
fi
status=$(in_root dpkg-query -W -f='${db:Status-Abbrev}' shipshape 2>/dev/null || true)
case "$status" in "" | "un "* | "pn "*) ;; *) fail "after dpkg -r, dpkg still lists shipshape: $status" ;; esac

say "lintian"
if ! lintian --fail-on error,warning --suppress-tags-from-file scripts/dist/lintian-overrides "$deb" >"$CACHE/lintian.log" 2>&1; then
    grep -v '^running with root privileges' "$CACHE/lintian.log" >&2
    fail "lintian (errors and warnings fail; scripts/dist/lintian-overrides lists accepted tags)"
fi
grep -v '^running with root privileges' "$CACHE/lintian.log" | sed 's/^/dist-check:   /' >&2 || true

cleanup
rm -rf --one-file-system "$ROOT"
say "ok: the .deb installs, runs, reads its man page and removes cleanly on $SUITE"
