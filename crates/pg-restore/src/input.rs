//! What kind of backup a file is (from its content, not its name), and a
//! reader that decompresses it on its own thread while hashing the raw
//! bytes, so decompression overlaps with whatever consumes the SQL.

use std::io::{self, BufRead, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};
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
    /// Chunks done with, kept rather than recycled (see [`SqlStream::keeping`]).
    kept: Option<Kept>,
}

/// The chunks a stream keeps, up to a limit in bytes.
struct Kept {
    chunks: Vec<Vec<u8>>,
    bytes: usize,
    limit: usize,
}

impl Kept {
    /// Keep `chunk`; `false` once the limit would be passed (then nothing
    /// is kept any more and what was kept is freed).
    fn push(&mut self, chunk: Vec<u8>) -> bool {
        self.bytes += chunk.len();
        if self.bytes > self.limit {
            return false;
        }
        if !chunk.is_empty() {
            self.chunks.push(chunk);
        }
        true
    }
}

/// The decompressed SQL of a verified backup, kept from the verification
/// pass for the load: the load then sends exactly the bytes that were
/// verified, without reading and decompressing the file a second time.
/// Clones share the one copy, and the first [`RetainedSql::take`] gets it
/// (its memory is freed chunk by chunk as the load sends it).
#[derive(Clone, Default)]
pub struct RetainedSql(Arc<Mutex<Option<Vec<Vec<u8>>>>>);

impl RetainedSql {
    fn new(chunks: Vec<Vec<u8>>) -> Self {
        Self(Arc::new(Mutex::new(Some(chunks))))
    }

    /// The chunks, once; `None` if nothing was kept or they were taken.
    pub fn take(&self) -> Option<Vec<Vec<u8>>> {
        self.0.lock().ok()?.take()
    }

    /// Bytes held (0 when nothing is).
    pub fn bytes(&self) -> usize {
        self.0
            .lock()
            .ok()
            .and_then(|held| {
                held.as_ref()
                    .map(|chunks| chunks.iter().map(Vec::len).sum())
            })
            .unwrap_or(0)
    }
}

impl std::fmt::Debug for RetainedSql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RetainedSql({} bytes)", self.bytes())
    }
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
        Ok(Self::receiving(rx, recycle, handle))
    }

    fn receiving(
        rx: Receiver<Vec<u8>>,
        recycle: Sender<Vec<u8>>,
        handle: JoinHandle<anyhow::Result<String>>,
    ) -> Self {
        Self {
            rx,
            recycle,
            current: Vec::new(),
            pos: 0,
            handle: Some(handle),
            sha256: None,
            kept: None,
        }
    }

    /// Keep the decompressed text read through this stream, up to `limit`
    /// bytes, for [`SqlStream::finish_retaining`]; beyond the limit nothing
    /// is kept (and what was kept is freed at once).
    #[must_use]
    pub fn keeping(mut self, limit: usize) -> Self {
        self.kept = (limit > 0).then(|| Kept {
            chunks: Vec::new(),
            bytes: 0,
            limit,
        });
        self
    }

    /// Replay SQL kept by an earlier pass: a reader like one over the file,
    /// whose [`SqlStream::finish`] gives `sha256`, the hash that pass
    /// computed. `raw_size` (the file's size) scales the progress so it
    /// counts as if the file were read.
    pub fn replay(
        chunks: Vec<Vec<u8>>,
        sha256: String,
        raw_size: u64,
        progress: ProgressHandle,
    ) -> anyhow::Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(16);
        // Nobody recycles a replayed chunk: dropped once read, its memory
        // goes back as the load proceeds.
        let (recycle, _) = crossbeam_channel::bounded::<Vec<u8>>(1);
        let total: usize = chunks.iter().map(Vec::len).sum();
        let handle = std::thread::Builder::new()
            .name("replay".into())
            .spawn(move || {
                let mut sent = 0u64;
                for chunk in chunks {
                    let before = scaled(sent, total, raw_size);
                    sent += chunk.len() as u64;
                    progress.inc(scaled(sent, total, raw_size) - before);
                    if tx.send(chunk).is_err() {
                        anyhow::bail!("stopped reading");
                    }
                }
                Ok(sha256)
            })
            .context("starting the replay thread")?;
        Ok(Self::receiving(rx, recycle, handle))
    }

    /// Wait for the decoder: the raw file's SHA-256 (hex) or why it failed.
    pub fn finish(mut self) -> anyhow::Result<String> {
        // Drain so a decoder blocked on a full channel can finish.
        while self.rx.recv().is_ok() {}
        self.join()
    }

    /// [`SqlStream::finish`] for a stream made [`SqlStream::keeping`]: also
    /// the whole text it read, if it stayed within the limit (empty
    /// otherwise). Only meaningful after reading to the end.
    pub fn finish_retaining(mut self) -> anyhow::Result<(String, RetainedSql)> {
        while self.rx.recv().is_ok() {}
        let sha256 = self.join()?;
        let current = std::mem::take(&mut self.current);
        let retained = match self.kept.take() {
            Some(mut kept) => {
                if kept.push(current) {
                    RetainedSql::new(kept.chunks)
                } else {
                    RetainedSql::default()
                }
            }
            None => RetainedSql::default(),
        };
        Ok((sha256, retained))
    }

    /// A chunk read to its end: kept, or back to the decoder.
    fn done_with(&mut self, chunk: Vec<u8>) {
        if let Some(kept) = &mut self.kept {
            if kept.push(chunk) {
                return;
            }
            self.kept = None;
            return;
        }
        // A full return queue or a finished decoder: let it go.
        let _ = self.recycle.try_send(chunk);
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
                    self.done_with(done);
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
            // A new chunk comes zeroed from the allocator (fresh pages,
            // no memset): chunks kept for the load are not recycled.
            let mut chunk = recycled.try_recv().unwrap_or_else(|_| vec![0; CHUNK]);
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

/// `done` of `total` decompressed bytes as bytes of a `raw_size` file.
fn scaled(done: u64, total: usize, raw_size: u64) -> u64 {
    if total == 0 {
        return raw_size;
    }
    let share = u128::from(done) * u128::from(raw_size) / total as u128;
    u64::try_from(share).unwrap_or(raw_size)
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

    fn gzip_file(dir: &Path, text: &[u8]) -> std::path::PathBuf {
        use std::io::Write as _;
        let path = dir.join("dump.sql.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text).unwrap();
        std::fs::write(&path, enc.finish().unwrap()).unwrap();
        path
    }

    fn read_all(mut stream: SqlStream) -> (Vec<u8>, SqlStream) {
        let mut text = Vec::new();
        stream.read_to_end(&mut text).unwrap();
        (text, stream)
    }

    /// Within the limit the whole text is kept, and replaying it reads the
    /// same bytes and ends with the same hash; past the limit nothing is.
    #[test]
    fn kept_text_replays_exactly_and_only_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        // Three and a bit chunks, so chunk boundaries and the short last
        // chunk are all exercised.
        let text: Vec<u8> = (0..(3 * CHUNK + 12_345))
            .map(|i| b"abcdefghij\n"[i % 11])
            .collect();
        let path = gzip_file(dir.path(), &text);
        let raw = std::fs::metadata(&path).unwrap().len();

        let stream = SqlStream::open(&path, Kind::Gzip)
            .unwrap()
            .keeping(text.len());
        let (read, stream) = read_all(stream);
        assert_eq!(read, text);
        let (sha, kept) = stream.finish_retaining().unwrap();
        assert_eq!(sha, sha256_file(&path).unwrap());
        assert_eq!(kept.bytes(), text.len());

        let progress = ProgressHandle::default();
        let chunks = kept.clone().take().expect("kept once");
        assert!(kept.take().is_none(), "taken only once");
        let replay = SqlStream::replay(chunks, sha.clone(), raw, progress).unwrap();
        let (replayed, replay) = read_all(replay);
        assert_eq!(replayed, text);
        assert_eq!(replay.finish().unwrap(), sha);

        for limit in [0, text.len() - 1] {
            let stream = SqlStream::open(&path, Kind::Gzip).unwrap().keeping(limit);
            let (read, stream) = read_all(stream);
            assert_eq!(read, text, "limit {limit}");
            let (_, kept) = stream.finish_retaining().unwrap();
            assert_eq!(kept.bytes(), 0, "limit {limit}");
            assert!(kept.take().is_none(), "limit {limit}");
        }
    }

    #[test]
    fn replay_progress_counts_up_to_the_file_size() {
        assert_eq!(scaled(0, 400, 40), 0);
        assert_eq!(scaled(200, 400, 40), 20);
        assert_eq!(scaled(400, 400, 40), 40);
        assert_eq!(scaled(0, 0, 40), 40);
    }

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
