//! pg-backup, pg-restore or migrate-check, by the name this executable is
//! run under.

fn main() -> std::process::ExitCode {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    let name = std::path::Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name == "pg-restore" {
        shipshape_core::run::main(pg_restore::run)
    } else if name == "pg-backup" {
        shipshape_core::run::main(shipshape_backup::run)
    } else if name == "migrate-check" {
        shipshape_core::run::main(migrate_check::run)
    } else {
        // Not a user-facing program: only the tests run it, through symlinks.
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "run me as pg-backup, pg-restore or migrate-check (a symlink), not as {name:?}"
            );
        }
        std::process::ExitCode::from(2)
    }
}
