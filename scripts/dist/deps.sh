#!/bin/sh
# What `make dist-check` needs beyond Rust, installed idempotently from
# Debian's packages: debootstrap (a bookworm tree to install the .deb in) and
# lintian (Debian's package checker). Returns at once when both are there.
set -eu

missing=""
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing="$missing debootstrap"
command -v lintian >/dev/null 2>&1 || missing="$missing lintian"
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "dist deps: apt-get not found; install$missing by hand" >&2
    exit 2
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "dist deps: not root and no sudo; install$missing by hand" >&2
        exit 2
    fi
fi
echo "dist deps: installing$missing from Debian's packages" >&2
# shellcheck disable=SC2086 # $missing is a list of package names
$sudo apt-get install -y --no-install-recommends $missing >/dev/null ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends $missing >/dev/null; }
