# Sourced by the database benchmarks: commands timed side by side in
# alternated rounds on this noisy machine.
#
#   bench_rounds WORK ROUNDS PREPARE -n NAME CMD -n NAME CMD ...
#       ROUNDS hyperfine runs of one run each, every command once per round,
#       the order rotating from round to round (a slow minute then lands on
#       every command alike); PREPARE runs before each command; results in
#       WORK/round-N.json.
#   bench_summary WORK ROUNDS BASE LABEL SUMMARY_JSON
#       each command's median, min and max, and each other command's ratio
#       to BASE by medians and per round (the worst round too); the same
#       written to SUMMARY_JSON for scripts/bench/pg-versions.sh.
bench_rounds() {
    _work=$1 _rounds=$2 _prepare=$3
    shift 3
    rm -f "$_work"/round-*.json
    for _round in $(seq 1 "$_rounds"); do
        echo "== round $_round of $_rounds"
        hyperfine --runs 1 --prepare "$_prepare" --export-json "$_work/round-$_round.json" --style basic "$@" |
            grep -E '^(Benchmark|  Time)' || true
        # Rotate: the first command moves to the end.
        _name=$2 _cmd=$3
        shift 3
        set -- "$@" -n "$_name" "$_cmd"
    done
    sh -c "$_prepare"
}

bench_summary() {
    python3 - "$@" <<'PY'
import json, statistics, sys
work, rounds, base_name, label, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
times = {}
for r in range(1, rounds + 1):
    for res in json.load(open(f"{work}/round-{r}.json"))["results"]:
        times.setdefault(res["command"], []).append(res["times"][0])
base = times[base_name]
print(f"== {label}: {rounds} alternated rounds (seconds)")
for name, ts in times.items():
    print(f"  {name:30} median {statistics.median(ts):7.3f}   min {min(ts):7.3f}   max {max(ts):7.3f}")
summary = {"label": label, "rounds": rounds, "times": times,
           "medians": {n: statistics.median(ts) for n, ts in times.items()}, "ratio": {}}
for name, ts in times.items():
    if name == base_name:
        continue
    per_round = [t / b for t, b in zip(ts, base)]
    med = statistics.median(ts) / statistics.median(base)
    print(f"  {name} / ({base_name}): median {med:.2f}x, per round "
          + " ".join(f"{x:.2f}" for x in per_round) + f" (worst {max(per_round):.2f}x)")
    summary["ratio"][name] = {"median": med, "rounds": per_round}
json.dump(summary, open(out, "w"), indent=1)
PY
}
