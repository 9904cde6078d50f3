#!/bin/sh
# The docs tests verify contrib/systemd/ with `systemd-analyze verify`
# (Debian's `systemd` package). Install it when missing; without it that one
# test says it was skipped. Returns at once when the command is there.
set -eu

command -v systemd-analyze >/dev/null 2>&1 && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "integrations deps: apt-get not found; install systemd-analyze by hand (the unit-file check is skipped without it)" >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "integrations deps: not root and no sudo; the unit-file check will be skipped" >&2
        exit 0
    fi
fi
echo "integrations deps: installing Debian's systemd for systemd-analyze" >&2
$sudo apt-get install -y -q --no-install-recommends systemd >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q --no-install-recommends systemd >/dev/null 2>&1; } \
    || echo "integrations deps: could not install systemd; the unit-file check will be skipped" >&2
