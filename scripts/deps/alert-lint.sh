#!/bin/sh
# alert-lint's differential tests compare it with the real `promtool` and
# `amtool`. Debian ships them in `prometheus` (2.42) and
# `prometheus-alertmanager` (0.25). Install both when missing; when both
# binaries are on PATH this returns at once.
#
# The packages' postinst scripts try to start the daemons. Inside a container
# without systemd that fails harmlessly; with a policy-rc.d that denies
# starts we make sure no Prometheus or Alertmanager is left running either way.
set -eu

if command -v promtool >/dev/null 2>&1 && command -v amtool >/dev/null 2>&1; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "alert-lint deps: apt-get not found; install promtool and amtool by hand (the differential tests are skipped without them)" >&2
    exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "alert-lint deps: not root and no sudo; differential tests will be skipped" >&2
        exit 0
    fi
fi

echo "alert-lint deps: installing Debian's prometheus and prometheus-alertmanager for promtool/amtool" >&2
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
    # 101 = "action not allowed": invoke-rc.d will not start the daemons.
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    created_policy=yes
fi
cleanup() {
    if [ -n "$created_policy" ]; then $sudo rm -f "$policy"; fi
}
trap cleanup EXIT INT TERM

export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends prometheus prometheus-alertmanager >/dev/null 2>&1; then
    $sudo apt-get update >/dev/null
    $sudo apt-get install -y --no-install-recommends prometheus prometheus-alertmanager >/dev/null
fi

# Belt and braces: if a service manager started the daemons anyway, stop them.
for service in prometheus prometheus-alertmanager; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
        $sudo systemctl stop "$service" || true
    fi
done

promtool --version 2>&1 | head -n 1 >&2
amtool --version 2>&1 | head -n 1 >&2
