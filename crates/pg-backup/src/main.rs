fn main() -> std::process::ExitCode {
    shipshape_core::run::main(shipshape_backup::run)
}
