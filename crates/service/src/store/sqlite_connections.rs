//! The SQLite store's connections: one writer and a small pool of read-only readers. In WAL
//! mode readers never wait for a writer, so a write blocked on another process's lock (for up
//! to the busy timeout) stalls other writes only, never reads. Every call runs on tokio's
//! blocking pool, and at most one thread per connection is ever used: callers wait for a turn
//! asynchronously, so a flood of requests cannot grow the blocking pool to hundreds of threads.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use tokio::sync::Semaphore;

use crate::store::{PoolUsage, StoreError};

/// How a SQLite store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long a write waits for another process's lock on the store before it fails
    /// ([`StoreError::Busy`], answered 503).
    pub busy_timeout: Duration,
    /// Read-only connections for reads, each used by one request at a time.
    pub readers: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { busy_timeout: Duration::from_secs(5), readers: 4 }
    }
}

/// A connection shared by turns: the semaphore hands out as many turns as there are
/// connections, so a turn always finds one free.
struct Turns {
    free: Mutex<Vec<Connection>>,
    turns: Arc<Semaphore>,
    size: usize,
}

impl Turns {
    fn new(connections: Vec<Connection>) -> Arc<Self> {
        let size = connections.len();
        let turns = Arc::new(Semaphore::new(size));
        Arc::new(Self { free: Mutex::new(connections), turns, size })
    }

    /// Runs `f` with a free connection on the blocking pool, waiting (asynchronously) for one.
    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let permit = self.turns.clone().acquire_owned().await.map_err(|e| StoreError::Backend(Box::new(e)))?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave SQLite half-written (transactions
            // roll back on drop), so a poisoned lock is still safe to use.
            let taken = this.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let mut conn = taken.ok_or_else(|| StoreError::Corrupt("no free connection for a turn".into()))?;
            let outcome = f(&mut conn);
            this.free.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
            drop(permit);
            outcome
        })
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?
    }
}

/// The writer, the readers, and what to call the store in messages.
pub(super) struct Connections {
    name: String,
    /// Where the file is; None for a store in memory.
    path: Option<std::path::PathBuf>,
    writer: Arc<Turns>,
    /// None for a store in memory.
    readers: Option<Arc<Turns>>,
    /// A reader of its own that asks `PRAGMA data_version` only: the value one connection
    /// reads changes whenever another one (in any process) commits, so it must never be a
    /// connection that writes, nor one of several (each has its own count).
    watcher: Option<Arc<Turns>>,
    read_only: bool,
}

impl Connections {
    /// `writer` is open and prepared; `readers` more read-only connections are opened on `path`
    /// (none for a store in memory, whose reads then take the writer's turns).
    pub(super) fn new(
        writer: Connection,
        path: Option<&Path>,
        options: &StoreOptions,
        read_only: bool,
    ) -> Result<Self, StoreError> {
        let mut readers = Vec::new();
        if let Some(path) = path {
            for _ in 0..options.readers {
                readers.push(open_reader(path, options.busy_timeout)?);
            }
        }
        let name = path.map_or_else(|| "in memory".to_string(), |p| p.display().to_string());
        let readers = (!readers.is_empty()).then(|| Turns::new(readers));
        let watcher = match path {
            Some(path) => Some(Turns::new(vec![open_reader(path, options.busy_timeout)?])),
            None => None,
        };
        let path = path.map(Path::to_path_buf);
        Ok(Self { name, path, writer: Turns::new(vec![writer]), readers, watcher, read_only })
    }

    /// Changes whenever another connection committed since the last call; constant for a
    /// store in memory, which only this process's writer changes.
    pub(super) async fn change_token(&self) -> Result<u64, StoreError> {
        let Some(watcher) = &self.watcher else { return Ok(0) };
        let read = watcher.run(|conn| Ok(conn.query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))? as u64));
        read.await.map_err(|e| classify(e, &self.name))
    }

    /// Ready: the file is still where it was opened, a reader reads its layout, the layout is
    /// current, and it can be written.
    pub(super) async fn readiness(&self, expected_layout: i64) -> Result<(), StoreError> {
        let (path, name) = (self.path.clone(), self.name.clone());
        let layout = self
            .read(move |conn| {
                // An open connection still reads a file that was moved or deleted: ask the path.
                if let Some(path) = path {
                    std::fs::metadata(path).map_err(|e| StoreError::Backend(format!("{name}: {e}").into()))?;
                }
                Ok(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?)
            })
            .await?;
        if layout > expected_layout {
            return Err(StoreError::Newer(layout));
        }
        if layout < expected_layout {
            return Err(StoreError::Corrupt(format!(
                "the store {} is in layout {layout}, not {expected_layout}",
                self.name
            )));
        }
        if self.read_only {
            return Err(StoreError::ReadOnly(self.name.clone()));
        }
        Ok(())
    }

    /// Connections in use now (the writer and the readers; not the watcher) and how many there are.
    pub(super) fn usage(&self) -> PoolUsage {
        let pools = std::iter::once(&self.writer).chain(self.readers.as_ref());
        pools.fold(PoolUsage { in_use: 0, size: 0 }, |sum, turns| {
            let size = turns.size;
            PoolUsage { in_use: sum.in_use + size - turns.turns.available_permits(), size: sum.size + size }
        })
    }

    pub(super) fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Runs a read on a reader (or the writer of a store in memory).
    pub(super) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let turns = self.readers.as_ref().unwrap_or(&self.writer);
        turns.run(f).await.map_err(|e| classify(e, &self.name))
    }

    /// Runs a write on the writer; refused at once when the store could only be opened read-only.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly(self.name.clone()));
        }
        self.writer.run(f).await.map_err(|e| classify(e, &self.name))
    }
}

fn open_reader(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(busy_timeout)?;
    Ok(conn)
}

/// Names the faults an operator must act on — another process holding the lock, a read-only
/// file or mount, a full disk — instead of passing SQLite's wording through.
pub(super) fn classify(e: StoreError, name: &str) -> StoreError {
    let StoreError::Backend(inner) = &e else { return e };
    let Some(rusqlite::Error::SqliteFailure(failure, _)) = inner.downcast_ref::<rusqlite::Error>() else { return e };
    match failure.code {
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy(name.to_string()),
        ErrorCode::ReadOnly => StoreError::ReadOnly(name.to_string()),
        ErrorCode::DiskFull => StoreError::Full(name.to_string()),
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> StoreError {
        StoreError::from(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None))
    }

    #[test]
    fn lock_read_only_and_full_disk_faults_are_named_with_the_store() {
        let name = "/data/store.db";
        assert!(matches!(classify(failure(rusqlite::ffi::SQLITE_BUSY), name), StoreError::Busy(n) if n == name));
        assert!(matches!(classify(failure(rusqlite::ffi::SQLITE_READONLY), name), StoreError::ReadOnly(_)));
        let full = classify(failure(rusqlite::ffi::SQLITE_FULL), name);
        assert_eq!(full.to_string(), "the disk of the store /data/store.db is full: free some space and retry");
        assert!(matches!(classify(failure(rusqlite::ffi::SQLITE_CORRUPT), name), StoreError::Backend(_)));
    }
}
