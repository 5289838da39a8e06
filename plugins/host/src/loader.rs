//! Loading one plugin library and calling it safely.
//!
//! Loading checks, in order: the library opens; it exports
//! `cotton_plugin_entry`; the entry point returns a non-NULL, aligned table;
//! the table's ABI version is ours and its size at least ours; kind, wire
//! version, function pointers and strings are sane; `DESCRIBE` answers JSON
//! that agrees with the table; and a smoke test on sample data passes (a
//! printer renders a label, a collector round-trips an export and an upload).
//! A library that fails any check is refused with one reason.
//!
//! Libraries are **never unloaded** — not even refused ones: a Rust plugin may
//! have registered thread-local destructors that would run into unmapped code.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cotton_plugin_abi::ffi::*;
use cotton_plugin_abi::wire::{CollectorInfo, CollectorModel, Describe, PluginKind, PrinterInfo};

use crate::driver_host::ProcessConfig;
use crate::driver_host::parent::RemotePlugin;

/// Largest output accepted from one call (64 MiB).
pub const MAX_OUTPUT_BYTES: usize = 64 << 20;
/// Longest name, model or version string in a table.
pub const MAX_TABLE_STR: usize = 64;

/// What the host knows about a loaded plugin.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PluginInfo {
    pub name: String,
    pub kind: PluginKind,
    pub model: String,
    pub version: String,
    pub abi_version: u32,
    pub wire_version: u32,
    pub description: String,
    pub path: PathBuf,
    pub printer: Option<PrinterInfo>,
    pub collector: Option<CollectorInfo>,
}

/// A call that did not return `COTTON_STATUS_OK`, or whose output could not be
/// taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    /// The status the plugin returned (`COTTON_STATUS_*`), or `COTTON_STATUS_INTERNAL`
    /// for a host-side refusal of the output.
    pub status: i32,
    /// The plugin's message (lossy UTF-8), or the host's.
    pub message: String,
}

type CallFn = unsafe extern "C" fn(u32, *const u8, usize, *mut CottonBuf) -> i32;
type FreeFn = unsafe extern "C" fn(CottonBuf);

/// A plugin library that passed every check. Calls are serialised.
pub struct LoadedPlugin {
    info: PluginInfo,
    backend: Backend,
}

/// Where a loaded plugin's calls run.
enum Backend {
    /// In this process, through the table's function pointers.
    InProcess { call: CallFn, free_buf: FreeFn, lock: Mutex<()> },
    /// In a driver-host child process (see [`crate::driver_host`]).
    Process(Box<RemotePlugin>),
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin").field("info", &self.info).finish_non_exhaustive()
    }
}

/// Reads a table string: non-NULL, 1..=64 bytes, UTF-8, no control characters.
///
/// # Safety
/// `s.ptr` must point at `s.len` readable bytes when non-NULL and `s.len` ≤ 64.
unsafe fn table_str(s: CottonStr, field: &str) -> Result<String, String> {
    if s.ptr.is_null() || s.len == 0 || s.len > MAX_TABLE_STR {
        return Err(format!("table field `{field}` is empty, NULL or longer than {MAX_TABLE_STR} bytes"));
    }
    // SAFETY: non-NULL and at most 64 bytes, as the ABI promises.
    let bytes = unsafe { std::slice::from_raw_parts(s.ptr, s.len) };
    let text = std::str::from_utf8(bytes).map_err(|_| format!("table field `{field}` is not UTF-8"))?;
    if text.chars().any(char::is_control) || text.trim() != text {
        return Err(format!("table field `{field}` has control characters or surrounding spaces"));
    }
    Ok(text.to_string())
}

impl LoadedPlugin {
    /// Loads and checks the library at `path`. The error is the one-line reason
    /// for the log.
    pub fn load(path: &Path) -> Result<LoadedPlugin, String> {
        // SAFETY: loading runs the library's initialisers; plugins are trusted
        // code installed by the operator. Library::new never unloads on success
        // because the handle is leaked below.
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| format!("cannot open the library: {e}"))?;
        // Never unload (see the module docs).
        let lib: &'static libloading::Library = Box::leak(Box::new(lib));
        // SAFETY: the symbol's type is fixed by the ABI.
        let entry: CottonEntryFn = unsafe { lib.get::<CottonEntryFn>(ENTRY_SYMBOL) }
            .map(|s| *s)
            .map_err(|_| "no entry point: the library does not export `cotton_plugin_entry`".to_string())?;
        // SAFETY: calling the ABI entry point with our version.
        let table = unsafe { entry(COTTON_PLUGIN_ABI_VERSION) };
        if table.is_null() {
            return Err(format!(
                "the entry point returned NULL (the plugin refused host ABI version {COTTON_PLUGIN_ABI_VERSION})"
            ));
        }
        if !(table as usize).is_multiple_of(std::mem::align_of::<CottonPluginTable>()) {
            return Err("the entry point returned a misaligned table".into());
        }
        // SAFETY: the first two u32 fields are the same in every ABI version.
        let (abi_version, struct_size) = unsafe {
            let head = table.cast::<u32>();
            (head.read(), head.add(1).read())
        };
        if abi_version != COTTON_PLUGIN_ABI_VERSION {
            return Err(format!(
                "wrong ABI version: the plugin has {abi_version}, this host speaks {COTTON_PLUGIN_ABI_VERSION}"
            ));
        }
        let ours = std::mem::size_of::<CottonPluginTable>();
        if (struct_size as usize) < ours {
            return Err(format!("table size {struct_size} is smaller than ABI {abi_version}'s {ours} bytes"));
        }
        // SAFETY: version and size checked: the table has at least our fields.
        let t: CottonPluginTable = unsafe { table.read() };
        let kind = PluginKind::from_code(t.kind).ok_or_else(|| format!("unknown plugin kind {}", t.kind))?;
        if t.wire_version != COTTON_WIRE_VERSION {
            return Err(format!(
                "wrong wire version: the plugin speaks JSON version {}, this host {COTTON_WIRE_VERSION}",
                t.wire_version
            ));
        }
        let (Some(call), Some(free_buf)) = (t.call, t.free_buf) else {
            return Err("the table has a NULL `call` or `free_buf`".into());
        };
        // SAFETY: pointers from the table, length bounded inside.
        let (name, model, version) =
            unsafe { (table_str(t.name, "name")?, table_str(t.model, "model")?, table_str(t.version, "version")?) };
        if kind == PluginKind::Collector && CollectorModel::parse(&model).is_none() {
            return Err(format!("collector model `{model}` is not one of IV, V, VI"));
        }
        let mut plugin = LoadedPlugin {
            info: PluginInfo {
                name,
                kind,
                model,
                version,
                abi_version,
                wire_version: t.wire_version,
                description: String::new(),
                path: path.to_path_buf(),
                printer: None,
                collector: None,
            },
            backend: Backend::InProcess { call, free_buf, lock: Mutex::new(()) },
        };
        plugin.describe()?;
        crate::drivers::smoke_test(&plugin)?;
        Ok(plugin)
    }

    fn describe(&mut self) -> Result<(), String> {
        let out = self
            .call(COTTON_OP_DESCRIBE, &[])
            .map_err(|f| format!("DESCRIBE failed ({}): {}", status_name(f.status), f.message))?;
        let d: Describe =
            serde_json::from_slice(&out).map_err(|e| format!("DESCRIBE returned malformed JSON: {e}"))?;
        let i = &self.info;
        if d.wire_version != i.wire_version || d.kind != i.kind || d.name != i.name || d.model != i.model || d.version != i.version {
            return Err(format!(
                "DESCRIBE disagrees with the table: {} {} {} {} (wire {}) vs {} {} {} {} (wire {})",
                d.kind.as_str(), d.name, d.model, d.version, d.wire_version,
                i.kind.as_str(), i.name, i.model, i.version, i.wire_version
            ));
        }
        match (i.kind, &d.printer, &d.collector) {
            (PluginKind::Printer, Some(p), None) => {
                if p.output.mime_type.is_empty() || p.output.file_extension.is_empty() || p.output.file_extension.len() > 16 {
                    return Err("DESCRIBE gives no usable output MIME type / file extension".into());
                }
            }
            (PluginKind::Collector, None, Some(c)) => {
                let model = CollectorModel::parse(&i.model).expect("checked at load");
                if c.max_cards_per_scan as usize != model.max_cards_per_scan() {
                    return Err(format!(
                        "DESCRIBE says {} cards per scan; model {} takes {}",
                        c.max_cards_per_scan,
                        model.as_str(),
                        model.max_cards_per_scan()
                    ));
                }
                let want = if model.is_online() { cotton_plugin_abi::wire::Transport::Online } else { cotton_plugin_abi::wire::Transport::File };
                if c.transport != want {
                    return Err(format!("DESCRIBE gives the wrong transport for model {}", model.as_str()));
                }
                for ft in [&c.cards_payload, &c.records_payload] {
                    if ft.mime_type.is_empty() || ft.file_extension.is_empty() || ft.file_extension.len() > 16 {
                        return Err("DESCRIBE gives no usable payload MIME type / file extension".into());
                    }
                }
            }
            _ => return Err("DESCRIBE must carry exactly the section of the plugin's kind".into()),
        }
        let i = &mut self.info;
        i.description = d.description.chars().take(200).collect();
        i.printer = d.printer;
        i.collector = d.collector;
        Ok(())
    }

    /// Loads and checks the library at `path` in a driver-host child process
    /// (every check of [`LoadedPlugin::load`] runs there); calls are proxied
    /// to the child. The error is the one-line reason for the log.
    pub fn load_isolated(path: &Path, config: Arc<ProcessConfig>) -> Result<LoadedPlugin, String> {
        let (info, remote) = RemotePlugin::load(path, config)?;
        Ok(LoadedPlugin { info, backend: Backend::Process(Box::new(remote)) })
    }

    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// Whether calls run in a driver-host child process.
    pub fn is_isolated(&self) -> bool {
        matches!(self.backend, Backend::Process(_))
    }

    /// How many calls lost their driver-host child (it crashed, missed the
    /// deadline or broke the protocol), and the message of the last one; always
    /// `(0, None)` in process, where a crash ends the caller instead.
    pub fn losses(&self) -> (u64, Option<String>) {
        match &self.backend {
            Backend::Process(remote) => remote.losses(),
            Backend::InProcess { .. } => (0, None),
        }
    }

    /// The pid of the driver-host child serving this plugin, when isolated and
    /// one is running.
    pub fn child_pid(&self) -> Option<u32> {
        match &self.backend {
            Backend::Process(remote) => remote.child_pid(),
            Backend::InProcess { .. } => None,
        }
    }

    /// Runs one operation. Serialised per plugin; copies the output and gives
    /// the plugin's buffer back. Isolated: runs in the plugin's child, which a
    /// crash or a missed deadline replaces (that call fails with
    /// `COTTON_STATUS_INTERNAL`).
    pub fn call(&self, op: u32, input: &[u8]) -> Result<Vec<u8>, CallFailure> {
        match &self.backend {
            Backend::InProcess { call, free_buf, lock } => self.call_in_process(*call, *free_buf, lock, op, input),
            Backend::Process(remote) => remote.call(op, input),
        }
    }

    fn call_in_process(&self, call: CallFn, free_buf: FreeFn, lock: &Mutex<()>, op: u32, input: &[u8]) -> Result<Vec<u8>, CallFailure> {
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = CottonBuf::empty();
        let input_ptr = if input.is_empty() { std::ptr::null() } else { input.as_ptr() };
        // SAFETY: the ABI: input is borrowed for the call, out is writable.
        let status = unsafe { call(op, input_ptr, input.len(), &mut out) };
        let bytes = if out.ptr.is_null() {
            if out.len != 0 {
                return Err(CallFailure {
                    status: COTTON_STATUS_INTERNAL,
                    message: "插件返回了无效的缓冲区（空指针但长度不为0）".into(),
                });
            }
            Vec::new()
        } else if out.len > MAX_OUTPUT_BYTES {
            // SAFETY: the plugin's own buffer, given back once.
            unsafe { free_buf(out) };
            return Err(CallFailure {
                status: COTTON_STATUS_INTERNAL,
                message: format!("插件输出过大（{}字节，上限{}字节）", out.len, MAX_OUTPUT_BYTES),
            });
        } else {
            // SAFETY: the plugin promises `len` readable bytes at `ptr`.
            let v = unsafe { std::slice::from_raw_parts(out.ptr, out.len) }.to_vec();
            // SAFETY: the plugin's own buffer, given back once.
            unsafe { free_buf(out) };
            v
        };
        if status == COTTON_STATUS_OK {
            Ok(bytes)
        } else {
            let mut message = String::from_utf8_lossy(&bytes).chars().take(1000).collect::<String>();
            if message.trim().is_empty() {
                message = format!("插件{}未说明原因（状态{}）", self.info.name, status_name(status));
            }
            Err(CallFailure { status, message })
        }
    }
}
