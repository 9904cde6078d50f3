//! Streaming an object into the store with a multipart upload, in fixed
//! parts with a few in flight, so memory stays bounded whatever the size
//! (parts × (in flight + 2)), and the upload runs while the producer (the
//! dump pipeline) still writes.
//!
//! The upload is split in two halves so that nothing appears under the
//! object's name before the caller has checked what it wrote:
//!
//! - an [`UploadWriter`] (`io::Write`) that the pipeline owns: it cuts parts
//!   and hands them to the uploader; [`UploadWriter::finish`] waits until
//!   every part is stored;
//! - an [`Upload`] the caller keeps: [`Upload::complete`] makes the object
//!   appear (CompleteMultipartUpload, atomic in S3); dropping it without
//!   completing aborts the upload, so the store discards the parts. Any
//!   failure or interruption therefore leaves no object under the name.
//!
//! Failed part requests are retried with exponential backoff by the client
//! (see `store::retry_config`); a part that still fails fails the upload.

use std::io;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use object_store::{MultipartUpload, ObjectStoreExt as _, PutResult};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::error::RemoteError;
use super::store::Store;

/// Parts uploading at once. Two keep the link busy while the next part is
/// filled; more only adds memory (measured: docs/benchmarks.md).
pub const IN_FLIGHT: usize = 2;
/// The default part size. S3 allows 10,000 parts, so 8 MiB parts hold
/// objects up to 78 GiB; [`part_size_for`] grows it for larger estimates.
/// Cloudflare R2 requires every part but the last to have the same size,
/// so the size is fixed for the whole upload.
pub const DEFAULT_PART_SIZE: usize = 8 << 20;
/// S3's limit on the number of parts of one upload.
pub const MAX_PARTS: u64 = 10_000;

/// A part size that fits an object of about `estimate` bytes into 9,000
/// parts (headroom for a wrong estimate), never below the default.
pub fn part_size_for(estimate: u64) -> usize {
    let needed = estimate.div_ceil(9_000).next_multiple_of(1 << 20);
    usize::try_from(needed)
        .unwrap_or(usize::MAX)
        .max(DEFAULT_PART_SIZE)
}

enum Msg {
    Part(Bytes),
    Flush(oneshot::Sender<Result<Stored, String>>),
    Complete(oneshot::Sender<Result<PutResult, String>>),
    Abort,
}

/// What the parts stored so far add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub parts: u64,
    pub bytes: u64,
}

/// The first failure of the upload, shared with the writer so that the
/// producer stops at its next write instead of dumping into the void.
type Failure = Arc<Mutex<Option<String>>>;

fn failure_of(failure: &Failure) -> Option<String> {
    failure.lock().ok().and_then(|f| f.clone())
}

/// The writing half.
pub struct UploadWriter {
    tx: mpsc::Sender<Msg>,
    buffer: Vec<u8>,
    part_size: usize,
    parts: u64,
    failure: Failure,
    url: String,
}

/// The half that completes or aborts.
pub struct Upload {
    tx: mpsc::Sender<Msg>,
    driver: Option<tokio::task::JoinHandle<()>>,
    store: Store,
    name: String,
    part_size: usize,
    done: bool,
}

impl Store {
    /// Start a multipart upload of `name` (the request that creates it is
    /// made now, so a missing bucket or refused key fails here).
    pub fn upload(
        &self,
        name: &str,
        part_size: usize,
    ) -> Result<(UploadWriter, Upload), RemoteError> {
        let path = self.path(name);
        let multipart = self
            .rt
            .block_on(self.s3.put_multipart(&path))
            .map_err(|e| self.fail("upload", name, e))?;
        let (tx, rx) = mpsc::channel(1);
        let failure: Failure = Arc::default();
        let driver = self.rt.spawn(drive(multipart, rx, Arc::clone(&failure)));
        let writer = UploadWriter {
            tx: tx.clone(),
            buffer: Vec::with_capacity(part_size),
            part_size,
            parts: 0,
            failure,
            url: self.url().join(name),
        };
        let upload = Upload {
            tx,
            driver: Some(driver),
            store: self.clone(),
            name: name.to_owned(),
            part_size,
            done: false,
        };
        Ok((writer, upload))
    }
}

/// The uploader: runs on the store's runtime until completed or aborted.
async fn drive(
    mut upload: Box<dyn MultipartUpload>,
    mut rx: mpsc::Receiver<Msg>,
    failure: Failure,
) {
    let mut tasks: JoinSet<object_store::Result<()>> = JoinSet::new();
    let mut stored = Stored { parts: 0, bytes: 0 };
    let mut failed: Option<String> = None;
    let record = |err: String, failed: &mut Option<String>| {
        if let Ok(mut slot) = failure.lock() {
            slot.get_or_insert_with(|| err.clone());
        }
        failed.get_or_insert(err);
    };
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Part(bytes) if failed.is_none() => {
                while tasks.len() >= IN_FLIGHT {
                    if let Some(Err(err)) = join_one(&mut tasks).await {
                        record(err, &mut failed);
                    }
                }
                stored.parts += 1;
                stored.bytes += bytes.len() as u64;
                tasks.spawn(upload.put_part(bytes.into()));
            }
            Msg::Part(_) => {}
            Msg::Flush(reply) => {
                while let Some(result) = join_one(&mut tasks).await {
                    if let Err(err) = result {
                        record(err, &mut failed);
                    }
                }
                let _ = reply.send(failed.clone().map_or(Ok(stored), Err));
            }
            Msg::Complete(reply) => {
                if let Some(err) = failed.clone() {
                    let _ = reply.send(Err(err));
                    break;
                }
                match upload.complete().await {
                    Ok(put) => {
                        let _ = reply.send(Ok(put));
                        return;
                    }
                    Err(err) => {
                        let _ = reply.send(Err(err.to_string()));
                        break;
                    }
                }
            }
            Msg::Abort => break,
        }
    }
    // Aborted, failed or abandoned: the store discards every part.
    tasks.shutdown().await;
    let _ = upload.abort().await;
}

async fn join_one(tasks: &mut JoinSet<object_store::Result<()>>) -> Option<Result<(), String>> {
    let joined = tasks.join_next().await?;
    Some(match joined {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(err) => Err(format!("upload task failed: {err}")),
    })
}

impl UploadWriter {
    fn send_part(&mut self) -> io::Result<()> {
        if let Some(err) = failure_of(&self.failure) {
            return Err(self.error(&err));
        }
        self.parts += 1;
        if self.parts > MAX_PARTS {
            return Err(self.error(&format!(
                "the backup outgrew S3's {MAX_PARTS} parts of {}; set a larger part size",
                shipshape_core::human::bytes(self.part_size as u64)
            )));
        }
        let full = std::mem::replace(&mut self.buffer, Vec::with_capacity(self.part_size));
        self.tx
            .blocking_send(Msg::Part(Bytes::from(full)))
            .map_err(|_| self.error("the uploader stopped"))
    }

    fn error(&self, reason: &str) -> io::Error {
        io::Error::other(format!("upload to {} failed: {reason}", self.url))
    }

    /// Upload what is buffered and wait until every part is stored.
    pub fn finish(mut self) -> io::Result<Stored> {
        if !self.buffer.is_empty() || self.parts == 0 {
            self.send_part()?;
        }
        let (reply, answer) = oneshot::channel();
        self.tx
            .blocking_send(Msg::Flush(reply))
            .map_err(|_| self.error("the uploader stopped"))?;
        answer
            .blocking_recv()
            .map_err(|_| self.error("the uploader stopped"))?
            .map_err(|e| self.error(&e))
    }
}

impl io::Write for UploadWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.part_size - self.buffer.len();
        let n = buf.len().min(room);
        self.buffer.extend_from_slice(&buf[..n]);
        if self.buffer.len() == self.part_size {
            self.send_part()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The object as completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub e_tag: Option<String>,
}

impl Upload {
    pub fn part_size(&self) -> usize {
        self.part_size
    }

    /// Make the object appear under its name. Call only after every check
    /// of what was written has passed.
    pub fn complete(mut self) -> Result<Completed, RemoteError> {
        let (reply, answer) = oneshot::channel();
        let url = self.store.url().join(&self.name);
        let failed = |detail: String| RemoteError::Failed {
            action: "complete the upload of".to_owned(),
            url: url.clone(),
            endpoint: self.store.endpoint().to_owned(),
            detail,
        };
        let sent = self.tx.blocking_send(Msg::Complete(reply));
        let result = match sent {
            Ok(()) => answer
                .blocking_recv()
                .map_err(|_| failed("the uploader stopped".to_owned()))
                .and_then(|r| r.map_err(failed)),
            Err(_) => Err(failed("the uploader stopped".to_owned())),
        };
        self.done = result.is_ok();
        self.wait_for_driver();
        result.map(|put| Completed { e_tag: put.e_tag })
    }

    /// Abort now (also what dropping does).
    pub fn abort(mut self) {
        self.abort_now();
    }

    fn abort_now(&mut self) {
        if !self.done {
            // Waits for room in the channel: the driver keeps draining it
            // (finishing in-flight parts first), and fails at once if the
            // driver has already ended. A `try_send` could lose the message
            // while a part waits, and the driver would then wait for us.
            let _ = self.tx.blocking_send(Msg::Abort);
            self.done = true;
        }
        self.wait_for_driver();
    }

    fn wait_for_driver(&mut self) {
        if let Some(driver) = self.driver.take() {
            let _ = self.store.rt.block_on(driver);
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        self.abort_now();
    }
}
