//! Plugins in driver-host child processes: a plugin that segfaults, aborts or
//! hangs costs one call, not the process that uses it.
//!
//! With [`Isolation::Process`] the registry starts one child per plugin library
//! (the program and arguments of [`ProcessConfig`]; the server runs its own
//! executable as `cotton-trace driver-host`). The child loads the library with
//! the ordinary loader — every load-time check runs there — and answers calls
//! over its stdin / stdout ([`protocol`]: length-prefixed frames, a version
//! handshake first). The parent's [`crate::LoadedPlugin`] proxies every call
//! (DESCRIBE, RENDER, the collectors' encode / decode) with a deadline. When
//! the child dies or misses the deadline (it is then killed), that call fails
//! with `COTTON_STATUS_INTERNAL` and a Chinese message (API code `PLUGIN`), and
//! the next call spawns a fresh child.
//!
//! Calls to one plugin stay serialised (one child, one call at a time); calls
//! to different plugins run in parallel, as in process.

pub mod child;
pub(crate) mod parent;
pub mod protocol;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use child::child_main;

/// The default deadline of one plugin call (and of a child's start and load).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How to start a driver-host child.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    /// The program (the server runs itself: `/proc/self/exe` on Linux).
    pub program: PathBuf,
    /// Its arguments, e.g. `["driver-host"]`.
    pub args: Vec<OsString>,
    /// Deadline of one call, and of starting a child and loading its library.
    pub timeout: Duration,
    /// Environment variables the child must not see (secrets of the parent).
    pub env_remove: Vec<String>,
}

impl ProcessConfig {
    /// `program args…` with the default deadline and nothing removed.
    pub fn new(program: impl Into<PathBuf>, args: &[&str]) -> ProcessConfig {
        ProcessConfig {
            program: program.into(),
            args: args.iter().map(OsString::from).collect(),
            timeout: DEFAULT_TIMEOUT,
            env_remove: Vec::new(),
        }
    }
}

/// Where plugins run.
#[derive(Debug, Clone)]
pub enum Isolation {
    /// In the calling process (a crash takes it down): the collector client,
    /// the conformance kit, `COTTON_PLUGIN_ISOLATION=inprocess`.
    InProcess,
    /// One driver-host child per plugin.
    Process(Arc<ProcessConfig>),
}

impl Isolation {
    pub fn name(&self) -> &'static str {
        match self {
            Isolation::InProcess => "inprocess",
            Isolation::Process(_) => "process",
        }
    }
}
