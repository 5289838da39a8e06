//! `cotton-report`: a regiment's live report over the public API.
//!
//! Signs in as a regiment account, subscribes to the area's events over
//! WebSocket (`graphql-transport-ws`) and keeps live counts — units by status,
//! trace cards printed and finished, bales linked, premium rate — resynchronised
//! from queries on start, after each event batch, periodically and after every
//! reconnect. Writes the area workbook (`areaReportXlsx`) on request.

mod api;
mod live;
mod ops;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::Datelike;
use clap::Parser;

use crate::api::Api;
use crate::output::Output;

#[derive(Parser, Debug)]
#[command(
    name = "cotton-report",
    version,
    about = "团场实时统计：追溯单元、追溯卡、关联棉包和优质棉率随事件实时更新，可导出统计表",
    after_help = "运行中在标准输入键入：x [文件名] 导出统计表，r 立即重新同步，q 退出。"
)]
struct Cli {
    /// The server's address.
    #[arg(long, env = "COTTON_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// The regiment account (团级单位账号).
    #[arg(long, short = 'u', env = "COTTON_REPORT_USER")]
    username: String,
    /// Its password (better given through the environment).
    #[arg(long, short = 'p', env = "COTTON_REPORT_PASSWORD", hide_env_values = true)]
    password: String,
    /// The season (default: this year).
    #[arg(long)]
    season: Option<i32>,
    /// One JSON object per line (counts after every update, connection status, files written).
    #[arg(long)]
    json_lines: bool,
    /// Write the area workbook to FILE and exit (no live report).
    #[arg(long, value_name = "FILE")]
    xlsx: Option<PathBuf>,
    /// Where `x` on standard input writes the workbook (under the server's file name).
    #[arg(long, value_name = "DIR", default_value = ".")]
    xlsx_dir: PathBuf,
    /// Re-read the counts this often even without events (inspection imports
    /// raise no event); 0 turns it off.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    poll_secs: u64,
    /// The first reconnect delay; it doubles up to --max-backoff-secs.
    #[arg(long, value_name = "SECS", default_value_t = 0.5)]
    min_backoff_secs: f64,
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    max_backoff_secs: f64,
}

fn secs(v: f64) -> Duration {
    Duration::from_secs_f64(v.clamp(0.05, 3600.0))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output { json: cli.json_lines };
    let season = cli.season.unwrap_or_else(|| chrono::Local::now().year());
    let api = Api::new(&cli.server, &cli.username, &cli.password);
    let (min, max) = (secs(cli.min_backoff_secs), secs(cli.max_backoff_secs.max(cli.min_backoff_secs)));

    if let Some(path) = &cli.xlsx {
        if let Err(e) = api.login().await {
            out.error(&format!("登录失败：{e}"));
            return ExitCode::from(2);
        }
        return match live::write_xlsx(&api, season, Some(path), &cli.xlsx_dir).await {
            Ok((p, n)) => {
                out.xlsx(&p.display().to_string(), n);
                ExitCode::SUCCESS
            }
            Err(e) => {
                out.error(&format!("导出统计表失败：{e}"));
                ExitCode::FAILURE
            }
        };
    }

    let account = match live::sign_in(&api, &out, min, max).await {
        Ok(a) => a,
        Err(e) => {
            out.error(&format!("登录失败：{e}"));
            return ExitCode::from(2);
        }
    };
    if account.role != "REGIMENT" {
        out.error(&format!("账号 {} 不是团级单位账号（{}），只有团级单位可以查看本团实时统计", account.username, account.role));
        return ExitCode::from(2);
    }
    let region = account.org_name.clone().unwrap_or(account.username.clone());
    let cfg = live::Config {
        season,
        poll: (cli.poll_secs > 0).then(|| Duration::from_secs(cli.poll_secs)),
        min_backoff: min,
        max_backoff: max,
        xlsx_dir: cli.xlsx_dir.clone(),
    };
    let mut report = live::Report::new(api, out, cfg, region);
    match report.run(live::stdin_commands()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e.to_string());
            ExitCode::FAILURE
        }
    }
}
