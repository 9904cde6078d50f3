fn main() -> std::process::ExitCode {
    shipshape_core::run::main(alert_lint::run)
}
