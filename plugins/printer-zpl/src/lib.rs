//! ZPL II printer driver (Zebra), 203 dpi, 100 × 75 mm label:
//!
//! ```text
//! ^XA                      start of label
//! ^CI28                    field data is UTF-8
//! ^CW1,E:SIMSUN.TTF        font 1 = the printer's Chinese TrueType font
//! ^PW800 ^LL600 ^LH0,0     width 800 dots, length 600 dots
//! ^FO24,20^A1N,34,34^FH^FD棉花质量追溯卡^FS
//! ^FO24,72^BY2,3,90^BCN,90,Y,N,N^FDTC2600000123452^FS   Code 128, text below
//! ^FO600,16^BQN,2,5^FDMA,TC2600000123452^FS             QR code, ECC M, auto mode
//! ^FO24,212^A1N,24,24^FH^FD种植者：张三丰^FS             one line per label field
//! …
//! ^PQ1,0,1,Y               copies
//! ^XZ                      end of label
//! ```
//!
//! Chinese text needs a CJK TrueType font stored on the printer as
//! `E:SIMSUN.TTF` (Zebra's usual name for SimSun; download it once with Zebra
//! Setup Utilities). Field data goes through `^FH` so `^`, `~` and `_` in names
//! are written as `_5E`, `_7E`, `_5F`.

use cotton_plugin_abi::sdk::{DriverError, PrinterDriver};
use cotton_plugin_abi::wire::*;

/// The printer's CJK font.
pub const CJK_FONT: &str = "E:SIMSUN.TTF";

/// Field data for `^FH` (hex indicator `_`).
fn fh(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '^' => out.push_str("_5E"),
            '~' => out.push_str("_7E"),
            '_' => out.push_str("_5F"),
            c => out.push(c),
        }
    }
    out
}

pub fn render_zpl(job: &PrintJob) -> String {
    let card = &job.card;
    let mut z = String::new();
    z.push_str("^XA\n^CI28\n");
    z.push_str(&format!("^CW1,{CJK_FONT}\n"));
    z.push_str("^PW800\n^LL600\n^LH0,0\n");
    z.push_str(&format!("^FO24,20^A1N,34,34^FH^FD{}^FS\n", fh(&job.title)));
    z.push_str(&format!("^FO24,72^BY2,3,90^BCN,90,Y,N,N^FD{}^FS\n", card.card_no));
    z.push_str(&format!("^FO600,16^BQN,2,5^FDMA,{}^FS\n", card.card_no));
    let mut y = 212;
    // The lines the host sent; the first (the card number) is under the barcode.
    for line in job.lines.iter().skip(1) {
        z.push_str(&format!("^FO24,{y}^A1N,24,24^FH^FD{}^FS\n", fh(&line.text())));
        y += 38;
    }
    z.push_str(&format!("^PQ{},0,1,Y\n^XZ\n", job.copies));
    z
}

#[derive(Default)]
pub struct ZplPrinter;

impl PrinterDriver for ZplPrinter {
    fn info(&self) -> PrinterInfo {
        PrinterInfo { output: FileType::new("application/vnd.zebra.zpl", "zpl") }
    }

    fn render(&self, job: &PrintJob) -> Result<Vec<u8>, DriverError> {
        Ok(render_zpl(job).into_bytes())
    }
}

cotton_plugin_abi::export_printer!(
    name: "cotton-printer-zpl",
    model: "ZPL",
    version: env!("CARGO_PKG_VERSION"),
    description: "斑马（Zebra）ZPL II 标签打印机",
    driver: ZplPrinter,
);

#[cfg(test)]
mod tests {
    #[test]
    fn field_data_is_escaped() {
        assert_eq!(super::fh("a^b~c_d 张"), "a_5Eb_7Ec_5Fd 张");
    }
}
