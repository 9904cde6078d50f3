fn main() -> std::process::ExitCode {
    shipshape_core::run::main(pg_restore::run)
}
