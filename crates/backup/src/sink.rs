//! What happens to dump bytes: compressed (parallel gzip, multi-threaded
//! zstd) or passed as they are (custom-format archives, already compressed
//! by pg_dump) into a [`Destination`] (the `.partial` file, an upload, or
//! both), with the SHA-256 of the compressed stream computed on the way.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::thread::JoinHandle;

use anyhow::{Context as _, anyhow};
use crossbeam_channel::{Receiver, Sender, bounded};
use sha2::{Digest as _, Sha256};

use crate::destination::{Destination, LocalFile, RemoteWritten};
use crate::naming::Kind;

/// The file as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub sha256: String,
    pub bytes: u64,
    /// Parallel gzip: the size of each gzip member in order, so the
    /// verification pass can decompress members on several threads.
    pub members: Option<Vec<u64>>,
    /// What the upload stored, when there is one.
    pub remote: Option<RemoteWritten>,
}

/// Consumes the dump in blocks.
pub trait Sink: Send {
    fn write_block(&mut self, block: Vec<u8>) -> anyhow::Result<()>;
    /// Flush, fsync and report. Called after the last block, or after
    /// `write_block` failed (then it returns the underlying error).
    fn finish(self: Box<Self>) -> anyhow::Result<Written>;
}

/// Hashes and counts the compressed stream on its way to the destination.
struct HashingFile {
    out: Box<dyn Destination>,
    hasher: Sha256,
    bytes: u64,
    label: String,
}

impl HashingFile {
    fn new(out: Box<dyn Destination>) -> Self {
        Self {
            label: out.label(),
            out,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> anyhow::Result<Written> {
        let remote = self.out.finish()?;
        Ok(Written {
            sha256: shipshape_pg::archive::hex(&self.hasher.finalize()),
            bytes: self.bytes,
            members: None,
            remote,
        })
    }
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A sink for `kind` writing to `file`.
pub fn open(
    kind: Kind,
    file: File,
    path: PathBuf,
    level: Option<u32>,
    jobs: usize,
) -> anyhow::Result<Box<dyn Sink>> {
    open_to(kind, Box::new(LocalFile::new(file, path)), level, jobs)
}

/// A sink for `kind` writing to `destination`.
pub fn open_to(
    kind: Kind,
    destination: Box<dyn Destination>,
    level: Option<u32>,
    jobs: usize,
) -> anyhow::Result<Box<dyn Sink>> {
    let out = HashingFile::new(destination);
    let path = out.label.clone();
    Ok(match kind {
        Kind::Custom => Box::new(Raw { out: Some(out) }),
        Kind::SqlZstd => {
            let level = i32::try_from(level.unwrap_or(3)).unwrap_or(3);
            let mut enc = zstd::stream::write::Encoder::new(out, level)
                .with_context(|| format!("cannot start zstd for {path}"))?;
            enc.include_checksum(true)
                .and_then(|()| enc.multithread(u32::try_from(jobs).unwrap_or(1)))
                .context("cannot configure zstd (multi-threading)")?;
            Box::new(Zstd {
                enc: Some(enc),
                path,
            })
        }
        Kind::SqlGzip => Box::new(ParallelGzip::start(out, level.unwrap_or(6), jobs)),
    })
}

struct Raw {
    out: Option<HashingFile>,
}

impl Sink for Raw {
    fn write_block(&mut self, block: Vec<u8>) -> anyhow::Result<()> {
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| anyhow!("sink already finished"))?;
        let label = out.label.clone();
        out.write_all(&block)
            .with_context(|| format!("cannot write {label}"))
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<Written> {
        self.out
            .take()
            .ok_or_else(|| anyhow!("sink already finished"))?
            .finish()
    }
}

struct Zstd {
    enc: Option<zstd::stream::write::Encoder<'static, HashingFile>>,
    path: String,
}

impl Sink for Zstd {
    fn write_block(&mut self, block: Vec<u8>) -> anyhow::Result<()> {
        let enc = self
            .enc
            .as_mut()
            .ok_or_else(|| anyhow!("sink already finished"))?;
        enc.write_all(&block)
            .with_context(|| format!("cannot write {}", self.path))
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<Written> {
        let enc = self
            .enc
            .take()
            .ok_or_else(|| anyhow!("sink already finished"))?;
        enc.finish()
            .with_context(|| format!("cannot write {}", self.path))?
            .finish()
    }
}

/// pigz-style gzip on several threads: each block becomes an independent
/// gzip member, compressed by a pool of workers and written in order by one
/// writer thread (which also hashes). A stream of members is a valid gzip
/// file (RFC 1952 §2.2) that gzip, gunzip -t, zcat and every library read.
/// Memory is bounded: at most `2 × jobs` blocks wait on each side of the
/// workers.
struct ParallelGzip {
    seq: u64,
    tx: Option<Sender<(u64, Vec<u8>)>>,
    workers: Vec<JoinHandle<()>>,
    writer: Option<JoinHandle<anyhow::Result<Written>>>,
}

impl ParallelGzip {
    fn start(out: HashingFile, level: u32, jobs: usize) -> Self {
        let (tx, rx) = bounded::<(u64, Vec<u8>)>(jobs * 2);
        let (done_tx, done_rx) = bounded::<(u64, Vec<u8>)>(jobs * 2);
        let workers = (0..jobs)
            .map(|_| {
                let rx = rx.clone();
                let done_tx = done_tx.clone();
                std::thread::spawn(move || compress_worker(&rx, &done_tx, level))
            })
            .collect();
        drop(done_tx);
        let writer = std::thread::spawn(move || write_in_order(out, &done_rx));
        Self {
            seq: 0,
            tx: Some(tx),
            workers,
            writer: Some(writer),
        }
    }
}

/// Compress each block into one gzip member with libdeflate, which works on
/// a whole buffer at once: exactly a member's job.
fn compress_worker(rx: &Receiver<(u64, Vec<u8>)>, tx: &Sender<(u64, Vec<u8>)>, level: u32) {
    let level =
        libdeflater::CompressionLvl::new(i32::try_from(level).unwrap_or(6)).unwrap_or_default();
    let mut compressor = libdeflater::Compressor::new(level);
    // One output buffer per worker, each member copied out at its size:
    // zeroing a fresh bound-sized buffer per block cost more than the copy.
    let mut out = Vec::new();
    for (seq, block) in rx {
        out.resize(compressor.gzip_compress_bound(block.len()), 0);
        // The bound is what libdeflate promises to need, so this cannot
        // fail; if it ever did, the pipeline stops and finish reports it.
        let Ok(len) = compressor.gzip_compress(&block, &mut out) else {
            return;
        };
        let member = out[..len].to_vec();
        if tx.send((seq, member)).is_err() {
            return; // the writer stopped (I/O error); stop quietly
        }
    }
}

fn write_in_order(mut out: HashingFile, rx: &Receiver<(u64, Vec<u8>)>) -> anyhow::Result<Written> {
    let mut next = 0u64;
    let mut pending = BTreeMap::new();
    let mut members = Vec::new();
    for (seq, member) in rx {
        pending.insert(seq, member);
        while let Some(member) = pending.remove(&next) {
            out.write_all(&member)
                .with_context(|| format!("cannot write {}", out.label))?;
            members.push(member.len() as u64);
            next += 1;
        }
    }
    if !pending.is_empty() {
        return Err(anyhow!(
            "internal error: compressed blocks missing from the stream"
        ));
    }
    let mut written = out.finish()?;
    written.members = Some(members);
    Ok(written)
}

impl Sink for ParallelGzip {
    fn write_block(&mut self, block: Vec<u8>) -> anyhow::Result<()> {
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| anyhow!("sink already finished"))?;
        tx.send((self.seq, block))
            .map_err(|_| anyhow!("the compression pipeline stopped"))?;
        self.seq += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<Written> {
        drop(self.tx.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(anyhow!("internal error: the writer thread panicked")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn parallel_gzip_is_one_readable_stream_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gz");
        let file = File::create(&path).unwrap();
        let mut sink = open(Kind::SqlGzip, file, path.clone(), Some(6), 3).unwrap();
        let mut expected = Vec::new();
        for i in 0..50u32 {
            let block: Vec<u8> = format!("block {i}\n")
                .repeat(1000 + i as usize)
                .into_bytes();
            expected.extend_from_slice(&block);
            sink.write_block(block).unwrap();
        }
        let written = sink.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(written.bytes, bytes.len() as u64);
        assert_eq!(
            written.sha256,
            shipshape_pg::archive::hex(&Sha256::digest(&bytes))
        );
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(text, expected);
    }

    #[test]
    fn zstd_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.zst");
        let file = File::create(&path).unwrap();
        let mut sink = open(Kind::SqlZstd, file, path.clone(), Some(3), 2).unwrap();
        sink.write_block(b"hello ".repeat(100_000)).unwrap();
        sink.finish().unwrap();
        let text = zstd::decode_all(&std::fs::read(&path).unwrap()[..]).unwrap();
        assert_eq!(text, b"hello ".repeat(100_000));
    }
}
