// A run is allocation-bound (YAML trees, rule models, one compiled regex per
// PromQL matcher): mimalloc takes about a fifth off its CPU time
// (docs/alert-lint.md, Speed).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    shipshape_core::run::main(alert_lint::run)
}
