fn main() -> std::process::ExitCode {
    shipshape_core::run::main(migrate_check::run)
}
