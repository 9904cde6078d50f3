#!/bin/sh
# Benchmark: alert-lint (every check) against `promtool check rules` on the
# same large generated rule corpus, side by side in one hyperfine run.
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

python3 - <<'EOF'
import json
r = json.load(open("target/bench/alert-lint/hyperfine.json"))["results"]
t = {x["command"]: x["mean"] for x in r}
p, a = t["promtool check rules"], t["alert-lint (all checks)"]
print(f"promtool: {p*1000:.1f} ms   alert-lint: {a*1000:.1f} ms   ratio alert-lint/promtool: {a/p:.2f}x")
EOF
