//! The C ABI between the host (the Cotton Trace server or the collector client)
//! and a driver plugin. Everything here is `#[repr(C)]` or a plain integer;
//! `include/cotton_plugin.h` is generated from this file by cbindgen.
//!
//! A plugin is a shared library exporting one symbol, [`ENTRY_SYMBOL`]
//! (`cotton_plugin_entry`), of type [`CottonEntryFn`]. It returns a pointer to a
//! static [`CottonPluginTable`]. All structured data passes through
//! [`CottonPluginTable::call`] as bytes: JSON (see [`crate::wire`]) or raw file /
//! printer bytes, never a Rust type.

use std::ffi::c_void;

/// Version of this ABI (the layout of `CottonPluginTable`, the operation and
/// status codes). The host refuses a plugin whose table carries another version.
pub const COTTON_PLUGIN_ABI_VERSION: u32 = 1;
/// Version of the JSON encoding of the records passed through `call`.
pub const COTTON_WIRE_VERSION: u32 = 1;

/// Plugin kind: a collector driver (IV, V or VI devices).
pub const COTTON_KIND_COLLECTOR: u32 = 1;
/// Plugin kind: a label-printer driver.
pub const COTTON_KIND_PRINTER: u32 = 2;

/// Operation: describe the plugin. Input empty; output JSON (`Describe`).
pub const COTTON_OP_DESCRIBE: u32 = 1;
/// Printer operation: render a label. Input JSON (`PrintJob`); output the bytes to
/// send to the printer (or the PDF file).
///
/// PrintJob fields (wire version 1): UTF-8 JSON, camelCase keys, in any order;
/// ignore keys you do not know (fields are added without a version bump).
/// "always" = the host always sends the key; decimals are JSON strings with
/// exactly 2 decimals, never numbers.
///
/// ```text
///  key                type      present    meaning
///  card               object    always     the trace card, keys below
///  enterpriseName     string    always     the ginning enterprise that prints (1-64 chars)
///  copies             integer   always     1-100: print the label this many times
///  reprint            boolean   may be     true on a reprint (补打); absent = false
///                               absent
///  printedAt          string    always     RFC 3339 UTC with 0 to 9 decimals of the second,
///                                          usually 9: "2026-10-02T08:00:00.123456789Z"
///  title              string    always     the title to print: "棉花质量追溯卡", on a reprint
///                                          "棉花质量追溯卡（补打）" (hosts before this field
///                                          existed sent none)
///  lines              array     always     the text lines to print, in order, each an object:
///    label            string    always       the caption, e.g. "种植者" (1-32 chars)
///    value            string    always       its value, e.g. "张三丰" (1-256 chars);
///                                          print each as label + "：" + value. The first line
///                                          is always "追溯卡号" with the card number, which
///                                          may stand under the barcode without its caption
///
///  card:
///  cardNo             string    always     "TC" + 13 digits, Damm check digit. Print it as a
///                                          Code 128 barcode and as a QR code whose payload is
///                                          exactly this string
///  season             integer   always     e.g. 2026
///  ticketNo           string    always     the weigh ticket, 1-32 visible ASCII characters
///  growerName         string    always     1-64 chars
///  unitName           string    always     the trace unit, 1-64 chars
///  grossKg            string    always     decimal kg, e.g. "12500.00"
///  tareKg             string    always     decimal kg
///  netKg              string    always     decimal kg, = grossKg - tareKg
///  lintYieldPct       string    may be     decimal %, e.g. "38.50"; absent when unknown
///                               absent
///  targetLintKg       string    always     decimal kg of lint the card stands for
///  processableBales   integer   always     bales that lint makes
///  moduleType         string    always     "ROUND_MODULE", "RECTANGULAR_MODULE" or "LOOSE"
///  moduleCount        integer   always     0-10000
/// ```
///
/// A plugin refuses a job that is not such an object, or whose card number,
/// copies or names break these rules, with `COTTON_STATUS_INVALID_INPUT`.
pub const COTTON_OP_RENDER: u32 = 100;
/// Collector operation: platform → device. Input JSON (`CardExport`); output the
/// device payload (export file body, or the online message for VI).
pub const COTTON_OP_ENCODE_CARDS: u32 = 200;
/// Collector operation: device side of `ENCODE_CARDS`. Input the device payload;
/// output JSON (`CardExport`).
pub const COTTON_OP_DECODE_CARDS: u32 = 201;
/// Collector operation: device → platform. Input JSON (`RecordUpload`); output the
/// device payload (upload file body, or the online messages for VI).
pub const COTTON_OP_ENCODE_RECORDS: u32 = 202;
/// Collector operation: platform side of `ENCODE_RECORDS`. Input the device
/// payload; output JSON (`RecordUpload`).
pub const COTTON_OP_DECODE_RECORDS: u32 = 203;

/// Status: success; `out` holds the result.
pub const COTTON_STATUS_OK: i32 = 0;
/// Status: the input is malformed or breaks a rule (for a decode: the file is
/// bad). `out` holds a UTF-8 message for the operator (Chinese preferred).
pub const COTTON_STATUS_INVALID_INPUT: i32 = 1;
/// Status: the plugin does not implement this operation.
pub const COTTON_STATUS_UNSUPPORTED: i32 = 2;
/// Status: the plugin failed for a reason of its own. `out` holds a message.
pub const COTTON_STATUS_INTERNAL: i32 = 3;
/// Status: the plugin panicked (Rust SDK) or crashed a call in a way it caught.
pub const COTTON_STATUS_PANIC: i32 = 4;

/// The name of the entry-point symbol, NUL-terminated for `dlsym`.
pub const ENTRY_SYMBOL: &[u8] = b"cotton_plugin_entry\0";

/// Borrowed UTF-8 text (not NUL-terminated): `len` bytes at `ptr`. In the
/// table it points at static data that lives as long as the library.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CottonStr {
    pub ptr: *const u8,
    pub len: usize,
}

impl CottonStr {
    /// A `CottonStr` over a `'static` string (usable in a `static` table).
    pub const fn from_static(s: &'static str) -> Self {
        CottonStr { ptr: s.as_ptr(), len: s.len() }
    }
}

/// A buffer the plugin allocated and the host gives back with
/// `CottonPluginTable::free_buf` once it has copied it. `ptr` may be NULL when
/// `len` is 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CottonBuf {
    pub ptr: *mut u8,
    pub len: usize,
}

impl CottonBuf {
    /// The empty buffer (NULL, 0).
    pub const fn empty() -> Self {
        CottonBuf { ptr: std::ptr::null_mut(), len: 0 }
    }
}

/// One operation. `input` is `input_len` bytes (NULL allowed when 0), borrowed
/// for the duration of the call. The plugin writes its result (on success) or a
/// UTF-8 error message (otherwise) to `*out` and returns a `COTTON_STATUS_*`.
/// The host serialises calls to one plugin, so a plugin need not be
/// thread-safe, but it may be called from different threads in turn.
pub type CottonCallFn =
    unsafe extern "C" fn(op: u32, input: *const u8, input_len: usize, out: *mut CottonBuf) -> i32;

/// Frees a buffer the plugin returned through `call`.
pub type CottonFreeFn = unsafe extern "C" fn(buf: CottonBuf);

/// The entry point: `cotton_plugin_entry(COTTON_PLUGIN_ABI_VERSION)`.
pub type CottonEntryFn = unsafe extern "C" fn(host_abi_version: u32) -> *const CottonPluginTable;

/// What the entry point returns. The first two fields are fixed for every ABI
/// version, so a host can read them before it trusts the rest.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CottonPluginTable {
    /// `COTTON_PLUGIN_ABI_VERSION` the plugin was built against.
    pub abi_version: u32,
    /// `sizeof(CottonPluginTable)` as the plugin sees it.
    pub struct_size: u32,
    /// `COTTON_KIND_COLLECTOR` or `COTTON_KIND_PRINTER`.
    pub kind: u32,
    /// `COTTON_WIRE_VERSION` of the JSON the plugin reads and writes.
    pub wire_version: u32,
    /// Package name, e.g. `cotton-printer-zpl` (1–64 bytes of UTF-8).
    pub name: CottonStr,
    /// Model: `IV`, `V` or `VI` for collectors; the printer language or vendor
    /// model for printers, e.g. `ZPL` (1–64 bytes). Unique per kind.
    pub model: CottonStr,
    /// The plugin's own version, e.g. `1.2.0` (1–64 bytes).
    pub version: CottonStr,
    /// Runs one operation (a `CottonCallFn`; never NULL).
    pub call: Option<unsafe extern "C" fn(op: u32, input: *const u8, input_len: usize, out: *mut CottonBuf) -> i32>,
    /// Frees a buffer returned by `call` (a `CottonFreeFn`; never NULL).
    pub free_buf: Option<unsafe extern "C" fn(buf: CottonBuf)>,
    /// Reserved for later ABI additions; set to NULL.
    pub reserved: *const c_void,
}

/// Status and operation names for logs.
pub fn status_name(status: i32) -> &'static str {
    match status {
        COTTON_STATUS_OK => "OK",
        COTTON_STATUS_INVALID_INPUT => "INVALID_INPUT",
        COTTON_STATUS_UNSUPPORTED => "UNSUPPORTED",
        COTTON_STATUS_INTERNAL => "INTERNAL",
        COTTON_STATUS_PANIC => "PANIC",
        _ => "UNKNOWN_STATUS",
    }
}

/// Operation names for logs.
pub fn op_name(op: u32) -> &'static str {
    match op {
        COTTON_OP_DESCRIBE => "DESCRIBE",
        COTTON_OP_RENDER => "RENDER",
        COTTON_OP_ENCODE_CARDS => "ENCODE_CARDS",
        COTTON_OP_DECODE_CARDS => "DECODE_CARDS",
        COTTON_OP_ENCODE_RECORDS => "ENCODE_RECORDS",
        COTTON_OP_DECODE_RECORDS => "DECODE_RECORDS",
        _ => "UNKNOWN_OP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    fn table_layout_is_fixed() {
        // The first two fields are read before anything else is trusted.
        assert_eq!(offset_of!(CottonPluginTable, abi_version), 0);
        assert_eq!(offset_of!(CottonPluginTable, struct_size), 4);
        if size_of::<usize>() == 8 {
            assert_eq!(size_of::<CottonStr>(), 16);
            assert_eq!(size_of::<CottonBuf>(), 16);
            assert_eq!(offset_of!(CottonPluginTable, name), 16);
            assert_eq!(offset_of!(CottonPluginTable, call), 64);
            assert_eq!(size_of::<CottonPluginTable>(), 88);
            assert_eq!(align_of::<CottonPluginTable>(), 8);
        }
        assert_eq!(ENTRY_SYMBOL.last(), Some(&0));
        assert_eq!(status_name(COTTON_STATUS_PANIC), "PANIC");
        assert_eq!(op_name(COTTON_OP_DECODE_RECORDS), "DECODE_RECORDS");
    }
}
