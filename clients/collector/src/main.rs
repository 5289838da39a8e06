//! `cotton-collector`: the collector client for the gin-line workshop PC of IV
//! and V lines (rules §7–§8, manual §2.3–§2.4).
//!
//! ```text
//! cotton-collector import --file cards-L3-….txt --line-ref L3 --platform-key <base64>
//! cotton-collector run                      # operator loop on stdin/stdout
//! cotton-collector export-upload --out records-L3.txt --device-key <base64>
//! cotton-collector status [--json]
//! ```
//!
//! See `README.md` beside this file.

mod db;
mod device;
mod input;
mod screen;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cotton_domain::processing::CollectorModel;
use cotton_plugin_host::{HostError, PluginRegistry, signing};

use crate::device::Device;
use crate::input::Command;

#[derive(Parser)]
#[command(name = "cotton-collector", version, about = "棉花质量追溯 · IV/V型采集器客户端")]
struct Cli {
    /// The local SQLite database.
    #[arg(long, global = true, env = "COTTON_COLLECTOR_DB", default_value = "cotton-collector.db")]
    db: PathBuf,
    /// Folder of the collector driver plugins (default: the folder of this executable).
    #[arg(long, global = true, env = "COTTON_PLUGINS_DIR")]
    plugins_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Verifies a signed export file and loads its cards into the local database.
    Import {
        #[arg(long)]
        file: PathBuf,
        /// The production line the file must be for, e.g. `L3`.
        #[arg(long)]
        line_ref: String,
        /// The platform's public key (base64), from the `platformPublicKey` query.
        /// Kept after the first import; later imports may leave it out.
        #[arg(long, env = "COTTON_PLATFORM_KEY")]
        platform_key: Option<String>,
        /// The collector model (IV or V); by default the one that reads the file.
        #[arg(long)]
        model: Option<String>,
    },
    /// The operator loop: reads scans and commands line by line from stdin.
    Run,
    /// Writes the signed upload file of every record, through the line's plugin.
    ExportUpload {
        #[arg(long)]
        out: PathBuf,
        /// The line's private key (base64), the line's `deviceKey` on the platform.
        #[arg(long, env = "COTTON_DEVICE_KEY")]
        device_key: String,
        /// The device id written into the file (default: stored at the first import).
        #[arg(long)]
        device_id: Option<String>,
    },
    /// Shows the line's state.
    Status {
        /// Machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
}

fn plugins(dir: Option<&Path>) -> PluginRegistry {
    let dir = dir.map(Path::to_path_buf).unwrap_or_else(|| {
        std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf)).unwrap_or_else(|| PathBuf::from("."))
    });
    let reg = PluginRegistry::load_dir(&dir);
    for r in reg.refused() {
        eprintln!("警告：驱动插件 {} 未加载：{}", r.path.display(), r.reason);
    }
    reg
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Import { file, line_ref, platform_key, model } => {
            import(&cli.db, cli.plugins_dir.as_deref(), &file, &line_ref, platform_key, model.as_deref())
        }
        Cmd::Run => run(&cli.db),
        Cmd::ExportUpload { out, device_key, device_id } => {
            export_upload(&cli.db, cli.plugins_dir.as_deref(), &out, &device_key, device_id.as_deref())
        }
        Cmd::Status { json } => status(&cli.db, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e}");
            ExitCode::FAILURE
        }
    }
}

fn import(
    db_path: &Path,
    plugins_dir: Option<&Path>,
    file: &Path,
    line_ref: &str,
    platform_key: Option<String>,
    model: Option<&str>,
) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("无法读取文件 {}：{e}", file.display()))?;
    let mut conn = db::open(db_path)?;
    let key_b64 = match platform_key {
        Some(k) => k.trim().to_string(),
        None => db::meta(&conn, "platform_key")?.ok_or("请用 --platform-key 提供平台公钥（platformPublicKey）")?,
    };
    let key = signing::verifying_key_from_base64(&key_b64).map_err(|e| format!("平台公钥有误：{}", e.0))?;
    let wanted: Vec<CollectorModel> = match (device::stored_model(&conn)?, model) {
        (Some(m), _) => vec![m],
        (None, Some(m)) => vec![CollectorModel::parse(&m.to_ascii_uppercase()).filter(|m| !m.is_online()).ok_or(format!("采集器型号“{m}”应为IV或V"))?],
        (None, None) => vec![CollectorModel::Iv, CollectorModel::V],
    };
    let reg = plugins(plugins_dir);
    let collectors: Vec<_> = wanted.iter().filter_map(|m| reg.collector(*m)).collect();
    if collectors.is_empty() {
        let names: Vec<&str> = wanted.iter().map(|m| m.as_str()).collect();
        return Err(format!("没有可用的{}型采集器驱动插件（插件目录见 --plugins-dir）", names.join("/")));
    }
    let mut errors: Vec<HostError> = Vec::new();
    let mut export = None;
    for c in &collectors {
        match c.read_export_file(line_ref, &bytes, &key) {
            Ok(e) => {
                export = Some(e);
                break;
            }
            Err(e) => errors.push(e),
        }
    }
    let Some(export) = export else {
        // The signature is checked before any plugin parses: the same refusal for each.
        let first = errors[0].to_string();
        let msg = if errors.iter().all(|e| e.to_string() == first) {
            first
        } else {
            errors.iter().zip(&collectors).map(|(e, c)| format!("{}型：{e}", c.model().as_str())).collect::<Vec<_>>().join("；")
        };
        return Err(format!("文件被拒绝，未导入：{msg}"));
    };
    let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let s = device::import(&mut conn, &export, &name, &key_b64)?;
    println!(
        "已导入：生产线 {} · {}型 · 企业 {} · 文件中 {} 张追溯卡，新增 {} 张 · 校验账号：{}",
        export.line_id,
        export.model.as_str(),
        export.enterprise_code,
        s.cards,
        s.new_cards,
        if s.verifier { "已随文件导入" } else { "无（不能再加工）" }
    );
    Ok(())
}

fn run(db_path: &Path) -> Result<(), String> {
    let mut device = Device::open(db_path)?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let clear = stdout.is_terminal();
    let show = |out: &mut std::io::StdoutLock<'_>, screen: String| -> Result<(), String> {
        if clear {
            let _ = write!(out, "\x1b[2J\x1b[H");
        }
        out.write_all(screen.as_bytes()).and_then(|_| out.flush()).map_err(|e| format!("无法输出：{e}"))
    };
    show(&mut stdout.lock(), screen::render(&device, None, None))?;
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| format!("无法读取输入：{e}"))?;
        let shown = line.trim().trim_start_matches('\u{feff}');
        let screen = match input::parse(&line) {
            Ok(Command::Nothing) => continue,
            Ok(Command::Quit) => break,
            Ok(Command::Help) => format!("{}\n{}", input::HELP, screen::render(&device, Some(shown), None)),
            Ok(Command::Status) => {
                device.sync()?;
                screen::render(&device, Some(shown), None)
            }
            Ok(Command::Op(op)) => {
                let result = device.execute(op);
                screen::render(&device, Some(&mask_password(shown)), Some(&result))
            }
            Err(e) => screen::render(&device, Some(shown), Some(&Err(e))),
        };
        show(&mut stdout.lock(), screen)?;
    }
    Ok(())
}

/// The echo of a reprocess line without its password.
fn mask_password(line: &str) -> String {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    match tokens.first().map(|t| t.to_ascii_lowercase()) {
        Some(t) if (t == "reprocess" || t == "再加工") && tokens.len() == 4 => {
            format!("{} {} {} ******", tokens[0], tokens[1], tokens[2])
        }
        _ => line.to_string(),
    }
}

fn export_upload(db_path: &Path, plugins_dir: Option<&Path>, out: &Path, device_key: &str, device_id: Option<&str>) -> Result<(), String> {
    let device = Device::open(db_path)?;
    let key = signing::signing_key_from_base64(device_key.trim()).map_err(|e| format!("生产线私钥有误：{}", e.0))?;
    let upload = device.upload(device_id)?;
    let reg = plugins(plugins_dir);
    let collector = reg.require_collector(device.model).map_err(|e| e.to_string())?;
    let file = collector.upload_file(&upload, &key).map_err(|e| format!("无法生成上传文件：{e}"))?;
    write_atomically(out, &file.bytes)?;
    println!(
        "已写入上传文件 {}（{} 条加工记录，生产线 {}，{}型；平台的建议文件名 {}）",
        out.display(),
        upload.records.len(),
        upload.line_id,
        upload.model.as_str(),
        file.file_name
    );
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it
/// over `path`: a crash leaves the old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("tmp-cotton");
    let e = |e: std::io::Error| format!("无法写入 {}：{e}", path.display());
    {
        let mut f = std::fs::File::create(&tmp).map_err(e)?;
        f.write_all(bytes).map_err(e)?;
        f.sync_all().map_err(e)?;
    }
    std::fs::rename(&tmp, path).map_err(e)?;
    Ok(())
}

fn status(db_path: &Path, json: bool) -> Result<(), String> {
    let device = Device::open(db_path)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&device.status_json()?).expect("serialises"));
    } else {
        print!("{}", screen::render(&device, None, None));
    }
    Ok(())
}
