//! Where the compressed dump goes: the local `.partial` file, an upload to
//! an object store (encrypted with age when recipients are given), or both
//! at once. The compressed stream is produced once; each destination gets
//! the same bytes, the upload after encryption. Hashes are taken of what
//! each destination stores, so the manifest of the remote copy holds the
//! checksum of the object as stored, and that of the plain dump.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use shipshape_repo::crypt::Encryption;
use shipshape_repo::remote::upload::{Stored, UploadWriter};

/// What an upload stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteWritten {
    /// SHA-256 and size of the object as stored (encrypted, if it is).
    pub sha256: String,
    pub bytes: u64,
    pub parts: u64,
}

/// A destination of the compressed stream.
pub trait Destination: Write + Send {
    /// Everything written is durable: the file fsynced, every part of the
    /// upload stored (the upload is not completed: see `Upload::complete`).
    fn finish(self: Box<Self>) -> anyhow::Result<Option<RemoteWritten>>;
    /// For error messages.
    fn label(&self) -> String;
}

/// The local `.partial` file.
pub struct LocalFile {
    out: BufWriter<File>,
    path: PathBuf,
}

impl LocalFile {
    pub fn new(file: File, path: PathBuf) -> Self {
        Self {
            out: BufWriter::with_capacity(1 << 20, file),
            path,
        }
    }
}

impl Write for LocalFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl Destination for LocalFile {
    fn finish(self: Box<Self>) -> anyhow::Result<Option<RemoteWritten>> {
        let path = self.path;
        let file = self
            .out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", path.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot fsync {}", path.display()))?;
        Ok(None)
    }

    fn label(&self) -> String {
        self.path.display().to_string()
    }
}

/// Counts and hashes what reaches the upload.
struct HashedUpload {
    inner: UploadWriter,
    hasher: Sha256,
    bytes: u64,
}

impl Write for HashedUpload {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl HashedUpload {
    fn finish(self) -> anyhow::Result<RemoteWritten> {
        let Stored { parts, bytes } = self.inner.finish()?;
        debug_assert_eq!(bytes, self.bytes);
        Ok(RemoteWritten {
            sha256: shipshape_pg::archive::hex(&self.hasher.finalize()),
            bytes: self.bytes,
            parts,
        })
    }
}

/// The upload, through age when encrypting.
pub struct RemoteUpload {
    url: String,
    inner: RemoteInner,
}

enum RemoteInner {
    Plain(HashedUpload),
    Encrypted(age::stream::StreamWriter<HashedUpload>),
    Finished,
}

impl RemoteUpload {
    pub fn new(
        writer: UploadWriter,
        url: String,
        encryption: Option<&Encryption>,
    ) -> anyhow::Result<Self> {
        let hashed = HashedUpload {
            inner: writer,
            hasher: Sha256::new(),
            bytes: 0,
        };
        let inner = match encryption {
            Some(enc) => RemoteInner::Encrypted(
                enc.wrap(hashed)
                    .with_context(|| format!("cannot start encrypting {url}"))?,
            ),
            None => RemoteInner::Plain(hashed),
        };
        Ok(Self { url, inner })
    }
}

impl Write for RemoteUpload {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.inner {
            RemoteInner::Plain(w) => w.write(buf),
            RemoteInner::Encrypted(w) => w.write(buf),
            RemoteInner::Finished => Err(std::io::Error::other("upload already finished")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Destination for RemoteUpload {
    fn finish(mut self: Box<Self>) -> anyhow::Result<Option<RemoteWritten>> {
        let url = self.url.clone();
        let hashed = match std::mem::replace(&mut self.inner, RemoteInner::Finished) {
            RemoteInner::Plain(w) => w,
            RemoteInner::Encrypted(w) => w
                .finish()
                .with_context(|| format!("cannot finish encrypting {url}"))?,
            RemoteInner::Finished => anyhow::bail!("upload already finished"),
        };
        hashed.finish().map(Some)
    }

    fn label(&self) -> String {
        self.url.clone()
    }
}

/// The local file and the upload at once.
pub struct Both {
    pub local: LocalFile,
    pub remote: RemoteUpload,
}

impl Write for Both {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.local.write_all(buf)?;
        self.remote.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.local.flush()
    }
}

impl Destination for Both {
    fn finish(self: Box<Self>) -> anyhow::Result<Option<RemoteWritten>> {
        let Self { local, remote } = *self;
        // Both are finished even when one fails, so the upload's parts are
        // all accounted for before the caller aborts it.
        let local = Box::new(local).finish();
        let remote = Box::new(remote).finish();
        local?;
        remote
    }

    fn label(&self) -> String {
        format!("{} and {}", self.local.label(), self.remote.label())
    }
}
