//! Reading an object as an `io::Read`, streamed: a task on the store's
//! runtime fetches the body and hands chunks over a small bounded channel,
//! so memory stays bounded whatever the size.

use std::io::{self, Read};

use bytes::Bytes;
use futures::StreamExt as _;
use object_store::ObjectStoreExt as _;
use tokio::sync::mpsc;

use super::error::RemoteError;
use super::store::Store;

/// Chunks in the channel (the client's chunks are 8–64 KiB).
const QUEUED_CHUNKS: usize = 64;

/// A streamed object body.
pub struct ObjectReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
    task: tokio::task::JoinHandle<()>,
}

impl Store {
    /// Open `name` for reading; fails now if it does not exist.
    pub fn reader(&self, name: &str) -> Result<ObjectReader, RemoteError> {
        let path = self.path(name);
        let got = self
            .rt
            .block_on(self.s3.get(&path))
            .map_err(|e| self.fail("read", name, e))?;
        let (tx, rx) = mpsc::channel(QUEUED_CHUNKS);
        let url = self.url().join(name);
        let task = self.rt.spawn(async move {
            let mut stream = got.into_stream();
            while let Some(chunk) = stream.next().await {
                let item =
                    chunk.map_err(|e| io::Error::other(format!("reading {url} failed: {e}")));
                let stop = item.is_err();
                if tx.send(item).await.is_err() || stop {
                    return;
                }
            }
        });
        Ok(ObjectReader {
            rx,
            current: Bytes::new(),
            task,
        })
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(err)) => return Err(err),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

impl Drop for ObjectReader {
    fn drop(&mut self) {
        self.task.abort();
    }
}
