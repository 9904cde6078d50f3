//! `pg-backup keygen --output FILE`: a new age identity for encrypting
//! off-site backups, in the format `age-keygen` writes (so `age`, `rage`
//! and pg-restore all read it), created 0600 and never over an existing
//! file. The public key (what `--encrypt-to` takes on the database host)
//! is printed on stdout; the private key only ever goes to FILE.

use std::io::Write as _;
use std::path::Path;

use age::secrecy::ExposeSecret as _;
use anyhow::Context as _;
use shipshape_core::{ExitCode, Printer};

use crate::fsx;

pub fn run(printer: &Printer, output: &Path, post_quantum: bool) -> anyhow::Result<ExitCode> {
    let (secret, public) = if post_quantum {
        let identity = age::pq::Identity::generate();
        (
            identity.to_string().expose_secret().to_owned(),
            identity.to_public().to_string(),
        )
    } else {
        // Classic X25519: what age-keygen writes by default and every age
        // implementation reads (age 0.13 prefers post-quantum keys).
        #[allow(deprecated)]
        let identity = age::x25519::Identity::generate();
        #[allow(deprecated)]
        let public = identity.to_public().to_string();
        (identity.to_string().expose_secret().to_owned(), public)
    };
    let created = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let mut file = fsx::create_exclusive(output).with_context(|| {
        format!(
            "keygen never overwrites a key: {} exists or cannot be created",
            output.display()
        )
    })?;
    writeln!(
        file,
        "# created: {created}\n# public key: {public}\n{secret}"
    )
    .and_then(|()| file.sync_all())
    .with_context(|| format!("cannot write {}", output.display()))?;
    printer.status(&format!(
        "wrote the identity (private key) to {}: keep it off the database host; pg-restore and \
         `pg-backup verify` need it (--identity)",
        output.display()
    ));
    printer.data(&format!("{public}\n"))?;
    Ok(ExitCode::Ok)
}
