//! TSPL printer driver (TSC), 203 dpi, 100 × 75 mm label, commands separated
//! by CRLF, text in **GBK** for the printer's built-in simplified-Chinese font
//! `TSS24.BF2`:
//!
//! ```text
//! SIZE 100 mm,75 mm
//! GAP 2 mm,0 mm
//! DIRECTION 1
//! REFERENCE 0,0
//! CLS
//! TEXT 24,20,"TSS24.BF2",0,1,1,"棉花质量追溯卡"
//! BARCODE 24,64,"128",90,1,0,2,4,"TC2600000123452"     Code 128, text below
//! QRCODE 600,16,M,5,A,0,"TC2600000123452"             QR code, ECC M, auto mode
//! TEXT 24,200,"TSS24.BF2",0,1,1,"种植者：张三丰"       one line per label field
//! …
//! PRINT 1,1                                            1 set, copies
//! ```
//!
//! A `"` inside text is written as `\["]` (TSPL's escape); a character GBK
//! cannot represent prints as `?`.

use cotton_plugin_abi::sdk::{DriverError, PrinterDriver};
use cotton_plugin_abi::wire::*;
use encoding_rs::GBK;

/// A TSPL string literal's content: `"` → `\["]`.
fn quote(s: &str) -> String {
    s.replace('"', "\\[\"]")
}

/// GBK bytes, `?` for what GBK lacks.
fn gbk(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut tmp = [0u8; 4];
    for ch in s.chars() {
        let (bytes, _, unmappable) = GBK.encode(ch.encode_utf8(&mut tmp));
        if unmappable {
            out.push(b'?');
        } else {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

/// The TSPL program as text (before GBK encoding).
pub fn render_tspl(job: &PrintJob) -> String {
    let card = &job.card;
    let mut t = Vec::new();
    t.push("SIZE 100 mm,75 mm".to_string());
    t.push("GAP 2 mm,0 mm".into());
    t.push("DIRECTION 1".into());
    t.push("REFERENCE 0,0".into());
    t.push("CLS".into());
    t.push(format!("TEXT 24,20,\"TSS24.BF2\",0,1,1,\"{}\"", quote(&job.title)));
    t.push(format!("BARCODE 24,64,\"128\",90,1,0,2,4,\"{}\"", card.card_no));
    t.push(format!("QRCODE 600,16,M,5,A,0,\"{}\"", card.card_no));
    let mut y = 200;
    // The lines the host sent; the first (the card number) is under the barcode.
    for line in job.lines.iter().skip(1) {
        t.push(format!("TEXT 24,{y},\"TSS24.BF2\",0,1,1,\"{}\"", quote(&line.text())));
        y += 36;
    }
    t.push(format!("PRINT 1,{}", job.copies));
    let mut s = t.join("\r\n");
    s.push_str("\r\n");
    s
}

#[derive(Default)]
pub struct TsplPrinter;

impl PrinterDriver for TsplPrinter {
    fn info(&self) -> PrinterInfo {
        PrinterInfo { output: FileType::new("application/vnd.tsc.tspl; charset=GBK", "prn") }
    }

    fn render(&self, job: &PrintJob) -> Result<Vec<u8>, DriverError> {
        Ok(gbk(&render_tspl(job)))
    }
}

cotton_plugin_abi::export_printer!(
    name: "cotton-printer-tspl",
    model: "TSPL",
    version: env!("CARGO_PKG_VERSION"),
    description: "TSC TSPL 标签打印机（GBK中文）",
    driver: TsplPrinter,
);

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_and_gbk() {
        assert_eq!(super::quote("a\"b"), "a\\[\"]b");
        assert_eq!(super::gbk("张😀"), vec![0xD5, 0xC5, b'?']);
    }
}
