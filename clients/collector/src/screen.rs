//! The operator's screen, redrawn after every line: what was entered and how it
//! went (the manual's prompts verbatim), the card being processed with its
//! progress, pending delay and bales, the queue, and whether tracing is on.
//! On a terminal the screen is cleared first; to a pipe or file it is plain
//! text, one block per command, ending with the input prompt line [`READY`].

use std::fmt::Write;

use cotton_domain::line::ScanOutcome;

use crate::device::{Device, Feedback};

/// The last line of every screen: the client is waiting for the next line.
pub const READY: &str = "请扫描追溯卡号，或输入命令（help 查看用法）：";
const RULE: &str = "────────────────────────────────────────────";
/// Queue entries shown; the rest are counted.
const SHOW_QUEUE: usize = 10;

fn pct(processed: rust_decimal::Decimal, target: rust_decimal::Decimal) -> String {
    if target.is_zero() {
        return "-".into();
    }
    format!("{}%", (processed * rust_decimal::Decimal::ONE_HUNDRED / target).round_dp(0))
}

/// One screen.
pub fn render(d: &Device, input: Option<&str>, result: Option<&Result<Feedback, String>>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{RULE}");
    let _ = writeln!(
        s,
        "棉花质量追溯 · 采集器客户端 · 生产线 {} · {}型 · 企业 {} · 记录 {} 条 · 棉包 {} 包",
        d.line_ref,
        d.model.as_str(),
        d.enterprise_code,
        d.records,
        d.bale_count
    );
    let _ = writeln!(s, "{RULE}");
    if let Some(input) = input {
        let _ = writeln!(s, "输入：{input}");
    }
    match result {
        Some(Ok(f)) => {
            for (card, o) in &f.scanned {
                match o.prompt() {
                    Some(p) => {
                        let _ = writeln!(s, "提示：{card} {p}");
                        if *o == ScanOutcome::NeedDelay {
                            let _ = writeln!(s, "      请输入：delay {card} <包数>");
                        }
                    }
                    None if *o == ScanOutcome::Started => {
                        let _ = writeln!(s, "结果：{card} 开始加工");
                    }
                    None => {
                        let _ = writeln!(s, "结果：{card} 已加入加工队列");
                    }
                }
            }
            for m in &f.messages {
                let _ = writeln!(s, "结果：{m}");
            }
        }
        Some(Err(e)) => {
            let _ = writeln!(s, "错误：{e}");
        }
        None => {}
    }
    let _ = writeln!(s, "{RULE}");
    match d.state.head() {
        Some(head) => {
            let no = &head.card_no;
            let p = d.book.get(no);
            let info = d.info.get(no);
            let _ = writeln!(
                s,
                "当前加工：{no}  {} · {} · 磅单 {}",
                info.map_or("", |i| i.grower_name.as_str()),
                info.map_or("", |i| i.unit_name.as_str()),
                info.map_or("", |i| i.ticket_no.as_str()),
            );
            if let Some(p) = p {
                let _ = writeln!(
                    s,
                    "  已加工 {:.2} / 目标 {:.2} 千克（{}） · 棉包 {} / 可加工 {} 包 · 待延迟 {} 包",
                    p.processed_kg,
                    p.target_kg,
                    pct(p.processed_kg, p.target_kg),
                    d.bales_of.get(no).copied().unwrap_or(0),
                    info.map_or(0, |i| i.processable_bales),
                    head.delay_bales
                );
            }
            if head.delay_bales > 0 {
                let _ = writeln!(s, "  接下来 {} 包为延迟包，不参与追溯", head.delay_bales);
            }
        }
        None => {
            let _ = writeln!(s, "当前加工：无（棉包不参与追溯）");
        }
    }
    let _ = writeln!(s, "加工队列（{} 张）：", d.state.queue.len());
    for (i, q) in d.state.queue.iter().take(SHOW_QUEUE).enumerate() {
        let p = d.book.get(&q.card_no);
        let _ = writeln!(
            s,
            "  {}. {}  {}  {} / {} 千克  {} 包{}{}",
            i + 1,
            q.card_no,
            d.info.get(&q.card_no).map_or("", |i| i.grower_name.as_str()),
            p.map_or_else(String::new, |p| format!("{:.2}", p.processed_kg)),
            p.map_or_else(String::new, |p| format!("{:.2}", p.target_kg)),
            d.bales_of.get(&q.card_no).copied().unwrap_or(0),
            if q.delay_bales > 0 { format!("  延迟 {} 包", q.delay_bales) } else { String::new() },
            if i == 0 { "  ← 加工中" } else { "" },
        );
    }
    if d.state.queue.len() > SHOW_QUEUE {
        let _ = writeln!(s, "  … 另有 {} 张", d.state.queue.len() - SHOW_QUEUE);
    }
    let _ = writeln!(
        s,
        "追溯状态：{}",
        if d.state.tracing { "上一包参与了追溯" } else { "上一包未参与追溯（扫描新卡时将询问延迟包数）" }
    );
    let _ = writeln!(s, "{RULE}");
    let _ = writeln!(s, "{READY}");
    s
}
