fn main() -> std::process::ExitCode {
    shipshape_core::run::main(validate_env::run)
}
