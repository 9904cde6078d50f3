//! What kind of backup a file is (from its content, not its name), and a
//! reader that decompresses it on its own thread while hashing the raw
//! bytes, so decompression overlaps with whatever consumes the SQL.

use std::io::{self, BufRead, Read};
use std::path::Path;
use std::thread::JoinHandle;

use anyhow::Context as _;
use crossbeam_channel::{Receiver, Sender};
use sha2::{Digest as _, Sha256};
use shipshape_core::progress::ProgressHandle;

/// The kinds of input pg-restore understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Plain SQL compressed with gzip (one or many members).
    Gzip,
    /// Plain SQL compressed with zstd (one or many frames).
    Zstd,
    /// Uncompressed plain SQL.
    Plain,
    /// pg_dump's custom archive (`-Fc`, magic `PGDMP`).
    Custom,
    /// pg_dump's directory format (`-Fd`, a directory with `toc.dat`).
    Directory,
    /// pg_dump's tar format (`-Ft`).
    Tar,
}

impl Kind {
    /// Restored by psql from a SQL stream (true) or by pg_restore (false).
    pub fn is_sql(self) -> bool {
        matches!(self, Self::Gzip | Self::Zstd | Self::Plain)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Gzip => "plain SQL, gzip",
            Self::Zstd => "plain SQL, zstd",
            Self::Plain => "plain SQL",
            Self::Custom => "pg_dump custom archive",
            Self::Directory => "pg_dump directory archive",
            Self::Tar => "pg_dump tar archive",
        }
    }
}

/// Look at the first bytes of `path`.
pub fn detect(path: &Path) -> anyhow::Result<Kind> {
    if path.is_dir() {
        if path.join("toc.dat").is_file() {
            return Ok(Kind::Directory);
        }
        anyhow::bail!(
            "{} is a directory without toc.dat, not a pg_dump directory-format dump",
            path.display()
        );
    }
    let mut file = fs_err::File::open(path)?;
    let mut head = [0u8; 512];
    let mut filled = 0;
    while filled < head.len() {
        let n = file
            .read(&mut head[filled..])
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    let head = &head[..filled];
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Kind::Zstd
    } else if head.starts_with(b"PGDMP") {
        Kind::Custom
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Kind::Tar
    } else {
        Kind::Plain
    })
}

const CHUNK: usize = 1 << 20;

/// Reads the SQL text of a plain/gzip/zstd backup, decompressed by a
/// background thread. After EOF, [`SqlStream::finish`] gives the SHA-256 of
/// the raw file or the decompression error.
///
/// It is its own [`BufRead`]: readers take the decoder's chunks where they
/// lie rather than through a copy into another buffer, and each chunk goes
/// back to the decoder to be filled again (allocating and zeroing a fresh
/// megabyte per chunk showed in profiles).
pub struct SqlStream {
    rx: Receiver<Vec<u8>>,
    /// Chunks done with, back to the decoder.
    recycle: Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    handle: Option<JoinHandle<anyhow::Result<String>>>,
    /// The hash, once the decoder finished cleanly.
    sha256: Option<String>,
}

impl SqlStream {
    pub fn open(path: &Path, kind: Kind) -> anyhow::Result<Self> {
        Self::open_reporting(path, kind, ProgressHandle::default())
    }

    /// [`SqlStream::open`], reporting the raw (compressed) bytes read so far
    /// to a progress line.
    pub fn open_reporting(
        path: &Path,
        kind: Kind,
        progress: ProgressHandle,
    ) -> anyhow::Result<Self> {
        let file = fs_err::File::open(path)?;
        let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(16);
        let (recycle, recycled) = crossbeam_channel::bounded::<Vec<u8>>(16);
        let path = path.to_owned();
        let handle = std::thread::Builder::new()
            .name("decompress".into())
            .spawn(move || decode(file, &path, kind, &tx, &recycled, progress))
            .context("starting the decompression thread")?;
        Ok(Self {
            rx,
            recycle,
            current: Vec::new(),
            pos: 0,
            handle: Some(handle),
            sha256: None,
        })
    }

    /// Wait for the decoder: the raw file's SHA-256 (hex) or why it failed.
    pub fn finish(mut self) -> anyhow::Result<String> {
        // Drain so a decoder blocked on a full channel can finish.
        while self.rx.recv().is_ok() {}
        self.join()
    }

    fn join(&mut self) -> anyhow::Result<String> {
        match self.handle.take() {
            Some(handle) => {
                let sha = handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("the decompression thread panicked"))??;
                self.sha256 = Some(sha.clone());
                Ok(sha)
            }
            None => self
                .sha256
                .clone()
                .ok_or_else(|| anyhow::anyhow!("the decompression failed")),
        }
    }
}

impl Read for SqlStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = buf.len().min(available.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for SqlStream {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.current.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    let done = std::mem::replace(&mut self.current, chunk);
                    // A full return queue or a finished decoder: let it go.
                    let _ = self.recycle.try_send(done);
                    self.pos = 0;
                }
                Err(_) => {
                    // The sender is gone: a clean end or an error; an error
                    // must not look like a short, complete file.
                    if self.handle.is_some()
                        && let Err(err) = self.join()
                    {
                        return Err(io::Error::other(format!("{err:#}")));
                    }
                    return Ok(&[]);
                }
            }
        }
        Ok(&self.current[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.current.len());
    }
}

/// Hashes everything read through it, and counts it for the progress line.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    progress: ProgressHandle,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.progress.inc(n as u64);
        Ok(n)
    }
}

fn decode(
    file: fs_err::File,
    path: &Path,
    kind: Kind,
    tx: &Sender<Vec<u8>>,
    recycled: &Receiver<Vec<u8>>,
    progress: ProgressHandle,
) -> anyhow::Result<String> {
    let mut raw = Hashing {
        inner: io::BufReader::with_capacity(CHUNK, file),
        hasher: Sha256::new(),
        progress,
    };
    let what = match kind {
        Kind::Gzip => "gzip",
        Kind::Zstd => "zstd",
        _ => "plain",
    };
    {
        let mut reader: Box<dyn Read + '_> = match kind {
            Kind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(&mut raw)),
            Kind::Zstd => Box::new(
                zstd::stream::read::Decoder::new(&mut raw)
                    .with_context(|| format!("opening {} as zstd", path.display()))?,
            ),
            _ => Box::new(&mut raw),
        };
        loop {
            // A chunk back from the reader is full length already, so the
            // resize writes nothing; only new ones are zeroed.
            let mut chunk = recycled
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
            chunk.resize(CHUNK, 0);
            let mut filled = 0;
            while filled < CHUNK {
                let n = reader.read(&mut chunk[filled..]).with_context(|| {
                    format!(
                        "{} is damaged: its {what} data is corrupt or truncated",
                        path.display()
                    )
                })?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 {
                break;
            }
            chunk.truncate(filled);
            if tx.send(chunk).is_err() {
                // The reader stopped early (an error or Ctrl-C); not our failure.
                anyhow::bail!("stopped reading");
            }
            if shipshape_core::interrupt::requested() {
                return Err(shipshape_core::Interrupted.into());
            }
        }
    }
    // Anything after the last gzip member that is not another member, or
    // bytes the decoder did not consume, would mean a damaged file.
    let mut rest = Vec::new();
    raw.read_to_end(&mut rest)
        .with_context(|| format!("reading {}", path.display()))?;
    if !rest.is_empty() && kind != Kind::Plain {
        anyhow::bail!(
            "{} is damaged: {} unexpected bytes after the end of the {what} data",
            path.display(),
            rest.len()
        );
    }
    Ok(hex(&raw.hasher.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 of a file (for archives pg_restore reads itself).
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind comes from the bytes: a misleading name changes nothing.
    #[test]
    fn kind_is_detected_from_content_not_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        let cases = [
            ("gzip-named.dump", vec![0x1f, 0x8b, 8, 0], Kind::Gzip),
            (
                "zstd-named.sql",
                vec![0x28, 0xb5, 0x2f, 0xfd, 0],
                Kind::Zstd,
            ),
            (
                "custom-named.sql.gz",
                b"PGDMP\x01\x0f".to_vec(),
                Kind::Custom,
            ),
            ("tar-named.sql", tar, Kind::Tar),
            (
                "plain-named.sql.gz",
                b"--\n-- PostgreSQL database dump\n".to_vec(),
                Kind::Plain,
            ),
        ];
        for (name, bytes, kind) in cases {
            let path = write(name, &bytes);
            assert_eq!(detect(&path).unwrap(), kind, "{name}");
        }
        let d = dir.path().join("dir-format.sql.gz");
        std::fs::create_dir(&d).unwrap();
        assert!(detect(&d).is_err(), "a directory without toc.dat");
        std::fs::write(d.join("toc.dat"), b"PGDMP").unwrap();
        assert_eq!(detect(&d).unwrap(), Kind::Directory);
    }
}
