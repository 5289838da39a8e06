//! The Rust SDK: implement [`PrinterDriver`] or [`CollectorDriver`] on a type
//! with `Default`, then export it with [`crate::export_printer!`] or
//! [`crate::export_collector!`]. The macros write the C entry point, the static
//! table and the `call` / `free_buf` functions; every call runs inside
//! `catch_unwind`, so a panic in the driver becomes `COTTON_STATUS_PANIC` and
//! never crosses the C boundary.
//!
//! The SDK also checks data on the plugin side: a JSON input is parsed and
//! validated before the driver sees it, and a decoded export or upload is
//! validated before it is returned.
//!
//! ```ignore
//! use cotton_plugin_abi::sdk::{DriverError, PrinterDriver};
//! use cotton_plugin_abi::wire::{FileType, PrintJob, PrinterInfo};
//!
//! #[derive(Default)]
//! struct Text;
//!
//! impl PrinterDriver for Text {
//!     fn info(&self) -> PrinterInfo { PrinterInfo { output: FileType::new("text/plain; charset=utf-8", "txt") } }
//!     fn render(&self, job: &PrintJob) -> Result<Vec<u8>, DriverError> { Ok(job.card.card_no.clone().into_bytes()) }
//! }
//!
//! cotton_plugin_abi::export_printer!(name: "acme-text", model: "TEXT", version: "1.0.0",
//!     description: "纯文本标签", driver: Text);
//! ```

use crate::ffi::*;
use crate::wire::*;

/// A driver's refusal. The message is shown to the operator: Chinese preferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverError {
    /// The input is malformed or breaks a rule (a bad file, a bad request).
    Input(String),
    /// The driver does not do this.
    Unsupported(String),
    /// Something inside the driver failed.
    Internal(String),
}

impl DriverError {
    pub fn input(m: impl Into<String>) -> Self {
        DriverError::Input(m.into())
    }
    pub fn internal(m: impl Into<String>) -> Self {
        DriverError::Internal(m.into())
    }
    /// The `COTTON_STATUS_*` code.
    pub fn status(&self) -> i32 {
        match self {
            DriverError::Input(_) => COTTON_STATUS_INVALID_INPUT,
            DriverError::Unsupported(_) => COTTON_STATUS_UNSUPPORTED,
            DriverError::Internal(_) => COTTON_STATUS_INTERNAL,
        }
    }
    pub fn message(&self) -> &str {
        match self {
            DriverError::Input(m) | DriverError::Unsupported(m) | DriverError::Internal(m) => m,
        }
    }
}

impl From<RuleError> for DriverError {
    fn from(e: RuleError) -> Self {
        DriverError::Input(e.to_string())
    }
}

/// A label-printer driver.
pub trait PrinterDriver: Send + Sync + 'static {
    /// The output file type.
    fn info(&self) -> PrinterInfo;
    /// The bytes for the printer (all `job.copies` labels). `job` is validated.
    fn render(&self, job: &PrintJob) -> Result<Vec<u8>, DriverError>;
}

/// A collector driver: translates between the device world and the processing
/// interface. For file devices the payloads are file bodies (the host adds and
/// checks the signature trailer, see plugins/README.md); for online devices they
/// are the device's messages.
pub trait CollectorDriver: Send + Sync + 'static {
    fn info(&self) -> CollectorInfo;
    /// Platform → device: the export payload. `export` is validated.
    fn encode_cards(&self, export: &CardExport) -> Result<Vec<u8>, DriverError>;
    /// Device side: reads an export payload back.
    fn decode_cards(&self, payload: &[u8]) -> Result<CardExport, DriverError>;
    /// Device → platform: the upload payload. `upload` is validated.
    fn encode_records(&self, upload: &RecordUpload) -> Result<Vec<u8>, DriverError>;
    /// Platform side: reads an upload payload.
    fn decode_records(&self, payload: &[u8]) -> Result<RecordUpload, DriverError>;
}

/// The static facts the export macros record.
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    pub kind: PluginKind,
    pub name: &'static str,
    pub model: &'static str,
    pub version: &'static str,
    pub description: &'static str,
}

fn parse_json<T: serde::de::DeserializeOwned>(input: &[u8], what: &str) -> Result<T, DriverError> {
    serde_json::from_slice(input).map_err(|e| DriverError::Input(format!("{what}不是有效的JSON（第{}行第{}列）：{e}", e.line(), e.column())))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, DriverError> {
    serde_json::to_vec(v).map_err(|e| DriverError::Internal(format!("JSON编码失败：{e}")))
}

fn describe(meta: &Meta, printer: Option<PrinterInfo>, collector: Option<CollectorInfo>) -> Describe {
    Describe {
        wire_version: COTTON_WIRE_VERSION,
        kind: meta.kind,
        name: meta.name.into(),
        model: meta.model.into(),
        version: meta.version.into(),
        description: meta.description.into(),
        printer,
        collector,
    }
}

/// Runs one printer operation (used by [`crate::export_printer!`]).
pub fn dispatch_printer<T: PrinterDriver>(d: &T, meta: &Meta, op: u32, input: &[u8]) -> Result<Vec<u8>, DriverError> {
    match op {
        COTTON_OP_DESCRIBE => to_json(&describe(meta, Some(d.info()), None)),
        COTTON_OP_RENDER => {
            let mut job: PrintJob = parse_json(input, "打印请求")?;
            job.validate()?;
            // A host from before the ready lines: the same lines, made here.
            if job.lines.is_empty() {
                job.fill_label();
            }
            d.render(&job)
        }
        _ => Err(DriverError::Unsupported(format!("打印机插件不支持操作{op}"))),
    }
}

/// Runs one collector operation (used by [`crate::export_collector!`]).
pub fn dispatch_collector<T: CollectorDriver>(d: &T, meta: &Meta, op: u32, input: &[u8]) -> Result<Vec<u8>, DriverError> {
    match op {
        COTTON_OP_DESCRIBE => to_json(&describe(meta, None, Some(d.info()))),
        COTTON_OP_ENCODE_CARDS => {
            let export: CardExport = parse_json(input, "导出数据")?;
            export.validate()?;
            d.encode_cards(&export)
        }
        COTTON_OP_DECODE_CARDS => {
            let export = d.decode_cards(input)?;
            export.validate()?;
            to_json(&export)
        }
        COTTON_OP_ENCODE_RECORDS => {
            let upload: RecordUpload = parse_json(input, "加工记录")?;
            upload.validate()?;
            d.encode_records(&upload)
        }
        COTTON_OP_DECODE_RECORDS => {
            let upload = d.decode_records(input)?;
            upload.validate()?;
            to_json(&upload)
        }
        _ => Err(DriverError::Unsupported(format!("采集器插件不支持操作{op}"))),
    }
}

/// Support code for the export macros. Not part of the stable SDK surface.
#[doc(hidden)]
pub mod __rt {
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    /// The static table, made `Sync` (it only holds pointers to static data and
    /// functions).
    #[repr(transparent)]
    pub struct SyncTable(pub CottonPluginTable);
    unsafe impl Sync for SyncTable {}

    /// Builds the table for the export macros.
    pub const fn table(meta: &Meta, call: CottonCallFn) -> CottonPluginTable {
        CottonPluginTable {
            abi_version: COTTON_PLUGIN_ABI_VERSION,
            struct_size: std::mem::size_of::<CottonPluginTable>() as u32,
            kind: match meta.kind {
                PluginKind::Collector => COTTON_KIND_COLLECTOR,
                PluginKind::Printer => COTTON_KIND_PRINTER,
            },
            wire_version: COTTON_WIRE_VERSION,
            name: CottonStr::from_static(meta.name),
            model: CottonStr::from_static(meta.model),
            version: CottonStr::from_static(meta.version),
            call: Some(call),
            free_buf: Some(free_buf),
            reserved: std::ptr::null(),
        }
    }

    fn into_buf(bytes: Vec<u8>) -> CottonBuf {
        if bytes.is_empty() {
            return CottonBuf::empty();
        }
        let boxed: Box<[u8]> = bytes.into_boxed_slice();
        let len = boxed.len();
        CottonBuf { ptr: Box::into_raw(boxed) as *mut u8, len }
    }

    /// `free_buf` of every Rust plugin: gives back a buffer made by [`call`].
    ///
    /// # Safety
    /// `buf` must come from this plugin's `call` and be freed once.
    pub unsafe extern "C" fn free_buf(buf: CottonBuf) {
        if buf.ptr.is_null() {
            return;
        }
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: made by `into_buf` from a Box<[u8]> of exactly `len` bytes.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buf.ptr, buf.len)) });
        }));
    }

    fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
        if let Some(s) = p.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = p.downcast_ref::<String>() {
            s.clone()
        } else {
            "unknown panic".to_string()
        }
    }

    /// The body of every Rust plugin's `call`: checks the pointers, runs `f`
    /// under `catch_unwind` and writes the result or the message to `*out`.
    ///
    /// # Safety
    /// `input` must be NULL or point at `input_len` readable bytes; `out` must be
    /// NULL or writable.
    pub unsafe fn call(
        op: u32,
        input: *const u8,
        input_len: usize,
        out: *mut CottonBuf,
        f: &dyn Fn(u32, &[u8]) -> Result<Vec<u8>, DriverError>,
    ) -> i32 {
        if out.is_null() {
            return COTTON_STATUS_INVALID_INPUT;
        }
        let result = catch_unwind(AssertUnwindSafe(|| {
            let bytes: &[u8] = if input_len == 0 {
                &[]
            } else if input.is_null() {
                return Err(DriverError::Input("输入指针为空".into()));
            } else {
                // SAFETY: the caller guarantees `input_len` readable bytes.
                unsafe { std::slice::from_raw_parts(input, input_len) }
            };
            f(op, bytes)
        }));
        let (status, bytes) = match result {
            Ok(Ok(bytes)) => (COTTON_STATUS_OK, bytes),
            Ok(Err(e)) => (e.status(), e.message().as_bytes().to_vec()),
            Err(payload) => {
                let msg = format!("插件内部错误（panic）：{}", panic_message(payload.as_ref()));
                // Dropping a payload can itself panic; never let that escape.
                let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
                (COTTON_STATUS_PANIC, msg.into_bytes())
            }
        };
        // SAFETY: checked non-null above; the caller guarantees it is writable.
        unsafe { out.write(into_buf(bytes)) };
        status
    }
}

/// Exports a [`PrinterDriver`] as a plugin:
///
/// ```ignore
/// cotton_plugin_abi::export_printer!(name: "cotton-printer-zpl", model: "ZPL",
///     version: env!("CARGO_PKG_VERSION"), description: "Zebra ZPL II", driver: ZplPrinter);
/// ```
///
/// `driver` must implement `PrinterDriver + Default`; it is built on first use.
#[macro_export]
macro_rules! export_printer {
    (name: $name:expr, model: $model:expr, version: $version:expr, description: $desc:expr, driver: $ty:ty $(,)?) => {
        $crate::__export_plugin!($crate::wire::PluginKind::Printer, $name, $model, $version, $desc, $ty, dispatch_printer);
    };
}

/// Exports a [`CollectorDriver`] as a plugin; see [`export_printer!`].
#[macro_export]
macro_rules! export_collector {
    (name: $name:expr, model: $model:expr, version: $version:expr, description: $desc:expr, driver: $ty:ty $(,)?) => {
        $crate::__export_plugin!($crate::wire::PluginKind::Collector, $name, $model, $version, $desc, $ty, dispatch_collector);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export_plugin {
    ($kind:expr, $name:expr, $model:expr, $version:expr, $desc:expr, $ty:ty, $dispatch:ident) => {
        const _: () = {
            static META: $crate::sdk::Meta = $crate::sdk::Meta {
                kind: $kind,
                name: $name,
                model: $model,
                version: $version,
                description: $desc,
            };
            static DRIVER: ::std::sync::OnceLock<$ty> = ::std::sync::OnceLock::new();

            unsafe extern "C" fn __cotton_call(
                op: u32,
                input: *const u8,
                input_len: usize,
                out: *mut $crate::ffi::CottonBuf,
            ) -> i32 {
                // SAFETY: forwarded from the host, which follows the ABI.
                unsafe {
                    $crate::sdk::__rt::call(op, input, input_len, out, &|op, bytes| {
                        let driver = DRIVER.get_or_init(<$ty as ::core::default::Default>::default);
                        $crate::sdk::$dispatch(driver, &META, op, bytes)
                    })
                }
            }

            static TABLE: $crate::sdk::__rt::SyncTable =
                $crate::sdk::__rt::SyncTable($crate::sdk::__rt::table(&META, __cotton_call));

            /// The plugin entry point (see plugins/README.md).
            #[unsafe(no_mangle)]
            pub extern "C" fn cotton_plugin_entry(_host_abi_version: u32) -> *const $crate::ffi::CottonPluginTable {
                &TABLE.0
            }
        };
    };
}
