//! Files that change in one step, and one writer per file.
//!
//! [`replace`] writes a file under a temporary name that is unique to the process and the call
//! (`.<name>.<pid>.<n>.tmp` beside it), syncs it, renames it over the target and syncs the
//! folder: a reader, or a process killed at any instant, sees the old file or the new one,
//! never half of one, and two processes never write the same temporary file.
//!
//! [`FileLock`] is an advisory lock on `<path>.lock` held by one writer of `path` for as long
//! as it lives (the operating system releases it when the process dies, however it dies). A
//! second writer fails at once with [`LockError`], which names the holder (process id and
//! command line, written into the lock file by the holder).
//!
//! Fault injection, for the crash tests: with `SGLAB_KILL_AT_RENAME=N` in the environment the
//! process kills itself (SIGKILL) just before its N-th rename through [`replace`] (counting
//! from 1), which is how a crash at each step of a checkpoint or a table write is reproduced.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static RENAMES: AtomicUsize = AtomicUsize::new(0);
static TEMPORARIES: AtomicUsize = AtomicUsize::new(0);

/// The environment variable of the fault-injection hook (module docs).
pub const KILL_AT_RENAME: &str = "SGLAB_KILL_AT_RENAME";

/// Renames `from` over `to`, after the fault-injection hook (module docs) had its say.
fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    let n = RENAMES.fetch_add(1, Ordering::SeqCst) + 1;
    if std::env::var(KILL_AT_RENAME).ok().and_then(|v| v.parse::<usize>().ok()) == Some(n) {
        // SAFETY: kill(2) on our own process id has no memory-safety preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
    std::fs::rename(from, to)
}

/// The temporary name [`replace`] writes `path` under (module docs).
fn temporary(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let n = TEMPORARIES.fetch_add(1, Ordering::SeqCst);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Whether `path` is a temporary file of [`replace`] (left behind by a process killed while
/// writing), which a folder's owner may delete.
pub fn is_temporary(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"))
}

/// Replaces `path` by what `write` writes to the path it is given (module docs); the folder is
/// created if needed. An error names the file and leaves `path` as it was.
pub fn replace(path: &Path, write: impl FnOnce(&Path) -> Result<(), String>) -> Result<(), String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tmp = temporary(path);
    let written = write(&tmp).and_then(|()| {
        File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| e.to_string())
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: {e}", tmp.display()));
    }
    if let Err(e) = rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: {e}", path.display()));
    }
    // The rename is durable once the folder is synced (a crash of the process alone never loses
    // it; a power cut could).
    let _ = File::open(dir).and_then(|d| d.sync_all());
    Ok(())
}

/// Replaces `path` by `bytes` in one step ([`replace`]).
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), String> {
    replace(path, |tmp| std::fs::write(tmp, bytes.as_ref()).map_err(|e| e.to_string()))
}

/// `path` is being written by another process.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path} is being written by another process ({holder}); wait for it to finish, or write to another file")]
pub struct LockError {
    /// The file asked for.
    pub path: String,
    /// What the holder wrote into the lock file: its process id and command line.
    pub holder: String,
}

/// An exclusive advisory lock on `<path>.lock` (module docs), released when dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    path: PathBuf,
}

impl FileLock {
    /// The lock file of `path`.
    pub fn lock_path(path: &Path) -> PathBuf {
        PathBuf::from(format!("{}.lock", path.display()))
    }

    /// Takes the lock of `path`, or fails at once naming its holder. Other I/O errors (a folder
    /// that cannot be created) come back as [`LockError`] too, with the cause as the holder.
    pub fn acquire(path: &Path) -> Result<FileLock, LockError> {
        let fail = |holder: String| LockError { path: path.display().to_string(), holder };
        let lock_path = Self::lock_path(path);
        if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| fail(format!("cannot open {}: {e}", lock_path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                // The holder writes its name just after taking the lock: give it a moment.
                let mut holder = String::new();
                for _ in 0..20 {
                    holder.clear();
                    let _ = file.rewind().and_then(|()| file.read_to_string(&mut holder));
                    if !holder.trim().is_empty() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                let holder = holder.trim();
                return Err(fail(if holder.is_empty() { "holder unknown".into() } else { holder.to_string() }));
            }
            Err(TryLockError::Error(e)) => return Err(fail(format!("cannot lock {}: {e}", lock_path.display()))),
        }
        let command: Vec<String> = std::env::args().collect();
        let _ = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| {
            write!(file, "pid {}: {}", std::process::id(), command.join(" ")).and_then(|()| file.flush())
        });
        Ok(FileLock { _file: file, path: path.to_path_buf() })
    }

    /// The file this lock guards.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
