//! Checking one backup file: a full decompression pass with the SHA-256
//! compared against its manifest, the byte counts compared, and pg_dump's
//! completeness marker looked for. Used right after writing a backup and by
//! `pg-backup verify`.

use std::path::Path;

use shipshape_pg::archive::{self, ArchiveError, Scan};
use shipshape_pg::manifest::Manifest;

use crate::naming::Kind;

/// One thing wrong with a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable code: `corrupt`, `checksum-mismatch`, `size-mismatch`,
    /// `incomplete`, `unreadable`, `manifest-mismatch`.
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.message, self.code)
    }
}

/// Read the whole file and compare it with the manifest (if any).
pub fn check(
    path: &Path,
    file: &str,
    kind: Kind,
    manifest: Option<&Manifest>,
) -> (Option<Scan>, Vec<Problem>) {
    match archive::scan(path, kind.format(), kind.compression()) {
        Ok(scan) => {
            let problems = compare(file, kind, &scan, manifest);
            (Some(scan), problems)
        }
        Err(err) => (None, vec![scan_error(file, err)]),
    }
}

/// The same check for a multi-member gzip file whose member sizes are
/// known (the file this run just wrote): members are decompressed on
/// `jobs` threads, each checking its own CRC-32 and length, while one
/// thread reads the file in order and hashes it. The result is the same as
/// [`check`]'s; only faster.
pub fn check_gzip_members(
    path: &Path,
    file: &str,
    members: &[u64],
    jobs: usize,
    manifest: Option<&Manifest>,
) -> (Option<Scan>, Vec<Problem>) {
    match scan_members(path, members, jobs) {
        Ok(scan) => {
            let problems = compare(file, Kind::SqlGzip, &scan, manifest);
            (Some(scan), problems)
        }
        Err(err) => (None, vec![scan_error(file, err)]),
    }
}

fn scan_error(file: &str, err: ArchiveError) -> Problem {
    match err {
        ArchiveError::Corrupt { reason, .. } => Problem {
            code: "corrupt",
            message: format!("{file} is corrupt: {reason}"),
        },
        err @ ArchiveError::Io { .. } => Problem {
            code: "unreadable",
            message: err.to_string(),
        },
    }
}

/// A member's decompressed length and tail, or why it is corrupt.
type Inflated = Result<(u64, Vec<u8>), String>;

/// Decompress one gzip member, which must use exactly all of `bytes`.
/// Returns the decompressed length and its last 4 KiB.
///
/// libdeflate (0.12 CPU-seconds for the benchmark's 406 MiB where zlib-rs
/// took 0.16, on the serial end of a backup) decompresses a whole member at
/// once, checking the CRC-32 and length in the member's own trailer. It does
/// not say where that trailer ended, so the last 8 bytes of `bytes` must be
/// that trailer: bytes after the member would end the range instead, and
/// not match.
fn inflate_member(
    bytes: &[u8],
    inflater: &mut libdeflater::Decompressor,
    out: &mut Vec<u8>,
) -> Inflated {
    let trailer = bytes
        .len()
        .checked_sub(8)
        .map(|at| &bytes[at..])
        .ok_or_else(|| "truncated: a gzip member shorter than its trailer".to_owned())?;
    let word = |at: usize| {
        u32::from_le_bytes([
            trailer[at],
            trailer[at + 1],
            trailer[at + 2],
            trailer[at + 3],
        ])
    };
    let (crc, size) = (word(0), word(4) as usize);
    // pg-backup writes one block of the dump per member; a damaged trailer
    // must not make this allocate gigabytes.
    if size > crate::dump::BLOCK_SIZE {
        return Err(format!(
            "decompression failed: a gzip member's trailer gives {size} bytes, more than pg-backup puts in one"
        ));
    }
    out.resize(size, 0);
    let n = inflater
        .gzip_decompress(bytes, out)
        .map_err(|err| match err {
            libdeflater::DecompressionError::BadData => {
                "decompression failed: invalid gzip data".to_owned()
            }
            libdeflater::DecompressionError::InsufficientSpace => {
                "decompression failed: a gzip member holds more data than its trailer says"
                    .to_owned()
            }
        })?;
    if n != size || libdeflater::crc32(&out[..n]) != crc {
        return Err(
            "decompression failed: a gzip member is followed by unexpected bytes".to_owned(),
        );
    }
    let mut tail = Vec::new();
    archive::keep_tail(&mut tail, &out[..n]);
    Ok((n as u64, tail))
}

fn scan_members(path: &Path, members: &[u64], jobs: usize) -> Result<Scan, ArchiveError> {
    use std::io::Read as _;
    type Job = (usize, Vec<u8>);
    type Done = (usize, Inflated);
    let io_err = |source| ArchiveError::Io {
        path: path.to_owned(),
        source,
    };
    let corrupt = |reason: String| ArchiveError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut reader = archive::HashingReader::new(file);
    let (job_tx, job_rx) = crossbeam_channel::bounded::<Job>(jobs * 2);
    let (done_tx, done_rx) = crossbeam_channel::unbounded::<Done>();
    let workers: Vec<_> = (0..jobs.max(1))
        .map(|_| {
            let job_rx = job_rx.clone();
            let done_tx = done_tx.clone();
            std::thread::spawn(move || {
                let mut inflater = libdeflater::Decompressor::new();
                let mut out = Vec::new();
                for (index, bytes) in job_rx {
                    let inflated = inflate_member(&bytes, &mut inflater, &mut out);
                    if done_tx.send((index, inflated)).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(done_tx);
    let mut read_error = None;
    for (index, &size) in members.iter().enumerate() {
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        match (&mut reader).take(size).read_to_end(&mut bytes) {
            Ok(n) if n as u64 == size => {}
            Ok(_) => {
                read_error = Some(corrupt(
                    "truncated: the file is shorter than written".to_owned(),
                ));
                break;
            }
            Err(e) => {
                read_error = Some(io_err(e));
                break;
            }
        }
        if job_tx.send((index, bytes)).is_err() {
            break;
        }
    }
    drop(job_tx);
    // Anything after the last member is part of the file, and wrong.
    let mut rest = Vec::new();
    if read_error.is_none()
        && let Err(e) = reader.read_to_end(&mut rest)
    {
        read_error = Some(io_err(e));
    }
    let mut results: Vec<Option<Inflated>> = vec![None; members.len()];
    for (index, result) in done_rx {
        results[index] = Some(result);
    }
    for worker in workers {
        let _ = worker.join();
    }
    if let Some(err) = read_error {
        return Err(err);
    }
    let (sha256, compressed_bytes) = reader.finish();
    let mut uncompressed = 0u64;
    let mut tail = Vec::new();
    for result in results {
        let (n, member_tail) = result
            .unwrap_or_else(|| Err("internal error: a member was not checked".to_owned()))
            .map_err(corrupt)?;
        uncompressed += n;
        archive::keep_tail(&mut tail, &member_tail);
    }
    let complete = archive::contains(&tail, archive::PLAIN_TRAILER);
    if !rest.is_empty() {
        return Err(corrupt(format!(
            "{} unexpected bytes after the last gzip member",
            rest.len()
        )));
    }
    Ok(Scan {
        sha256,
        compressed_bytes,
        uncompressed_bytes: uncompressed,
        complete,
    })
}

/// Compare a scan with the manifest and pg_dump's completeness marker.
fn compare(file: &str, kind: Kind, scan: &Scan, manifest: Option<&Manifest>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(m) = manifest {
        if m.file != file {
            problems.push(Problem {
                code: "manifest-mismatch",
                message: format!("the manifest describes {}, not {file}", m.file),
            });
        }
        if scan.compressed_bytes != m.compressed_bytes {
            problems.push(Problem {
                code: "size-mismatch",
                message: format!(
                    "{file} is {} bytes, the manifest says {} (truncated or appended to)",
                    scan.compressed_bytes, m.compressed_bytes
                ),
            });
        }
        if scan.sha256 != m.sha256 {
            problems.push(Problem {
                code: "checksum-mismatch",
                message: format!(
                    "SHA-256 of {file} is {}, the manifest recorded {}",
                    scan.sha256, m.sha256
                ),
            });
        }
        if kind.compression() != shipshape_pg::manifest::Compression::None
            && scan.uncompressed_bytes != m.uncompressed_bytes
        {
            problems.push(Problem {
                code: "size-mismatch",
                message: format!(
                    "{file} decompresses to {} bytes, the manifest says {}",
                    scan.uncompressed_bytes, m.uncompressed_bytes
                ),
            });
        }
    }
    if !scan.complete {
        problems.push(Problem {
            code: "incomplete",
            message: match kind.format() {
                shipshape_pg::manifest::DumpFormat::Plain => format!(
                    "{file} does not end with pg_dump's \"-- PostgreSQL database dump complete\" line: the dump was cut short"
                ),
                shipshape_pg::manifest::DumpFormat::Custom => {
                    format!("{file} is not a pg_dump custom-format archive (no PGDMP header)")
                }
            },
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_members(path: &Path) -> (crate::sink::Written, Vec<u8>) {
        let file = std::fs::File::create(path).unwrap();
        let mut sink = crate::sink::open(Kind::SqlGzip, file, path.to_owned(), Some(6), 2).unwrap();
        let mut text = Vec::new();
        for i in 0..20 {
            let block = format!("INSERT {i};\n").repeat(5000).into_bytes();
            text.extend_from_slice(&block);
            sink.write_block(block).unwrap();
        }
        let end = b"--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n".to_vec();
        text.extend_from_slice(&end);
        sink.write_block(end).unwrap();
        (sink.finish().unwrap(), text)
    }

    #[test]
    fn parallel_member_check_agrees_with_the_sequential_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app_20260101_000000.sql.gz");
        let (written, text) = write_members(&path);
        let members = written.members.clone().unwrap();
        assert_eq!(members.len(), 21);
        let file = "app_20260101_000000.sql.gz";
        let (parallel, problems) = check_gzip_members(&path, file, &members, 3, None);
        assert!(problems.is_empty(), "{problems:?}");
        let (sequential, problems) = check(&path, file, Kind::SqlGzip, None);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(parallel, sequential);
        let parallel = parallel.unwrap();
        assert_eq!(parallel.uncompressed_bytes, text.len() as u64);
        assert_eq!(parallel.sha256, written.sha256);
        assert!(parallel.complete);

        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        let (_, problems) = check_gzip_members(&path, file, &members, 3, None);
        assert_eq!(problems[0].code, "corrupt", "{problems:?}");
        bytes[middle] ^= 0x10;
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let (_, problems) = check_gzip_members(&path, file, &members, 3, None);
        assert_eq!(problems[0].code, "corrupt", "{problems:?}");
        bytes.extend_from_slice(b"junk");
        std::fs::write(&path, &bytes).unwrap();
        let (_, problems) = check_gzip_members(&path, file, &members, 3, None);
        assert_eq!(problems[0].code, "corrupt", "{problems:?}");
    }

    #[test]
    fn bytes_after_a_member_within_its_range_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app_20260101_000000.sql.gz");
        let (written, _) = write_members(&path);
        let file = "app_20260101_000000.sql.gz";
        // Two whole members read as one: the first member's data is all
        // right, but the range does not end with its trailer.
        let mut members = written.members.unwrap();
        let second = members.remove(1);
        members[0] += second;
        let (_, problems) = check_gzip_members(&path, file, &members, 2, None);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].message,
            format!(
                "{file} is corrupt: decompression failed: a gzip member is followed by unexpected bytes"
            )
        );
    }
}
