//! Conformance test kit for Cotton Trace driver plugins.
//!
//! A vendor runs it against their shared library:
//!
//! ```sh
//! cargo run -p cotton-plugin-conformance -- path/to/libacme_printer.so
//! ```
//!
//! or calls [`run`] from a test. It loads the library exactly as the server
//! does (ABI handshake, `DESCRIBE`, load-time self-test), then checks:
//!
//! - **every kind**: an unknown operation answers `UNSUPPORTED`; empty input,
//!   random bytes, malformed and wrongly shaped JSON, deeply nested JSON and
//!   truncated input answer `INVALID_INPUT` (never OK, never a panic); calls
//!   from several threads in turn; a thousand calls in a row;
//! - **printers**: the sample label renders, deterministically; every module
//!   type, 100 copies and 64-character Chinese names render; invalid jobs
//!   (0 or 101 copies, a card number with a wrong check digit, an empty grower)
//!   are refused;
//! - **collectors**: exports of 0, 1, 3 and 2000 cards and an upload with every
//!   record kind round-trip exactly; a scan of the model's maximum number of
//!   cards passes and one more is refused; every truncation of a payload is
//!   refused or reads back the original; corrupted payloads never crash the
//!   plugin; for file collectors, signed export and upload files verify and a
//!   tampered one is refused with `BAD_FILE`.

pub mod build;

use std::path::Path;
use std::sync::Arc;

use cotton_plugin_abi::ffi::*;
use cotton_plugin_abi::wire::*;
use cotton_plugin_host::loader::CallFailure;
use cotton_plugin_host::signing::SigningKey;
use cotton_plugin_host::{Collector, HostError, LoadedPlugin, PluginInfo, Printer, samples};

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// What [`run`] found.
#[derive(Debug, Clone)]
pub struct Report {
    pub path: String,
    pub plugin: Option<PluginInfo>,
    pub checks: Vec<Check>,
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

    /// A human-readable report, one line per check and a closing line
    /// `N passed, N failed`.
    pub fn render(&self) -> String {
        let mut s = format!("conformance of {}\n", self.path);
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
            s.push_str(&format!("  {} {}", if c.ok { "PASS" } else { "FAIL" }, c.name));
            if !c.detail.is_empty() {
                s.push_str(&format!(": {}", c.detail));
            }
            s.push('\n');
        }
        let failed = self.checks.iter().filter(|c| !c.ok).count();
        s.push_str(&format!("{} passed, {} failed\n", self.checks.len() - failed, failed));
        s
    }
}

struct Kit {
    checks: Vec<Check>,
}

impl Kit {
    fn check(&mut self, name: &str, result: Result<(), String>) {
        let (ok, detail) = match result {
            Ok(()) => (true, String::new()),
            Err(d) => (false, d),
        };
        self.checks.push(Check { name: name.to_string(), ok, detail });
    }
}

/// Runs the kit against the library at `path`.
pub fn run(path: &Path) -> Report {
    let mut kit = Kit { checks: Vec::new() };
    let loaded = LoadedPlugin::load(path);
    kit.check(
        "loads (entry point, ABI version, table, DESCRIBE, self-test)",
        loaded.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let plugin = match loaded {
        Ok(p) => Arc::new(p),
        Err(_) => return Report { path: path.display().to_string(), plugin: None, checks: kit.checks },
    };
    common_checks(&mut kit, &plugin);
    match plugin.info().kind {
        PluginKind::Printer => printer_checks(&mut kit, Printer::new(plugin.clone()).expect("a printer")),
        PluginKind::Collector => collector_checks(&mut kit, Collector::new(plugin.clone()).expect("a collector")),
    }
    Report { path: path.display().to_string(), plugin: Some(plugin.info().clone()), checks: kit.checks }
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
