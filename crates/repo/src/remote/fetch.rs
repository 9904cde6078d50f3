//! Reading an off-site backup back: the object is streamed once, its
//! stored bytes hashed and counted, and (when it is encrypted and an
//! identity is at hand) decrypted on the way into a spool file in a
//! private temporary directory, which the same checks as a local backup
//! then read. Memory stays bounded; the spool needs the backup's size on
//! the temporary file system (TMPDIR).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;

use crate::crypt::{CryptError, Decryption};
use crate::remote::Store;
use crate::remote::inventory::RemoteEntry;
use anyhow::Context as _;
use shipshape_pg::archive::HashingReader;
use shipshape_pg::manifest::Manifest;

/// A private temporary directory for downloaded backups, removed on drop.
pub struct Spool {
    dir: tempfile::TempDir,
}

impl Spool {
    /// A new directory in TMPDIR, mode 0700, named `<tool>-spool-…`.
    pub fn new(tool: &str) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{tool}-spool-"))
            .tempdir()
            .context("cannot create a temporary directory for the download (TMPDIR)")?;
        Ok(Self { dir })
    }

    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// A problem with the stored object.
#[derive(Debug, Clone)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
    pub help: &'static str,
}

/// A downloaded backup.
#[derive(Debug)]
pub struct Fetched {
    pub stored_sha256: String,
    pub stored_bytes: u64,
    /// The plain (decrypted) backup in the spool; `None` when it is
    /// encrypted and no identity was given, or when reading failed.
    pub plain: Option<PathBuf>,
    /// The manifest as it describes the plain file.
    pub plain_manifest: Manifest,
    pub problems: Vec<Problem>,
}

impl Fetched {
    /// Remove the spooled file now (the directory goes with the spool).
    pub fn remove(&self) {
        if let Some(path) = &self.plain {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The manifest of the plain backup an encrypted object holds.
pub fn plain_manifest(entry: &RemoteEntry) -> Manifest {
    let mut m = entry.manifest.clone();
    m.file = entry.name.plain_file_name();
    if let Some(enc) = &entry.manifest.encryption {
        m.sha256.clone_from(&enc.plain_sha256);
        m.compressed_bytes = enc.plain_bytes;
    }
    m
}

/// Download `entry` into `spool`, decrypting when it is encrypted and
/// `decryption` can; errors are only for local failures (the spool).
pub fn download(
    store: &Store,
    entry: &RemoteEntry,
    decryption: &Decryption,
    spool: &Spool,
) -> anyhow::Result<Fetched> {
    let url = store.url().join(&entry.file);
    let mut fetched = Fetched {
        stored_sha256: String::new(),
        stored_bytes: 0,
        plain: None,
        plain_manifest: plain_manifest(entry),
        problems: Vec::new(),
    };
    let reader = match store.reader(&entry.file) {
        Ok(reader) => reader,
        Err(err) => {
            fetched.problems.push(Problem {
                code: "unreadable",
                message: err.to_string(),
                help: "check the store and the key's read permission",
            });
            return Ok(fetched);
        }
    };
    let mut hashing = HashingReader::new(reader);
    let encrypted = entry.manifest.encryption.is_some() || entry.name.encrypted;
    let plain_path = spool.dir.path().join(entry.name.plain_file_name());
    let copied = if !encrypted {
        copy_to(&mut hashing, &plain_path)
    } else if decryption.is_empty() {
        std::io::copy(&mut hashing, &mut std::io::sink())
            .map(|_| false)
            .map_err(CopyError::Read)
    } else {
        let recipients = entry
            .manifest
            .encryption
            .as_ref()
            .map(|e| e.recipients.clone())
            .unwrap_or_default();
        match decryption.reader(&mut hashing, &url, &recipients) {
            Ok(mut plain) => copy_to(&mut plain, &plain_path),
            Err(err) => Err(CopyError::Decrypt(err)),
        }
    };
    // Whatever happened, read the rest so the stored checksum is complete.
    let _ = std::io::copy(&mut hashing, &mut std::io::sink());
    (fetched.stored_sha256, fetched.stored_bytes) = hashing.finish();
    match copied {
        Ok(true) => fetched.plain = Some(plain_path),
        Ok(false) => {}
        Err(CopyError::Write(err)) => {
            return Err(err)
                .with_context(|| format!("cannot spool {url} to {}", plain_path.display()));
        }
        Err(CopyError::Read(err)) => fetched.problems.push(Problem {
            code: "unreadable",
            message: format!("{url}: {err}"),
            help: "check the store; retry",
        }),
        Err(CopyError::Decrypt(err)) => fetched.problems.push(Problem {
            code: match err {
                CryptError::WrongIdentity { .. } | CryptError::NoIdentity { .. } => {
                    "wrong-identity"
                }
                _ => "corrupt",
            },
            message: err.to_string(),
            help: "do not restore from this object until it decrypts",
        }),
    }
    stored_findings(entry, &url, &mut fetched);
    Ok(fetched)
}

/// Size and SHA-256 of the stored bytes against the manifest.
fn stored_findings(entry: &RemoteEntry, url: &str, fetched: &mut Fetched) {
    let m = &entry.manifest;
    if fetched.stored_bytes != m.compressed_bytes {
        fetched.problems.push(Problem {
            code: "size-mismatch",
            message: format!(
                "{url}: {} bytes stored, the manifest records {}",
                fetched.stored_bytes, m.compressed_bytes
            ),
            help: "the object was truncated or replaced; restore an older backup",
        });
    } else if fetched.stored_sha256 != m.sha256 {
        fetched.problems.push(Problem {
            code: "checksum-mismatch",
            message: format!(
                "{url}: SHA-256 of the stored bytes is {}, the manifest records {}",
                fetched.stored_sha256, m.sha256
            ),
            help: "the object was damaged or replaced; restore an older backup",
        });
    }
}

enum CopyError {
    Read(std::io::Error),
    Write(std::io::Error),
    Decrypt(CryptError),
}

/// Copy `from` into a new private file; `Ok(true)` when complete.
fn copy_to(from: &mut dyn Read, path: &std::path::Path) -> Result<bool, CopyError> {
    let file = File::create(path).map_err(CopyError::Write)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(CopyError::Read(err)),
        };
        out.write_all(&buf[..n]).map_err(CopyError::Write)?;
    }
    out.flush().map_err(CopyError::Write)?;
    Ok(true)
}
