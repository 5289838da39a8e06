//! What the report prints: a short block of text per update, or one JSON
//! object per line (`--json-lines`) for scripts and tests.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// The live counts of one regiment's area in one season.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub season: i32,
    pub region: String,
    /// Unit status → count (`PENDING`, `APPROVED`, `REJECTED`, `DISSOLVED`).
    pub units: BTreeMap<String, i64>,
    pub cards_printed: usize,
    pub cards_finished: usize,
    pub bales_linked: i64,
    pub delivered_seed_kg: String,
    pub carded_seed_kg: String,
    pub lint_kg: String,
    pub premium_kg: String,
    pub premium_rate_pct: String,
}

pub const STATUSES: [(&str, &str); 4] = [("PENDING", "待审核"), ("APPROVED", "已通过"), ("REJECTED", "已驳回"), ("DISSOLVED", "已解散")];

impl Counts {
    pub fn to_json(&self) -> Value {
        json!({
            "season": self.season,
            "region": self.region,
            "units": self.units,
            "cardsPrinted": self.cards_printed,
            "cardsFinished": self.cards_finished,
            "balesLinked": self.bales_linked,
            "deliveredSeedKg": self.delivered_seed_kg,
            "cardedSeedKg": self.carded_seed_kg,
            "lintKg": self.lint_kg,
            "premiumKg": self.premium_kg,
            "premiumRatePct": self.premium_rate_pct,
        })
    }
}

/// Why the counts were printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// First synchronisation after start.
    Start,
    /// Synchronisation after a reconnect.
    Reconnect,
    /// A batch of events arrived.
    Events,
    /// The periodic re-read found a change (e.g. an inspection import, which has no event).
    Poll,
    /// Asked for on standard input.
    Manual,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Start => "start",
            Reason::Reconnect => "reconnect",
            Reason::Events => "events",
            Reason::Poll => "poll",
            Reason::Manual => "manual",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Reason::Start => "启动同步",
            Reason::Reconnect => "重连后同步",
            Reason::Events => "实时事件",
            Reason::Poll => "定时同步",
            Reason::Manual => "手动同步",
        }
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn local_time() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    fn line(&self, v: Value) {
        println!("{v}");
    }

    pub fn counts(&self, c: &Counts, reason: Reason, events: u64) {
        if self.json {
            let mut v = c.to_json();
            v["type"] = "counts".into();
            v["reason"] = reason.as_str().into();
            v["events"] = events.into();
            v["at"] = now().into();
            self.line(v);
            return;
        }
        let units: Vec<String> = STATUSES
            .iter()
            .map(|(k, zh)| format!("{zh} {}", c.units.get(*k).copied().unwrap_or(0)))
            .collect();
        println!(
            "[{}] {} {}年度 · {}（已收到事件 {}）\n  追溯单元  {}\n  追溯卡    已打印 {}  已完成 {}\n  关联棉包  {}\n  优质棉率  {}%（优质棉 {} kg / 皮棉 {} kg）\n  籽棉      交售 {} kg，已打卡 {} kg",
            local_time(),
            c.region,
            c.season,
            reason.label(),
            events,
            units.join("  "),
            c.cards_printed,
            c.cards_finished,
            c.bales_linked,
            c.premium_rate_pct,
            c.premium_kg,
            c.lint_kg,
            c.delivered_seed_kg,
            c.carded_seed_kg,
        );
    }

    pub fn connected(&self) {
        if self.json {
            self.line(json!({ "type": "status", "state": "connected", "at": now() }));
        } else {
            println!("[{}] 已连接，正在接收实时事件", local_time());
        }
    }

    pub fn disconnected(&self, why: &str, retry_secs: f64) {
        if self.json {
            self.line(json!({ "type": "status", "state": "disconnected", "error": why, "retryInSecs": retry_secs, "at": now() }));
        } else {
            println!("[{}] 连接中断（{why}），{retry_secs:.1} 秒后重连", local_time());
        }
    }

    pub fn xlsx(&self, path: &str, bytes: usize) {
        if self.json {
            self.line(json!({ "type": "xlsx", "path": path, "bytes": bytes, "at": now() }));
        } else {
            println!("[{}] 已导出统计表：{path}（{bytes} 字节）", local_time());
        }
    }

    pub fn error(&self, message: &str) {
        if self.json {
            self.line(json!({ "type": "error", "message": message, "at": now() }));
        } else {
            eprintln!("[{}] 错误：{message}", local_time());
        }
    }
}
