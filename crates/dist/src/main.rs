//! `shipshape-dist OUT_DIR`: write shell completions (bash, zsh, fish) and
//! man pages for every tool into OUT_DIR/completions and OUT_DIR/man. Run by
//! `make dist`; each tool's clap definition is the single source.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::CommandFactory;
use clap_complete::Shell;

fn main() -> anyhow::Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/dist"), PathBuf::from);
    let commands = [
        validate_env::Cli::command(),
        shipshape_backup::Cli::command(),
        pg_restore::Cli::command(),
        migrate_check::Cli::command(),
        alert_lint::Cli::command(),
    ];
    for command in commands {
        write_for(command, &out)?;
    }
    Ok(())
}

fn write_for(mut command: clap::Command, out: &Path) -> anyhow::Result<()> {
    let name = command.get_name().to_owned();
    let completions = out.join("completions");
    fs_err::create_dir_all(&completions)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut command, &name, &completions)
            .with_context(|| format!("writing {shell} completions for {name}"))?;
    }
    let man = out.join("man");
    fs_err::create_dir_all(&man)?;
    clap_mangen::generate_to(command, &man)
        .with_context(|| format!("writing man pages for {name}"))?;
    Ok(())
}
