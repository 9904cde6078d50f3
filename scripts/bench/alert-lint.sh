#!/bin/sh
# Benchmark: alert-lint (every check) against `promtool check rules` on the
# same files, side by side in one hyperfine run: a large generated rule
# corpus, and a real-world corpus when REAL (default
# target/bench/alert-lint/real) holds rule files — public rule sets are not
# committed (licences); docs/alert-lint.md says how the one measured there
# was assembled. On the real corpus it also runs both tools alternately
# (ROUNDS pairs) for the median and spread of each and their peak memory,
# at 1x, 4x and 16x the corpus (copies) to show how the time grows.
#
# The corpus: FILES rule files (default 300) of RULES rules each (default 12),
# in the shapes real rule sets have — per-service recording rules
# (level:metric:operation), error-ratio, latency, saturation, absent() and
# up alerts with templated annotations. Prints the ratio alert-lint/promtool.
set -eu
cd "$(dirname "$0")/../.."

FILES="${FILES:-300}"
RULES="${RULES:-12}"
RUNS="${RUNS:-10}"
corpus="target/bench/alert-lint/rules"

if ! command -v promtool >/dev/null 2>&1; then
    sh scripts/deps/alert-lint.sh
fi
if ! command -v hyperfine >/dev/null 2>&1; then
    apt-get install -y hyperfine >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }
fi
cargo build --release -p alert-lint >&2
bin="target/release/alert-lint"

# Median ratio of the last hyperfine export.
ratio() {
    python3 - "$1" <<'EOF'
import json, sys
r = json.load(open("target/bench/alert-lint/hyperfine.json"))["results"]
t = {x["command"]: x for x in r}
p, a = t["promtool check rules"], t["alert-lint (all checks)"]
print(f"{sys.argv[1]}: promtool median {p['median']*1000:.1f} ms, alert-lint median {a['median']*1000:.1f} ms, "
      f"ratio {a['median']/p['median']:.2f}x")
EOF
}

rm -rf "$corpus"
mkdir -p "$corpus"
python3 - "$corpus" "$FILES" "$RULES" <<'EOF'
import sys, random
out, files, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(7)
teams = ["payments", "search", "checkout", "identity", "catalog", "billing", "media", "ledger"]
shapes = []

def recording(svc):
    return f"""      - record: job:http_requests:rate5m
        expr: sum by (job, instance) (rate(http_requests_total{{job="{svc}"}}[5m]))
      - record: job:http_errors:rate5m
        expr: sum by (job, instance) (rate(http_requests_total{{job="{svc}", code=~"5.."}}[5m]))
"""

def alerts(svc, team, n):
    out = []
    kinds = [
        ("HighErrorRate", f'job:http_errors:rate5m{{job="{svc}"}} / job:http_requests:rate5m{{job="{svc}"}} > 0.05', "critical",
         "{{ $value | humanizePercentage }} of requests to {{ $labels.job }} on {{ $labels.instance }} fail"),
        ("HighLatency", f'histogram_quantile(0.99, sum by (le, instance) (rate(http_request_duration_seconds_bucket{{job="{svc}"}}[5m]))) > 1.5', "warning",
         "p99 latency of {{ $labels.instance }} is {{ $value | humanizeDuration }}"),
        ("InstanceDown", f'up{{job="{svc}"}} == 0', "critical",
         "{{ $labels.instance }} of {{ $labels.job }} has been down for 5 minutes"),
        ("MetricsAbsent", f'absent(up{{job="{svc}"}})', "warning",
         "no target of job {svc} is being scraped"),
        ("HighMemory", f'process_resident_memory_bytes{{job="{svc}"}} / on(instance) group_left node_memory_MemTotal_bytes > 0.9', "warning",
         "{{ $labels.instance }} uses {{ $value | humanizePercentage }} of memory"),
        ("QueueBacklog", f'sum by (instance, queue) (queue_depth{{job="{svc}", queue!~"dead.*"}}) > 1000', "warning",
         "{{ $labels.queue }} on {{ $labels.instance }} has {{ $value | humanize }} messages"),
        ("ErrorBudgetBurn", f'sum(rate(http_requests_total{{job="{svc}", code=~"5.."}}[1h])) / sum(rate(http_requests_total{{job="{svc}"}}[1h])) > 14.4 * 0.001', "critical",
         "{{ with $value }}{{ . | humanizePercentage }}{{ end }} error budget burn for {svc}"),
        ("CertificateExpiry", f'probe_ssl_earliest_cert_expiry{{job="{svc}"}} - time() < 86400 * 14', "warning",
         "certificate of {{ $labels.instance }} expires in {{ $value | humanizeDuration }}"),
    ]
    for i in range(n):
        name, expr, sev, desc = kinds[i % len(kinds)]
        suffix = "" if i < len(kinds) else str(i // len(kinds))
        out.append(f"""      - alert: {name}{svc.title().replace('-', '')}{suffix}
        expr: {expr}
        for: {random.choice(['2m', '5m', '10m', '15m'])}
        labels:
          severity: {sev}
          team: {team}
        annotations:
          summary: "{name} on {svc}"
          description: "{desc}"
          runbook_url: "https://runbooks.example.com/{svc}/{name.lower()}"
""")
    return "".join(out)

for f in range(files):
    svc = f"service-{f:03d}"
    team = teams[f % len(teams)]
    text = "groups:\n"
    text += f"  - name: {svc}-recording\n    interval: 30s\n    rules:\n" + recording(svc)
    text += f"  - name: {svc}-alerts\n    rules:\n" + alerts(svc, team, max(per - 2, 1))
    with open(f"{out}/{svc}.rules.yml", "w") as fh:
        fh.write(text)
EOF
rules=$(grep -c -E '^      - (alert|record):' "$corpus"/*.yml | awk -F: '{s+=$2} END {print s}')
echo "corpus: $FILES files, $rules rules in $corpus" >&2

# Sanity: both tools must accept the corpus (alert-lint may warn, not fail).
promtool check rules "$corpus"/*.yml >/dev/null
"$bin" --no-config --prometheus-version 2.42 --format json "$corpus" >/dev/null

hyperfine --warmup 2 --runs "$RUNS" --export-json target/bench/alert-lint/hyperfine.json \
    -n "promtool check rules" "promtool check rules $corpus/*.yml" \
    -n "alert-lint (all checks)" "$bin --no-config --prometheus-version 2.42 --format json $corpus"
ratio generated


# The real-world corpus, when present.
REAL="${REAL:-target/bench/alert-lint/real}"
ROUNDS="${ROUNDS:-15}"
if [ -d "$REAL" ] && ls "$REAL"/*.yml >/dev/null 2>&1; then
    for scale in 1 4 16; do
        dir="target/bench/alert-lint/real-x$scale"
        rm -rf "$dir"
        mkdir -p "$dir"
        i=0
        while [ "$i" -lt "$scale" ]; do
            for f in "$REAL"/*.yml; do cp "$f" "$dir/$i-$(basename "$f")"; done
            i=$((i + 1))
        done
        n=$(ls "$dir" | wc -l)
        rules=$(grep -hcE '^ *- (alert|record):' "$dir"/*.yml | awk '{s+=$1} END {print s}')
        echo "real corpus x$scale: $n files, $rules rules" >&2
        # promtool exits 1 on its own lint findings in real rule sets (-i).
        hyperfine -i --warmup 1 --runs "$RUNS" --export-json target/bench/alert-lint/hyperfine.json \
            -n "promtool check rules" "promtool check rules $dir/*.yml" \
            -n "alert-lint (all checks)" "$bin --no-config --format json $dir" >&2
        ratio "real x$scale"
        python3 - "$dir" "$bin" "$ROUNDS" <<'EOF'
import glob, os, statistics, subprocess, sys, time
d, binary, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(glob.glob(f"{d}/*.yml"))
cmds = {"promtool": ["promtool", "check", "rules", *files],
        "alert-lint": [binary, "--no-config", "--format", "json", d]}
times = {k: [] for k in cmds}
peak = {k: 0 for k in cmds}
for _ in range(rounds):
    for name, cmd in cmds.items():  # alternate: one of each per round
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(p.pid, 0)
        times[name].append(time.perf_counter() - start)
        peak[name] = max(peak[name], usage.ru_maxrss)
for name, t in times.items():
    q = statistics.quantiles(t, n=4)
    print(f"  {name}: median {statistics.median(t)*1000:.1f} ms (IQR {q[0]*1000:.1f}-{q[2]*1000:.1f}), peak RSS {peak[name]/1024:.1f} MiB")
ratios = [a / p for a, p in zip(times["alert-lint"], times["promtool"])]
print(f"  alternated ratio alert-lint/promtool: median {statistics.median(ratios):.2f}x (min {min(ratios):.2f}, max {max(ratios):.2f}) over {rounds} pairs")
EOF
    done
else
    echo "no real corpus in $REAL (see docs/alert-lint.md, Speed); generated corpus only" >&2
fi
