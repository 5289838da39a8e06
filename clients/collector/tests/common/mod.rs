//! Helpers for the collector client's tests: the real `cotton-collector` binary,
//! the real IV and V plugin libraries (built once with cargo into the target
//! folder of this test), signed export files made with the plugin host.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use cotton_domain::card_no::format_card_no;
use cotton_domain::processing::{CardExport, CollectorModel, ExportedCard, ModuleType, SeasonStandards, VerifierCredential};
use cotton_plugin_host::PluginRegistry;
use cotton_plugin_host::signing::{self, SigningKey};
use rust_decimal::Decimal;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_cotton-collector");
pub const VERIFIER: &str = "jy65001";
pub const VERIFIER_PW: &str = "Jiaoyan.2026";
pub const READY: &str = "请扫描追溯卡号，或输入命令（help 查看用法）：";

/// The folder of the binary under test: `<target>/<profile>`.
fn profile_dir() -> PathBuf {
    Path::new(BIN).parent().expect("binary folder").to_path_buf()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("workspace root").to_path_buf()
}

/// A folder holding only the IV and V collector plugins, built once with cargo
/// into the same target folder as the binary under test.
pub fn plugins_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let profile = profile_dir();
        let target = profile.parent().expect("target folder").to_path_buf();
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(workspace_root())
            .args(["build", "--quiet", "-p", "cotton-collector-iv", "-p", "cotton-collector-v", "-j2", "--target-dir"])
            .arg(&target)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS");
        match profile.file_name().and_then(|n| n.to_str()) {
            Some("debug") => {}
            Some("release") => {
                cmd.arg("--release");
            }
            Some(other) => {
                cmd.args(["--profile", other]);
            }
            None => panic!("profile of {}", profile.display()),
        }
        let out = cmd.output().expect("run cargo build");
        assert!(out.status.success(), "cargo build of the plugins failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let dir = std::env::temp_dir().join(format!("cotton-collector-plugins-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["cotton_collector_iv", "cotton_collector_v"] {
            let file = format!("{}{name}{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
            let src = profile.join(&file);
            assert!(src.is_file(), "{} was not built", src.display());
            // A copy, not a link: a later build must not change a loaded library under us.
            std::fs::copy(&src, dir.join(&file)).unwrap();
        }
        dir
    })
}

pub fn registry() -> &'static PluginRegistry {
    static REG: OnceLock<PluginRegistry> = OnceLock::new();
    REG.get_or_init(|| {
        let reg = PluginRegistry::load_dir(plugins_dir());
        assert!(reg.refused().is_empty(), "plugins refused: {:?}", reg.refused());
        reg
    })
}

/// Card `i` of season 2026.
pub fn card_no(i: u64) -> String {
    format_card_no(2026, i)
}

pub fn verifier_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    argon2::Argon2::default().hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng)).unwrap().to_string()
}

/// An export for line `line` of cards `(serial, target kg)`.
pub fn export(model: CollectorModel, line: &str, cards: &[(u64, i64)]) -> CardExport {
    CardExport {
        line_id: line.into(),
        model,
        enterprise_code: "65001".into(),
        issued_at: Utc.with_ymd_and_hms(2026, 10, 2, 8, 0, 0).unwrap(),
        cards: cards
            .iter()
            .map(|&(i, kg)| ExportedCard {
                card_no: card_no(i),
                ticket_no: format!("BD2026{i:06}"),
                grower_name: ["张三", "李四", "王五", "买买提·艾力"][i as usize % 4].into(),
                unit_id: "U7".into(),
                unit_name: "一四二团一连自由组团1号".into(),
                target_lint_kg: Decimal::from(kg),
                processable_bales: (kg as u32).div_ceil(227),
                module_type: ModuleType::RoundModule,
                module_count: 4,
            })
            .collect(),
        verifier: Some(VerifierCredential { username: VERIFIER.into(), password_hash: verifier_hash(VERIFIER_PW) }),
        standards: vec![SeasonStandards {
            season: 2026,
            standard_moisture_pct: Decimal::new(85, 1),
            standard_trash_pct: Decimal::new(25, 1),
            cards_per_scan_iv_v: None,
            cards_per_scan_vi: None,
        }],
    }
}

/// Keys of a test platform and line.
pub struct Keys {
    pub platform: SigningKey,
    pub line: SigningKey,
}

impl Keys {
    pub fn new() -> Keys {
        Keys { platform: signing::generate_key(), line: signing::generate_key() }
    }
    pub fn platform_public(&self) -> String {
        signing::verifying_key_to_base64(&self.platform.verifying_key())
    }
    pub fn line_private(&self) -> String {
        signing::signing_key_to_base64(&self.line)
    }
}

/// Writes the signed export file of `e` into `dir` and returns its path.
pub fn export_file(dir: &Path, e: &CardExport, keys: &Keys) -> PathBuf {
    let collector = registry().require_collector(e.model).unwrap();
    let file = collector.export_file(e, &keys.platform).unwrap();
    let path = dir.join(&file.file_name);
    std::fs::write(&path, &file.bytes).unwrap();
    path
}

/// Runs the binary with `args` (the database and plugins folder given).
pub fn collector(db: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .arg("--plugins-dir")
        .arg(plugins_dir())
        .args(args)
        .env_remove("COTTON_PLATFORM_KEY")
        .env_remove("COTTON_DEVICE_KEY")
        .output()
        .expect("run cotton-collector")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

pub fn import(db: &Path, file: &Path, line: &str, keys: &Keys) -> Output {
    collector(db, &["import", "--file", file.to_str().unwrap(), "--line-ref", line, "--platform-key", &keys.platform_public()])
}

/// Feeds `lines` to `run` and returns everything it printed (the process ends at EOF).
pub fn run_script(db: &Path, lines: &[String]) -> String {
    let mut child = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .arg("run")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn run");
    {
        let mut stdin = child.stdin.take().unwrap();
        for l in lines {
            writeln!(stdin, "{l}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "run failed: {}", stderr(&out));
    stdout(&out)
}

/// `status --json`.
pub fn status(db: &Path) -> Value {
    let o = collector(db, &["status", "--json"]);
    assert!(o.status.success(), "status failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// barcode → (card or null, delay) from a status.
pub fn links(status: &Value) -> Vec<(String, Value, bool)> {
    status["bales"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["barcode"].as_str().unwrap().to_string(), b["cardNo"].clone(), b["delay"].as_bool().unwrap()))
        .collect()
}

/// The card entry of a status.
pub fn card<'a>(status: &'a Value, no: &str) -> &'a Value {
    status["cards"].as_array().unwrap().iter().find(|c| c["cardNo"] == no).unwrap_or_else(|| panic!("card {no} in status"))
}

/// The queue of a status as card numbers.
pub fn queue(status: &Value) -> Vec<String> {
    status["queue"].as_array().unwrap().iter().map(|q| q["cardNo"].as_str().unwrap().to_string()).collect()
}

/// Reads an upload file back with the plugin, checking the line's signature.
pub fn read_upload(model: CollectorModel, line: &str, bytes: &[u8], keys: &Keys) -> cotton_domain::processing::RecordUpload {
    registry().require_collector(model).unwrap().read_upload_file(line, bytes, &keys.line.verifying_key()).unwrap()
}

/// A decimal string of a status.
pub fn kg(v: &Value) -> Decimal {
    v.as_str().unwrap_or_else(|| panic!("decimal string: {v}")).parse().unwrap()
}
