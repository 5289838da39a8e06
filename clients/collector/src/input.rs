//! The operator's input, one line at a time, from a keyboard-wedge scanner (which
//! types the card number and Enter), the keyboard, or a script.
//!
//! | line | meaning |
//! |---|---|
//! | `TC2600000000011` | scan one card |
//! | `TC2600000000011 TC2600000000029,TC…` | scan several (spaces or commas; up to the model's limit) |
//! | `delay <cardNo> <n>` / `延迟 …` | the delay bale count for a card (answer to 请企业输入当前加工需要延迟的包数) |
//! | `bale <barcode> <netKg> [moisture%]` / `棉包 …` | a bale off the press |
//! | `end [cardNo]` / `结束 [cardNo]` | end the card being processed (with a card number: only if it is that one) |
//! | `reprocess <cardNo> <verifierUser> <password>` / `再加工 …` | re-process a finished card with the verification account |
//! | `status` / `状态`, `help` / `帮助`, `quit` / `退出` | |
//!
//! Blank lines and lines starting with `#` are ignored.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::device::Op;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Op(Op),
    Status,
    Help,
    Quit,
    Nothing,
}

pub const HELP: &str = "\
扫描或输入追溯卡号：一张或多张（空格或逗号分隔，一次最多10张）
delay <卡号> <包数>            录入延迟包数（回答“请企业输入当前加工需要延迟的包数”）
bale <条码> <净重kg> [回潮率%]  记录一包皮棉
end [卡号]                    结束当前加工的追溯卡（写卡号时仅当它正在加工）
reprocess <卡号> <校验账号> <密码>  再加工已结束的追溯卡
status                        显示状态
quit                          退出";

fn decimal(s: &str, what: &str) -> Result<Decimal, String> {
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && s.bytes().filter(|&b| b == b'.').count() <= 1;
    if !ok {
        return Err(format!("{what}“{s}”不是有效的数字"));
    }
    Decimal::from_str(s).map_err(|_| format!("{what}“{s}”不是有效的数字"))
}

/// Parses one input line.
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim_start_matches('\u{feff}').trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Command::Nothing);
    }
    let tokens: Vec<&str> = line.split(|c: char| c.is_whitespace() || c == ',' || c == '，').filter(|t| !t.is_empty()).collect();
    let args = &tokens[1..];
    let usage = |u: &str| Err(format!("用法：{u}"));
    match tokens[0].to_ascii_lowercase().as_str() {
        "delay" | "延迟" => {
            let [card, n] = args else { return usage("delay <卡号> <包数>") };
            let count: u32 = n
                .parse()
                .map_err(|_| format!("延迟包数“{n}”应为0或正整数"))?;
            Ok(Command::Op(Op::Delay { card_no: card.to_string(), count }))
        }
        "bale" | "棉包" => {
            let (barcode, net, moisture) = match args {
                [b, n] => (b, n, None),
                [b, n, m] => (b, n, Some(m)),
                _ => return usage("bale <条码> <净重kg> [回潮率%]"),
            };
            Ok(Command::Op(Op::Bale {
                barcode: barcode.to_string(),
                net_kg: decimal(net, "净重")?,
                moisture_pct: moisture.map(|m| decimal(m, "回潮率")).transpose()?,
            }))
        }
        "end" | "结束" => match args {
            [] => Ok(Command::Op(Op::End { card_no: None })),
            [c] => Ok(Command::Op(Op::End { card_no: Some(c.to_string()) })),
            _ => usage("end [卡号]"),
        },
        "reprocess" | "再加工" => {
            let [card, user, password] = args else { return usage("reprocess <卡号> <校验账号> <密码>") };
            Ok(Command::Op(Op::Reprocess { card_no: card.to_string(), username: user.to_string(), password: password.to_string() }))
        }
        "status" | "状态" if args.is_empty() => Ok(Command::Status),
        "help" | "帮助" | "?" if args.is_empty() => Ok(Command::Help),
        "quit" | "exit" | "退出" if args.is_empty() => Ok(Command::Quit),
        first => {
            if !first.bytes().any(|b| b.is_ascii_digit()) {
                return Err(format!("无法识别的命令“{}”，输入 help 查看用法", tokens[0]));
            }
            Ok(Command::Op(Op::Scan(tokens.iter().map(|t| t.to_string()).collect())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn lines() {
        assert_eq!(parse("  ").unwrap(), Command::Nothing);
        assert_eq!(parse("# comment").unwrap(), Command::Nothing);
        assert_eq!(
            parse("\u{feff}TC2600000000011, tc2600000000029\r").unwrap(),
            Command::Op(Op::Scan(vec!["TC2600000000011".into(), "tc2600000000029".into()]))
        );
        assert_eq!(
            parse("delay TC2600000000011 2").unwrap(),
            Command::Op(Op::Delay { card_no: "TC2600000000011".into(), count: 2 })
        );
        assert_eq!(
            parse("延迟 TC2600000000011 0").unwrap(),
            Command::Op(Op::Delay { card_no: "TC2600000000011".into(), count: 0 })
        );
        assert!(parse("delay TC2600000000011 -1").is_err());
        assert!(parse("delay TC2600000000011").unwrap_err().starts_with("用法"));
        assert_eq!(
            parse("bale B1 227.50 8.1").unwrap(),
            Command::Op(Op::Bale { barcode: "B1".into(), net_kg: dec!(227.50), moisture_pct: Some(dec!(8.1)) })
        );
        assert_eq!(parse("BALE B1 227").unwrap(), Command::Op(Op::Bale { barcode: "B1".into(), net_kg: dec!(227), moisture_pct: None }));
        assert!(parse("bale B1 2e2").is_err());
        assert!(parse("bale B1 -5").is_err());
        assert_eq!(parse("end").unwrap(), Command::Op(Op::End { card_no: None }));
        assert_eq!(parse("结束 TC2600000000011").unwrap(), Command::Op(Op::End { card_no: Some("TC2600000000011".into()) }));
        assert_eq!(
            parse("reprocess TC2600000000011 jy65001 p@ss").unwrap(),
            Command::Op(Op::Reprocess { card_no: "TC2600000000011".into(), username: "jy65001".into(), password: "p@ss".into() })
        );
        assert_eq!(parse("status").unwrap(), Command::Status);
        assert_eq!(parse("quit").unwrap(), Command::Quit);
        assert!(parse("frobnicate").unwrap_err().contains("无法识别的命令"));
    }
}
