#!/bin/sh
# Benchmark: validate-env (parse, every lint, the portability readings and
# full schema validation) against dotenv-linter (lints only) on the same
# generated file of VARS variables (default 10,000), side by side in one
# hyperfine run. Prints the ratio dotenv-linter/validate-env.
#
# The file mixes the value shapes real .env files have — integers, booleans,
# URLs, e-mail addresses, comma lists, quoted strings with spaces and random
# secrets — with keys in sorted order so neither tool reports anything; the
# schema declares every variable with a type and rules.
set -eu
cd "$(dirname "$0")/../.."

VARS="${VARS:-10000}"
RUNS="${RUNS:-20}"
dir="target/bench/validate-env"

if ! command -v hyperfine >/dev/null 2>&1; then
    apt-get install -y hyperfine >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }
fi
if ! command -v dotenv-linter >/dev/null 2>&1; then
    cargo install --locked dotenv-linter >&2
fi
cargo build --release -p validate-env >&2
bin="$PWD/target/release/validate-env"

rm -rf "$dir"
mkdir -p "$dir"
python3 - "$dir" "$VARS" <<'EOF'
import random, string, sys
out, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
alnum = string.ascii_letters + string.digits
def rnd(k): return "".join(random.choice(alnum) for _ in range(k))
env, schema = [], ['[settings]\nenvironments = ["production"]\n']
for i in range(n):
    kind = i % 7
    key = f"SERVICE_{i:05d}_" + ["PORT", "ENABLED", "URL", "EMAIL", "HOSTS", "LABEL", "TOKEN"][kind]
    if kind == 0:
        value, rules = str(1024 + i % 60000), 'type = "port"'
    elif kind == 1:
        value, rules = random.choice(["true", "false"]), 'type = "bool"'
    elif kind == 2:
        value, rules = f"https://svc{i}.internal.test:8443/api/v1", 'type = "url"\nschemes = ["https"]'
    elif kind == 3:
        value, rules = f"ops{i}@team.internal.test", 'type = "email"'
    elif kind == 4:
        value, rules = f"a{i}.internal.test,b{i}.internal.test", 'type = "list"\nitems = "string"\npattern = "[a-z0-9.-]+"'
    elif kind == 5:
        value, rules = f'"Service {i} label"', 'max_length = 64'
    else:
        value, rules = rnd(40), 'secret = true\nmin_length = 32'
    env.append(f"{key}={value}")
    schema.append(f"[vars.{key}]\nrequired = true\n{rules}\n")
open(f"{out}/bench.env", "w").write("\n".join(env) + "\n")
open(f"{out}/bench.schema.toml", "w").write("\n".join(schema))
EOF

# dotenv-linter 4 has subcommands (`check`) and looks for updates over the
# network unless told not to; 3.x takes the files directly.
if dotenv-linter --help 2>/dev/null | grep -q '^ *check'; then
    linter="dotenv-linter check --quiet --skip-updates"
else
    linter="dotenv-linter --quiet --skip-updates"
fi
cd "$dir"
echo "validate-env $("$bin" --version | cut -d' ' -f2), $(dotenv-linter --version), $VARS variables, $(wc -c < bench.env) bytes" >&2
# Both must find nothing in the generated file (else the timing is of error reporting).
"$bin" --no-config --schema bench.schema.toml --env production --quiet bench.env >&2
$linter bench.env >&2
hyperfine --warmup 3 --runs "$RUNS" -N --export-json hyperfine.json \
    -n validate-env "$bin --no-config --schema bench.schema.toml --env production bench.env" \
    -n dotenv-linter "$linter bench.env"
python3 - <<'EOF'
import json
r = {x["command"]: x for x in json.load(open("hyperfine.json"))["results"]}
v, d = r["validate-env"]["mean"], r["dotenv-linter"]["mean"]
print(f"validate-env {v*1000:.1f} ms, dotenv-linter {d*1000:.1f} ms: dotenv-linter/validate-env = {d/v:.2f}")
EOF
