//! Conformance test kit for Cotton Trace driver plugins.
//!
//! A vendor runs the standalone binary against their shared library (no Rust
//! toolchain or workspace needed):
//!
//! ```sh
//! cotton-plugin-conformance path/to/libacme_printer.so
//! ```
//!
//! or calls [`run`] from a test. Like the server, it loads the library in a
//! **driver-host child process** (the kit's own executable started as
//! `cotton-plugin-conformance driver-host`), with the server's loader and
//! every load-time check (ABI handshake, `DESCRIBE`, self-test); a plugin that
//! segfaults, aborts or hangs fails the check it was in (the next call gets a
//! fresh child) and the closing check "no call crashed the plugin's process",
//! instead of taking the kit down. Then it checks:
//!
//! - **every kind**: an unknown operation answers `UNSUPPORTED`; empty input,
//!   random bytes, malformed and wrongly shaped JSON, deeply nested JSON and
//!   truncated input answer `INVALID_INPUT` (never OK, never a crash); calls
//!   from several threads in turn; a thousand calls in a row;
//! - **printers**, on sample jobs built exactly as the server builds them
//!   ([`cotton_plugin_abi::wire::PrintJob::new`]: 2-decimal weights, the
//!   server clock's nanoseconds, the ready label lines): the sample label
//!   renders, deterministically; every module type, 100 copies, a reprint,
//!   64-character Chinese names and print times with 0, 3, 6 and 9 decimals of
//!   the second render; the output carries the card number, the title and
//!   every label line the host sent (a PDF's text must be extractable);
//!   `copies` is honoured (a PDF has one page per copy; other outputs repeat
//!   the label or change only the copies count); the Code 128 barcode and the
//!   QR code carry the card number (read from ZPL and TSPL commands, decoded
//!   from a PDF's vector drawing; other formats are skipped); invalid jobs
//!   (0 or 101 copies, a card number with a wrong check digit, an empty
//!   grower) are refused;
//! - **collectors**: exports of 0, 1, 3 and 2000 cards and an upload with every
//!   record kind round-trip exactly; a scan of the model's maximum number of
//!   cards passes and one more is refused; every truncation of a payload is
//!   refused or reads back the original; corrupted payloads never crash the
//!   plugin; for file collectors, signed export and upload files verify and a
//!   tampered one is refused with `BAD_FILE`.

pub mod build;
pub mod label;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cotton_plugin_abi::ffi::*;
use cotton_plugin_abi::wire::*;
use cotton_plugin_host::loader::CallFailure;
use cotton_plugin_host::signing::SigningKey;
use cotton_plugin_host::{Collector, HostError, Isolation, LoadedPlugin, PluginInfo, Printer, ProcessConfig, samples};

/// The hidden argument that makes the kit's executable a driver host:
/// `cotton-plugin-conformance driver-host` serves one plugin on its stdin /
/// stdout ([`cotton_plugin_host::driver_host::child_main`]).
pub const DRIVER_HOST_ARG: &str = "driver-host";

/// The kit's default deadline of one plugin call (and of starting the child
/// and loading the library): a call over it counts as a hang.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The executable's file name.
pub const BINARY_NAME: &str = "cotton-plugin-conformance";

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    /// Passed (or skipped).
    pub ok: bool,
    /// Not applicable to this plugin (e.g. barcodes of an output format the kit
    /// cannot read); `ok` is then true and `detail` says why.
    pub skipped: bool,
    pub detail: String,
}

/// What [`run`] found.
#[derive(Debug, Clone)]
pub struct Report {
    pub path: String,
    pub plugin: Option<PluginInfo>,
    pub checks: Vec<Check>,
    /// `process` (a driver-host child) or `inprocess`.
    pub isolation: &'static str,
}

impl Report {
    /// True when the plugin loaded and every check passed.
    pub fn passed(&self) -> bool {
        self.plugin.is_some() && self.checks.iter().all(|c| c.ok)
    }

    /// The failed checks.
    pub fn failures(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| !c.ok).collect()
    }

    /// The check of that name, if it ran.
    pub fn check(&self, name_starts_with: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name.starts_with(name_starts_with))
    }

    /// A human-readable report, one line per check and a closing line
    /// `N passed, N failed` (`, N skipped` when some were).
    pub fn render(&self) -> String {
        let mut s = format!("conformance of {} (plugin runs {})\n", self.path, match self.isolation {
            "process" => "in a driver-host child process",
            _ => "in this process",
        });
        if let Some(p) = &self.plugin {
            s.push_str(&format!(
                "  plugin {} {} model {} version {} (ABI {}, wire {})\n",
                p.name,
                p.kind.as_str(),
                p.model,
                p.version,
                p.abi_version,
                p.wire_version
            ));
        }
        for c in &self.checks {
            let tag = match (c.ok, c.skipped) {
                (_, true) => "SKIP",
                (true, false) => "PASS",
                (false, false) => "FAIL",
            };
            s.push_str(&format!("  {tag} {}", c.name));
            if !c.detail.is_empty() {
                s.push_str(&format!(": {}", c.detail));
            }
            s.push('\n');
        }
        let failed = self.checks.iter().filter(|c| !c.ok).count();
        let skipped = self.checks.iter().filter(|c| c.skipped).count();
        s.push_str(&format!("{} passed, {} failed", self.checks.len() - failed - skipped, failed));
        if skipped > 0 {
            s.push_str(&format!(", {skipped} skipped"));
        }
        s.push('\n');
        s
    }
}

struct Kit {
    checks: Vec<Check>,
    plugin: Option<Arc<LoadedPlugin>>,
    /// Calls that had lost their child when the previous check was recorded.
    losses_seen: u64,
}

impl Kit {
    /// Records a check. A check during which a call lost the plugin's child
    /// process (crash, hang, protocol breach) fails, whatever its result.
    fn check(&mut self, name: &str, result: Result<(), String>) {
        let (ok, detail) = match result {
            Ok(()) => (true, String::new()),
            Err(d) => (false, d),
        };
        let (losses, last) = self.plugin.as_ref().map(|p| p.losses()).unwrap_or((0, None));
        let (ok, detail) = if losses > self.losses_seen {
            let n = losses - self.losses_seen;
            let crash = format!("the plugin's process crashed or hung during this check ({n} time(s); last: {})", last.unwrap_or_default());
            (false, if detail.is_empty() { crash } else { format!("{crash}; {detail}") })
        } else {
            (ok, detail)
        };
        self.losses_seen = losses;
        self.checks.push(Check { name: name.to_string(), ok, skipped: false, detail });
    }

    fn skip(&mut self, name: &str, why: &str) {
        self.checks.push(Check { name: name.to_string(), ok: true, skipped: true, detail: why.to_string() });
    }
}

/// Plugins in driver-host children started as `program driver-host`, each
/// call with `timeout`. `program` must serve
/// [`cotton_plugin_host::driver_host::child_main`] for that argument, as the
/// kit's binary does.
pub fn driver_host(program: impl Into<PathBuf>, timeout: Duration) -> Isolation {
    let mut config = ProcessConfig::new(program, &[DRIVER_HOST_ARG]);
    config.timeout = timeout;
    Isolation::Process(Arc::new(config))
}

/// The kit's binary to use as driver host: `$COTTON_CONFORMANCE_DRIVER_HOST`;
/// else the running executable when it is the kit; else a
/// `cotton-plugin-conformance` next to the running executable or one folder
/// up (where cargo puts it for the kit's own tests).
pub fn find_driver_host() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("COTTON_CONFORMANCE_DRIVER_HOST") {
        return Some(p.into());
    }
    let name = format!("{BINARY_NAME}{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe().ok()?;
    if exe.file_name().is_some_and(|n| n == name.as_str()) {
        return Some(exe);
    }
    exe.parent()?.ancestors().take(2).map(|d| d.join(&name)).find(|p| p.is_file())
}

/// Runs the kit against the library at `path`, the plugin in a driver-host
/// child ([`find_driver_host`], [`DEFAULT_TIMEOUT`]). Without a driver host
/// the report fails with one check saying so.
pub fn run(path: &Path) -> Report {
    match find_driver_host() {
        Some(program) => run_with(path, &driver_host(program, DEFAULT_TIMEOUT)),
        None => Report {
            path: path.display().to_string(),
            plugin: None,
            checks: vec![Check {
                name: "starts the driver host".into(),
                ok: false,
                skipped: false,
                detail: format!("no `{BINARY_NAME}` executable found to run the plugin in (set COTTON_CONFORMANCE_DRIVER_HOST)"),
            }],
            isolation: "process",
        },
    }
}

/// Runs the kit against the library at `path`, the plugin where `isolation`
/// says.
pub fn run_with(path: &Path, isolation: &Isolation) -> Report {
    let mut kit = Kit { checks: Vec::new(), plugin: None, losses_seen: 0 };
    // dlopen looks a bare file name up in the library path, not here.
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let loaded = if !absolute.is_file() {
        Err(format!("no such file: {}", absolute.display()))
    } else {
        match isolation {
            Isolation::InProcess => LoadedPlugin::load(&absolute),
            Isolation::Process(config) => LoadedPlugin::load_isolated(&absolute, config.clone()),
        }
    };
    kit.check(
        "loads (entry point, ABI version, table, DESCRIBE, self-test on the sample job)",
        loaded.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let report = |kit: Kit, plugin: Option<PluginInfo>| Report {
        path: path.display().to_string(),
        plugin,
        checks: kit.checks,
        isolation: isolation.name(),
    };
    let plugin = match loaded {
        Ok(p) => Arc::new(p),
        Err(_) => return report(kit, None),
    };
    kit.plugin = Some(plugin.clone());
    common_checks(&mut kit, &plugin);
    match plugin.info().kind {
        PluginKind::Printer => printer_checks(&mut kit, Printer::new(plugin.clone()).expect("a printer")),
        PluginKind::Collector => collector_checks(&mut kit, Collector::new(plugin.clone()).expect("a collector")),
    }
    let name = "no call crashed or hung the plugin's process";
    match plugin.losses() {
        _ if !plugin.is_isolated() => kit.skip(name, "the plugin ran in this process (a crash would have ended the kit)"),
        (0, _) => kit.check(name, Ok(())),
        (n, last) => {
            let detail = format!("{n} call(s) lost the driver-host child; last: {}", last.unwrap_or_default());
            // Already counted against the checks they happened in.
            kit.checks.push(Check { name: name.into(), ok: false, skipped: false, detail });
        }
    }
    let info = plugin.info().clone();
    report(kit, Some(info))
}

/// A small deterministic generator for random inputs.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn expect_status(plugin: &LoadedPlugin, op: u32, input: &[u8], want: i32) -> Result<(), String> {
    match plugin.call(op, input) {
        Ok(out) => Err(format!(
            "{} of {} bytes ({:?}…) answered OK with {} bytes; expected {}",
            op_name(op),
            input.len(),
            String::from_utf8_lossy(&input[..input.len().min(40)]),
            out.len(),
            status_name(want)
        )),
        Err(CallFailure { status, message }) if status == want => {
            if message.trim().is_empty() {
                Err(format!("{} refused without a message", op_name(op)))
            } else {
                Ok(())
            }
        }
        Err(CallFailure { status, message }) => Err(format!(
            "{} of {} bytes answered {} ({message}); expected {}",
            op_name(op),
            input.len(),
            status_name(status),
            status_name(want)
        )),
    }
}

fn input_ops(kind: PluginKind) -> (Vec<u32>, Vec<u32>) {
    // (ops that take JSON, ops that take a device payload)
    match kind {
        PluginKind::Printer => (vec![COTTON_OP_RENDER], vec![]),
        PluginKind::Collector => (
            vec![COTTON_OP_ENCODE_CARDS, COTTON_OP_ENCODE_RECORDS],
            vec![COTTON_OP_DECODE_CARDS, COTTON_OP_DECODE_RECORDS],
        ),
    }
}

fn common_checks(kit: &mut Kit, plugin: &Arc<LoadedPlugin>) {
    let kind = plugin.info().kind;
    kit.check("unknown operation answers UNSUPPORTED", expect_status(plugin, 9999, b"{}", COTTON_STATUS_UNSUPPORTED));
    let other_kind_op = if kind == PluginKind::Printer { COTTON_OP_ENCODE_CARDS } else { COTTON_OP_RENDER };
    kit.check(
        "an operation of the other kind answers UNSUPPORTED",
        expect_status(plugin, other_kind_op, b"{}", COTTON_STATUS_UNSUPPORTED),
    );

    let (json_ops, payload_ops) = input_ops(kind);
    let all_ops: Vec<u32> = json_ops.iter().chain(&payload_ops).copied().collect();
    kit.check(
        "empty input is refused",
        all_ops.iter().try_for_each(|&op| expect_status(plugin, op, b"", COTTON_STATUS_INVALID_INPUT)),
    );
    let mut rng = XorShift(0x5eed_c0770);
    kit.check(
        "random bytes are refused",
        (0..64).try_for_each(|i| {
            let input = rng.bytes(1 + (i * 37) % 2048);
            all_ops.iter().try_for_each(|&op| expect_status(plugin, op, &input, COTTON_STATUS_INVALID_INPUT))
        }),
    );
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bad_json: Vec<&[u8]> = vec![
        b"{",
        b"}",
        b"null",
        b"[]",
        b"{}",
        b"\"text\"",
        b"12345",
        b"{\"card\":null}",
        b"{\"cards\":\"x\"}",
        b"{\"card\":{\"cardNo\":12}}",
        "{\"\u{0}\":\"\u{ffff}\"}".as_bytes(),
        deep.as_bytes(),
    ];
    kit.check(
        "malformed and wrongly shaped JSON is refused",
        json_ops.iter().try_for_each(|&op| {
            bad_json.iter().try_for_each(|input| expect_status(plugin, op, input, COTTON_STATUS_INVALID_INPUT))
        }),
    );
    kit.check(
        "calls from several threads in turn",
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        (0..25).try_for_each(|_| {
                            plugin.call(COTTON_OP_DESCRIBE, &[]).map(|_| ()).map_err(|f| f.message)
                        })
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|h| h.join().map_err(|_| "a thread panicked".to_string())?)
        }),
    );
    kit.check(
        "a thousand calls in a row",
        (0..1000).try_for_each(|i| {
            plugin
                .call(COTTON_OP_DESCRIBE, &[])
                .map(|_| ())
                .map_err(|f| format!("call {i} failed: {}", f.message))
        }),
    );
}

fn host_err(e: HostError) -> String {
    format!("{} ({})", e, e.code())
}

/// `s` without white space (labels break and space text as they like).
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The card number, the title and every line's caption and value appear in
/// the label's text.
fn label_text_complete(printer: &Printer, job: &PrintJob) -> Result<(), String> {
    let out = printer.render(job).map_err(host_err)?;
    let info = printer.output_type();
    let format = label::format_of(&info.mime_type, &info.file_extension);
    let text = label::text_of(format, &info.mime_type, &out.bytes)?;
    let text = squeeze(&text);
    if format == label::Format::Pdf && text.is_empty() {
        return Err("no text can be extracted from the PDF: write the text with fonts that map to Unicode (ToUnicode), not as outlines or images".into());
    }
    let mut wanted = vec![("the card number", job.card.card_no.clone()), ("the title", job.title.clone())];
    for (i, l) in job.lines.iter().enumerate() {
        // The first line is the card number, which a label may show as the
        // barcode's text without its caption.
        if i > 0 {
            wanted.push(("a line's caption", l.label.clone()));
        }
        wanted.push(("a line's value", l.value.clone()));
    }
    let missing: Vec<String> =
        wanted.iter().filter(|(_, w)| !text.contains(&squeeze(w))).map(|(what, w)| format!("{what} “{w}”")).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let decoded = match format {
        label::Format::Pdf => "the PDF's extracted text",
        _ => "the output (decoded with its MIME type's charset, UTF-8 when none)",
    };
    Err(format!("{decoded} lacks {}", missing.join(", ")))
}

/// The span where `a` and `b` differ (after their common prefix and suffix).
fn differing<'a>(a: &'a [u8], b: &'a [u8]) -> (&'a [u8], &'a [u8]) {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let max_suf = a.len().min(b.len()) - pre;
    let suf = a.iter().rev().zip(b.iter().rev()).take(max_suf).take_while(|(x, y)| x == y).count();
    (&a[pre..a.len() - suf], &b[pre..b.len() - suf])
}

fn occurrences(hay: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || hay.len() < needle.len() {
        return 0;
    }
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// `copies` is honoured: a PDF has one page per copy; another output either
/// repeats the label (the card number appears `n` times as often) or differs
/// from the one-copy output only in the copies count (`1` → `n`, as text or
/// as a byte), as a printer command such as ZPL's `^PQ` or TSPL's `PRINT`.
fn copies_honoured(printer: &Printer, job: &PrintJob) -> Result<(), String> {
    const N: u32 = 7;
    let mut one = job.clone();
    one.copies = 1;
    let mut many = job.clone();
    many.copies = N;
    let a = printer.render(&one).map_err(host_err)?.bytes;
    let b = printer.render(&many).map_err(host_err)?.bytes;
    let info = printer.output_type();
    if label::format_of(&info.mime_type, &info.file_extension) == label::Format::Pdf {
        let (pa, pb) = (label::pdf_pages(&a)?, label::pdf_pages(&b)?);
        return if (pa, pb) == (1, N as usize) {
            Ok(())
        } else {
            Err(format!("a PDF needs one page per copy: 1 copy gave {pa} page(s), {N} copies gave {pb}"))
        };
    }
    if a == b {
        return Err(format!("{N} copies gave exactly the output of 1 copy: `copies` is ignored"));
    }
    if b == a.repeat(N as usize) {
        return Ok(());
    }
    // Repeated labels: the card number (or the title) appears N times as often.
    let format = label::format_of(&info.mime_type, &info.file_extension);
    let (ta, tb) = (label::text_of(format, &info.mime_type, &a)?, label::text_of(format, &info.mime_type, &b)?);
    let times = |t: &str, what: &str| occurrences(t.as_bytes(), what.as_bytes());
    let (ca, cb) = (times(&ta, &job.card.card_no), times(&tb, &job.card.card_no));
    let (ha, hb) = (times(&ta, &job.title), times(&tb, &job.title));
    if (ca > 0 && cb == ca * N as usize) || (ha > 0 && hb == ha * N as usize) {
        return Ok(());
    }
    let (da, db) = differing(&a, &b);
    let count_only = (da == b"1" && db == N.to_string().as_bytes()) || (da == [1u8] && db == [N as u8]);
    if count_only {
        return Ok(());
    }
    Err(format!(
        "{N} copies neither repeat the label {N} times (the card number appears {ca} time(s) for 1 copy, {cb} for {N}) \
         nor change only the copies count (the outputs differ in {:?} → {:?})",
        String::from_utf8_lossy(&da[..da.len().min(40)]),
        String::from_utf8_lossy(&db[..db.len().min(40)])
    ))
}

/// The Code 128 barcode and the QR code carry exactly the card number; `None`
/// when the kit cannot read the output's barcodes.
fn barcodes_right(printer: &Printer, job: &PrintJob) -> Option<Result<(), String>> {
    let info = printer.output_type();
    let format = label::format_of(&info.mime_type, &info.file_extension);
    if format == label::Format::Other {
        return None;
    }
    Some((|| {
        let out = printer.render(job).map_err(host_err)?;
        let codes = label::barcodes(format, &info.mime_type, &out.bytes)?.expect("a format the kit reads");
        let card = &job.card.card_no;
        let how = match format {
            label::Format::Pdf => "decoded from the PDF's drawing, where the kit reads bars and modules drawn as filled rectangles, not images",
            _ => "in the printer commands",
        };
        if !codes.code128.iter().any(|c| c == card) {
            return Err(format!("no Code 128 barcode of the card number {card} ({how}: {:?})", codes.code128));
        }
        if !codes.qr.iter().any(|c| c == card) {
            return Err(format!("no QR code whose payload is the card number {card} ({how}: {:?})", codes.qr));
        }
        if let Some(other) = codes.code128.iter().chain(&codes.qr).find(|c| *c != card) {
            return Err(format!("a barcode carries {other:?}, not the card number {card}"));
        }
        Ok(())
    })())
}

fn printer_checks(kit: &mut Kit, printer: Printer) {
    let job = samples::print_job();
    kit.check(
        "renders the sample label, deterministically",
        (|| {
            let a = printer.render(&job).map_err(host_err)?;
            let b = printer.render(&job).map_err(host_err)?;
            if a.bytes != b.bytes {
                return Err("the same job gave different bytes".into());
            }
            if a.file_name != format!("{}.{}", job.card.card_no, printer.output_type().file_extension) {
                return Err(format!("unexpected file name {}", a.file_name));
            }
            Ok(())
        })(),
    );
    kit.check(
        "the label shows the card number, the title and every line the host sent",
        label_text_complete(&printer, &job).and_then(|()| {
            let mut reprint = job.clone();
            reprint.reprint = true;
            reprint.fill_label();
            label_text_complete(&printer, &reprint).map_err(|e| format!("a reprint: {e}"))
        }),
    );
    kit.check("copies is honoured", copies_honoured(&printer, &job));
    match barcodes_right(&printer, &job) {
        Some(result) => kit.check("the Code 128 barcode and the QR code carry the card number", result),
        None => kit.skip(
            "the Code 128 barcode and the QR code carry the card number",
            &format!("the kit reads barcodes of ZPL, TSPL and PDF, not {}: scan a printed label", printer.output_type().mime_type),
        ),
    }
    kit.check(
        "renders every module type, 100 copies, a reprint and 64-character names",
        (|| {
            for m in ModuleType::ALL {
                let mut j = job.clone();
                j.card.module_type = m;
                j.card.module_count = if m == ModuleType::Loose { 0 } else { 9999 };
                j.fill_label();
                printer.render(&j).map_err(host_err)?;
            }
            let mut j = job.clone();
            j.copies = MAX_COPIES;
            j.reprint = true;
            j.card.grower_name = "棉".repeat(64);
            j.card.unit_name = "团".repeat(64);
            j.enterprise_name = "企".repeat(64);
            j.card.lint_yield_pct = None;
            j.fill_label();
            printer.render(&j).map_err(host_err)?;
            Ok(())
        })(),
    );
    kit.check(
        "renders print times with 0, 3, 6 and 9 decimals of the second (the server's clock)",
        [0i64, 123_000_000, 123_456_000, 123_456_789].into_iter().try_for_each(|nanos| {
            let mut j = job.clone();
            j.printed_at = samples::at(0) + chrono::Duration::nanoseconds(nanos);
            let sent = serde_json::to_value(&j).expect("json")["printedAt"].clone();
            printer.render(&j).map(|_| ()).map_err(|e| format!("printedAt {sent}: {}", host_err(e)))
        }),
    );
    let plugin = printer.plugin();
    let mut invalid: Vec<(&str, PrintJob)> = Vec::new();
    let mut j = job.clone();
    j.copies = 0;
    invalid.push(("0 copies", j));
    let mut j = job.clone();
    j.copies = MAX_COPIES + 1;
    invalid.push(("101 copies", j));
    let mut j = job.clone();
    let last = j.card.card_no.pop().expect("digit");
    j.card.card_no.push(if last == '9' { '0' } else { char::from(last as u8 + 1) });
    j.fill_label();
    invalid.push(("a card number with a wrong check digit", j));
    let mut j = job.clone();
    j.card.grower_name.clear();
    invalid.push(("an empty grower name", j));
    kit.check(
        "invalid print jobs are refused",
        invalid.iter().try_for_each(|(what, j)| {
            expect_status(plugin, COTTON_OP_RENDER, &serde_json::to_vec(j).expect("json"), COTTON_STATUS_INVALID_INPUT)
                .map_err(|e| format!("{what}: {e}"))
        }),
    );
    let full = serde_json::to_vec(&job).expect("json");
    kit.check(
        "truncated print jobs are refused",
        (1..full.len()).step_by(7).try_for_each(|n| expect_status(plugin, COTTON_OP_RENDER, &full[..n], COTTON_STATUS_INVALID_INPUT)),
    );
}

/// Every strict prefix of `payload` is refused, or reads back as `expected`.
fn truncations<T: PartialEq>(payload: &[u8], decode: impl Fn(&[u8]) -> Result<T, HostError>, expected: &T) -> Result<(), String> {
    let step = (payload.len() / 300).max(1);
    for n in (0..payload.len()).step_by(step).chain(payload.len().saturating_sub(3)..payload.len()) {
        match decode(&payload[..n]) {
            Err(HostError::BadFile(_)) => {}
            Ok(v) if &v == expected => {}
            Ok(_) => return Err(format!("the first {n} of {} bytes read back as different, valid data", payload.len())),
            Err(e) => return Err(format!("the first {n} bytes: {}", host_err(e))),
        }
    }
    Ok(())
}

/// Corrupted payloads are refused as bad files or read back as valid data;
/// never a plugin failure.
fn corruptions<T>(payload: &[u8], decode: impl Fn(&[u8]) -> Result<T, HostError>) -> Result<(), String> {
    let mut rng = XorShift(0xc0ffee);
    for _ in 0..200 {
        let mut p = payload.to_vec();
        if p.is_empty() {
            break;
        }
        let i = (rng.next() as usize) % p.len();
        p[i] = rng.next() as u8;
        match decode(&p) {
            Ok(_) | Err(HostError::BadFile(_)) => {}
            Err(e) => return Err(format!("byte {i} corrupted: {}", host_err(e))),
        }
    }
    Ok(())
}

fn collector_checks(kit: &mut Kit, c: Collector) {
    let model = c.model();
    kit.check(
        "exports of 0, 1, 3 and 2000 cards round-trip exactly",
        [0u64, 1, 3, 2000].into_iter().try_for_each(|n| {
            let e = samples::export(model, n);
            let payload = c.encode_cards(&e).map_err(host_err)?;
            let back = c.decode_cards(&payload).map_err(|e| format!("{n} cards: {}", host_err(e)))?;
            if back != e {
                return Err(format!("{n} cards read back differently"));
            }
            Ok(())
        }),
    );
    kit.check(
        "an upload with every record kind round-trips exactly",
        (|| {
            let u = samples::upload(model);
            let back = c.decode_records(&c.encode_records(&u).map_err(host_err)?).map_err(host_err)?;
            if back != u {
                return Err("the upload read back differently".into());
            }
            Ok(())
        })(),
    );
    let max = model.max_cards_per_scan();
    kit.check(
        &format!("a scan of {max} cards passes, {} cards is refused", max + 1),
        (|| {
            let mut u = samples::upload(model);
            let scan = |n: usize| ProcessingEvent::Scan {
                card_nos: (1..=n as u64).map(|i| cotton_domain::card_no::format_card_no(2026, i)).collect(),
            };
            u.records[0].event = scan(max);
            c.decode_records(&c.encode_records(&u).map_err(host_err)?).map_err(host_err)?;
            u.records[0].event = scan(max + 1);
            let mut json = serde_json::to_vec(&u).expect("json");
            expect_status(c.plugin(), COTTON_OP_ENCODE_RECORDS, &json, COTTON_STATUS_INVALID_INPUT)?;
            // And a record the domain refuses: a bale of 0 kg.
            u.records[0].event = ProcessingEvent::BalePressed {
                barcode: "B1".into(),
                net_kg: rust_decimal::Decimal::ZERO,
                moisture_pct: None,
                card_no: None,
            };
            json = serde_json::to_vec(&u).expect("json");
            expect_status(c.plugin(), COTTON_OP_ENCODE_RECORDS, &json, COTTON_STATUS_INVALID_INPUT)
        })(),
    );
    let export = samples::export(model, 5);
    let upload = samples::upload(model);
    let cards_payload = c.encode_cards(&export);
    let records_payload = c.encode_records(&upload);
    kit.check(
        "every truncation of a payload is refused or reads back the original",
        (|| {
            let cp = cards_payload.clone().map_err(host_err)?;
            truncations(&cp, |p| c.decode_cards(p), &export)?;
            let rp = records_payload.clone().map_err(host_err)?;
            truncations(&rp, |p| c.decode_records(p), &upload)
        })(),
    );
    kit.check(
        "corrupted payloads never make the plugin fail",
        (|| {
            corruptions(&cards_payload.clone().map_err(host_err)?, |p| c.decode_cards(p))?;
            corruptions(&records_payload.clone().map_err(host_err)?, |p| c.decode_records(p))
        })(),
    );
    if c.info().transport == Transport::File {
        kit.check("signed export and upload files verify; tampered ones are refused with BAD_FILE", signed_files(&c));
    }
}

fn signed_files(c: &Collector) -> Result<(), String> {
    let platform = SigningKey::from_bytes(&[7; 32]);
    let line = SigningKey::from_bytes(&[8; 32]);
    let export = samples::export(c.model(), 4);
    let file = c.export_file(&export, &platform).map_err(host_err)?;
    let back = c.read_export_file("L1", &file.bytes, &platform.verifying_key()).map_err(host_err)?;
    if back != export {
        return Err("the signed export file read back differently".into());
    }
    let upload = samples::upload(c.model());
    let ufile = c.upload_file(&upload, &line).map_err(host_err)?;
    let back = c.read_upload_file("L1", &ufile.bytes, &line.verifying_key()).map_err(host_err)?;
    if back != upload {
        return Err("the signed upload file read back differently".into());
    }
    let expect_bad = |r: Result<(), HostError>, what: &str| match r {
        Err(HostError::BadFile(_)) => Ok(()),
        Err(e) => Err(format!("{what}: {}", host_err(e))),
        Ok(()) => Err(format!("{what} was accepted")),
    };
    let mut tampered = file.bytes.clone();
    tampered[file.bytes.len() / 3] ^= 0x01;
    expect_bad(c.read_export_file("L1", &tampered, &platform.verifying_key()).map(|_| ()), "a tampered export file")?;
    let mut forged = ufile.bytes.clone();
    forged[ufile.bytes.len() / 2] ^= 0x01;
    expect_bad(c.read_upload_file("L1", &forged, &line.verifying_key()).map(|_| ()), "an altered upload file")?;
    let by_other = c.upload_file(&upload, &SigningKey::from_bytes(&[9; 32])).map_err(host_err)?;
    expect_bad(c.read_upload_file("L1", &by_other.bytes, &line.verifying_key()).map(|_| ()), "an upload signed with another key")?;
    expect_bad(c.read_upload_file("L2", &ufile.bytes, &line.verifying_key()).map(|_| ()), "an upload for another line")?;
    Ok(())
}
