//! Reading a backup file back: decompress it (gzip, including the
//! multi-member streams pg-backup writes; zstd, including several frames; or
//! none) while hashing the raw bytes, so one pass proves the file is intact
//! (SHA-256 as recorded), complete (pg_dump's closing line or the custom
//! archive's magic) and decompressible. pg-backup uses it for verification
//! and pg-restore can use [`open`] to stream a backup into psql.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::manifest::{Compression, DumpFormat};

/// The comment pg_dump writes at the end of a complete plain-format dump.
/// Since 2025 releases a `\unrestrict` line follows it, so it is searched
/// for near the end rather than expected as the very last line.
pub const PLAIN_TRAILER: &[u8] = b"-- PostgreSQL database dump complete";
/// The first bytes of a pg_dump custom-format archive.
pub const CUSTOM_MAGIC: &[u8] = b"PGDMP";
/// How much of the end of the decompressed stream is searched for the trailer.
const TAIL: usize = 4096;

/// Why a backup file could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

/// Passes bytes through, hashing and counting them.
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Lower-case hex SHA-256 and byte count of everything read.
    pub fn finish(self) -> (String, u64) {
        (hex(&self.hasher.finalize()), self.bytes)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A reader of the decompressed content of `reader`.
pub fn decompressor<'a, R: Read + Send + 'a>(
    reader: R,
    compression: Compression,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    Ok(match compression {
        // MultiGzDecoder: pg-backup writes one gzip member per block, and a
        // plain GzDecoder would stop after the first.
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(
            reader,
        ))),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(reader)?),
        Compression::None => Box::new(reader),
    })
}

/// Open a backup for reading its decompressed content (e.g. to pipe a
/// plain dump into psql).
pub fn open(path: &Path, compression: Compression) -> Result<Box<dyn Read + Send>, ArchiveError> {
    let file = std::fs::File::open(path).map_err(|source| ArchiveError::Io {
        path: path.to_owned(),
        source,
    })?;
    decompressor(file, compression).map_err(|source| ArchiveError::Io {
        path: path.to_owned(),
        source,
    })
}

/// What a full read of a backup file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// SHA-256 of the file's bytes as stored.
    pub sha256: String,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
    /// Plain: pg_dump's closing comment is present near the end. Custom: the
    /// archive starts with pg_dump's magic bytes.
    pub complete: bool,
}

/// Read the whole file once: hash it, decompress it, check completeness.
/// A decompression error (bad CRC, truncated member, garbage after the
/// stream) is [`ArchiveError::Corrupt`].
pub fn scan(
    path: &Path,
    format: DumpFormat,
    compression: Compression,
) -> Result<Scan, ArchiveError> {
    let io_err = |source| ArchiveError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut hashing = HashingReader::new(io::BufReader::with_capacity(1 << 20, file));
    let mut head = Vec::with_capacity(16);
    let mut tail: Vec<u8> = Vec::with_capacity(2 * TAIL);
    let mut uncompressed = 0u64;
    {
        let mut decoder = decompressor(&mut hashing, compression).map_err(|e| corrupt(path, &e))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match decoder.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(corrupt(path, &e)),
            };
            let chunk = &buf[..n];
            uncompressed += n as u64;
            if head.len() < 16 {
                let want = (16 - head.len()).min(n);
                head.extend_from_slice(&chunk[..want]);
            }
            keep_tail(&mut tail, chunk);
        }
    }
    // Whatever the decoder did not need is still part of the file.
    io::copy(&mut hashing, &mut io::sink()).map_err(io_err)?;
    let (sha256, compressed_bytes) = hashing.finish();
    let complete = match format {
        DumpFormat::Plain => contains(&tail, PLAIN_TRAILER),
        DumpFormat::Custom => head.starts_with(CUSTOM_MAGIC),
    };
    Ok(Scan {
        sha256,
        compressed_bytes,
        uncompressed_bytes: uncompressed,
        complete,
    })
}

fn corrupt(path: &Path, err: &io::Error) -> ArchiveError {
    let reason = match err.kind() {
        io::ErrorKind::UnexpectedEof => "truncated: the compressed stream ends early".to_owned(),
        _ => format!("decompression failed: {err}"),
    };
    ArchiveError::Corrupt {
        path: path.to_owned(),
        reason,
    }
}

/// Keep the last [`TAIL`] bytes seen.
pub fn keep_tail(tail: &mut Vec<u8>, chunk: &[u8]) {
    if chunk.len() >= TAIL {
        tail.clear();
        tail.extend_from_slice(&chunk[chunk.len() - TAIL..]);
    } else {
        tail.extend_from_slice(chunk);
        if tail.len() > TAIL {
            let excess = tail.len() - TAIL;
            tail.drain(..excess);
        }
    }
}

/// Does `haystack` contain `needle`?
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A plain dump's `COPY … FROM stdin;` line: a table's rows follow, up to a
/// `\.` line.
pub fn is_copy_from_stdin(line: &[u8]) -> bool {
    line.starts_with(b"COPY ") && line.ends_with(b"FROM stdin;")
}

/// The table a plain dump's `COPY public.users (id, name) FROM stdin;` line
/// loads: (`public`, `users`); quoted identifiers
/// (`"Odd Schema"."Mixed ""Case"""`) are unquoted.
pub fn copy_target(line: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(line).ok()?;
    let rest = text.strip_prefix("COPY ")?;
    if !rest.ends_with(" FROM stdin;") {
        return None;
    }
    let (name, rest) = qualified_name(rest)?;
    rest.starts_with(' ').then_some(name)
}

/// The table an index or constraint entry of a plain dump builds on, from
/// its statement: `CREATE [UNIQUE] INDEX name ON [ONLY] s.t USING …` or
/// `ALTER TABLE [ONLY] s.t` (pg_dump puts `ADD CONSTRAINT …` on the next
/// line). The first such line of `entry` counts.
pub fn index_target(entry: &str) -> Option<(String, String)> {
    entry.lines().find_map(|line| {
        let rest = if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
            rest
        } else {
            let rest = line
                .strip_prefix("CREATE INDEX ")
                .or_else(|| line.strip_prefix("CREATE UNIQUE INDEX "))?;
            let (_index, rest) = ident(rest)?;
            rest.strip_prefix(" ON ")?
        };
        let rest = rest.strip_prefix("ONLY ").unwrap_or(rest);
        qualified_name(rest).map(|(name, _)| name)
    })
}

/// `schema.name` at the start of `text` (either part may be quoted), and
/// what follows it.
fn qualified_name(text: &str) -> Option<((String, String), &str)> {
    let (schema, rest) = ident(text)?;
    let (name, rest) = ident(rest.strip_prefix('.')?)?;
    Some(((schema, name), rest))
}

/// One identifier at the start of `text`, unquoted; an unquoted one ends at
/// `.`, a space or the end of the text.
fn ident(text: &str) -> Option<(String, &str)> {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if quoted[i + 1..].starts_with('"') {
                    name.push('"');
                    chars.next();
                } else {
                    return Some((name, &quoted[i + 1..]));
                }
            } else {
                name.push(c);
            }
        }
        None
    } else {
        let end = text.find(['.', ' ']).unwrap_or(text.len());
        (end > 0).then(|| (text[..end].to_owned(), &text[end..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn index_targets() {
        let pkey = "--\n-- Name: docs docs_pkey; Type: CONSTRAINT\n--\n\nALTER TABLE ONLY public.docs\n    ADD CONSTRAINT docs_pkey PRIMARY KEY (id);\n";
        assert_eq!(index_target(pkey), Some(("public".into(), "docs".into())));
        assert_eq!(
            index_target("CREATE INDEX events_actor_at ON public.events USING btree (actor, at);"),
            Some(("public".into(), "events".into()))
        );
        assert_eq!(
            index_target(
                r#"CREATE UNIQUE INDEX "Odd idx" ON ONLY "My Schema"."T" USING btree (a);"#
            ),
            Some(("My Schema".into(), "T".into()))
        );
        assert_eq!(index_target("SET default_tablespace = '';\n"), None);
    }

    #[test]
    fn copy_targets() {
        assert_eq!(
            copy_target(b"COPY public.users (id, name) FROM stdin;"),
            Some(("public".into(), "users".into()))
        );
        assert_eq!(
            copy_target(br#"COPY "Odd Schema"."Mixed ""Case""" (k) FROM stdin;"#),
            Some(("Odd Schema".into(), "Mixed \"Case\"".into()))
        );
        assert_eq!(
            copy_target(b"COPY public.t FROM stdin;"),
            Some(("public".into(), "t".into()))
        );
        assert_eq!(copy_target(b"COPY t (a) FROM stdin;"), None);
        assert_eq!(copy_target(b"SELECT 1;"), None);
    }

    fn gzip_members(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for part in parts {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            enc.write_all(part).unwrap();
            out.extend(enc.finish().unwrap());
        }
        out
    }

    #[test]
    fn multi_member_gzip_is_read_whole_and_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sql.gz");
        let bytes = gzip_members(&[
            b"-- PostgreSQL database dump\nSELECT 1;\n",
            b"--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict x\n",
        ]);
        std::fs::write(&path, &bytes).unwrap();
        let scan = scan(&path, DumpFormat::Plain, Compression::Gzip).unwrap();
        assert!(scan.complete);
        assert_eq!(scan.compressed_bytes, bytes.len() as u64);
        assert_eq!(scan.sha256, hex(&Sha256::digest(&bytes)));
        assert_eq!(scan.uncompressed_bytes, 40 + 56);
    }

    #[test]
    fn flipped_byte_and_truncation_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sql.gz");
        let text = "x".repeat(10_000) + "\n-- PostgreSQL database dump complete\n";
        let good = gzip_members(&[text.as_bytes()]);
        let mut flipped = good.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x01;
        std::fs::write(&path, &flipped).unwrap();
        assert!(matches!(
            scan(&path, DumpFormat::Plain, Compression::Gzip),
            Err(ArchiveError::Corrupt { .. })
        ));
        std::fs::write(&path, &good[..good.len() - 5]).unwrap();
        let err = scan(&path, DumpFormat::Plain, Compression::Gzip).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn missing_trailer_is_incomplete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sql.zst");
        let bytes = zstd::encode_all(&b"-- PostgreSQL database dump\n"[..], 3).unwrap();
        std::fs::write(&path, bytes).unwrap();
        let scan = scan(&path, DumpFormat::Plain, Compression::Zstd).unwrap();
        assert!(!scan.complete);
    }

    #[test]
    fn tail_keeps_the_last_bytes() {
        let mut tail = Vec::new();
        keep_tail(&mut tail, &vec![b'a'; TAIL - 1]);
        keep_tail(&mut tail, b"xyz");
        assert_eq!(tail.len(), TAIL);
        assert!(tail.ends_with(b"axyz"));
    }
}
