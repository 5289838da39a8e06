//! Reading a printer plugin's output back, for the content checks: its text
//! (decoded by the MIME type's charset; a PDF's extracted text), its number of
//! pages (PDF), and the data of its Code 128 barcodes and QR codes where the
//! kit knows the format — ZPL (`^BC` / `^BQ` fields), TSPL (`BARCODE` /
//! `QRCODE` commands) and PDF (vector bars and modules, rasterised and decoded
//! with the `code128` and `rqrr` crates, as a scanner would).

use std::collections::{BTreeMap, HashSet};

/// The printer languages the kit can read barcodes of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Zpl,
    Tspl,
    /// Anything else: text is searched, barcodes are not read.
    Other,
}

/// What a MIME type (and file extension) says the output is.
pub fn format_of(mime_type: &str, extension: &str) -> Format {
    let essence = mime_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let ext = extension.to_ascii_lowercase();
    if essence == "application/pdf" {
        Format::Pdf
    } else if essence.contains("zpl") || ext == "zpl" {
        Format::Zpl
    } else if essence.contains("tspl") {
        Format::Tspl
    } else {
        Format::Other
    }
}

/// The `charset` parameter of a MIME type, lower-case.
fn charset(mime_type: &str) -> Option<String> {
    mime_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset")).then(|| v.trim().trim_matches('"').to_ascii_lowercase())
    })
}

/// Bytes of a decompressed PDF page content the kit reads at most.
const MAX_PAGE_CONTENT: usize = 16 << 20;

/// The output's text: a PDF's extracted text (first page), else the bytes
/// decoded with the MIME type's charset (GBK family or UTF-8; UTF-8 when none
/// is named).
pub fn text_of(format: Format, mime_type: &str, bytes: &[u8]) -> Result<String, String> {
    if format == Format::Pdf {
        let doc = lopdf::Document::load_mem(bytes).map_err(|e| format!("PDF无法打开：{e}"))?;
        return doc.extract_text_with_limit(&[1], MAX_PAGE_CONTENT).map_err(|e| format!("PDF中提取不到文字：{e}"));
    }
    Ok(match charset(mime_type).as_deref() {
        Some("gbk" | "gb2312" | "gb18030" | "cp936") => encoding_rs::GB18030.decode_without_bom_handling(bytes).0.into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// Pages of a PDF.
pub fn pdf_pages(bytes: &[u8]) -> Result<usize, String> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| format!("PDF无法打开：{e}"))?;
    Ok(doc.get_pages().len())
}

/// The data of the barcodes on a label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Barcodes {
    pub code128: Vec<String>,
    pub qr: Vec<String>,
}

/// The barcodes of the output, or `None` for a format the kit cannot read.
pub fn barcodes(format: Format, mime_type: &str, bytes: &[u8]) -> Result<Option<Barcodes>, String> {
    match format {
        Format::Zpl => Ok(Some(zpl_barcodes(&text_of(format, mime_type, bytes)?))),
        Format::Tspl => Ok(Some(tspl_barcodes(&text_of(format, mime_type, bytes)?))),
        Format::Pdf => pdf_barcodes(bytes).map(Some),
        Format::Other => Ok(None),
    }
}

/// `^FH` field data: `_XX` is the byte 0xXX.
fn unhex(data: &str) -> String {
    let b = data.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'_' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// ZPL: the field data of every field with a `^BC` (Code 128) or `^BQ` (QR)
/// command; a QR field's data starts with the error-correction level and the
/// input mode (`MA,`), which is taken off.
fn zpl_barcodes(zpl: &str) -> Barcodes {
    let mut out = Barcodes::default();
    for field in zpl.split("^FS") {
        let Some(fd) = field.rfind("^FD") else { continue };
        let head = &field[..fd];
        let mut data = field[fd + 3..].trim_end_matches(['\r', '\n']).to_string();
        if head.contains("^FH") {
            data = unhex(&data);
        }
        if head.contains("^BC") {
            out.code128.push(data);
        } else if head.contains("^BQ") {
            // <level H/Q/M/L><mode A/M>,<data>; manual mode adds a character-mode prefix.
            let d = data.as_bytes();
            let payload = if d.len() > 3 && b"HQML".contains(&d[0]) && d[2] == b',' {
                if d[1] == b'M' && d.len() > 4 { data[4..].to_string() } else { data[3..].to_string() }
            } else {
                data
            };
            out.qr.push(payload);
        }
    }
    out
}

/// TSPL arguments, split at commas outside quotes; quoted ones unquoted
/// (`\["]` is a quote).
fn tspl_args(s: &str) -> Vec<(String, bool)> {
    let mut out = vec![(String::new(), false)];
    let mut quoted = false;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if quoted && rest.starts_with("\\[\"]") {
            out.last_mut().expect("one arg").0.push('"');
            rest = &rest[4..];
            continue;
        }
        match c {
            '"' => {
                quoted = !quoted;
                out.last_mut().expect("one arg").1 = true;
            }
            ',' if !quoted => out.push((String::new(), false)),
            c => out.last_mut().expect("one arg").0.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// TSPL: the data (the last quoted argument) of `BARCODE` commands of type
/// 128 and of `QRCODE` commands.
fn tspl_barcodes(tspl: &str) -> Barcodes {
    let mut out = Barcodes::default();
    for line in tspl.lines() {
        let line = line.trim();
        let (cmd, rest) = line.split_once(' ').unwrap_or((line, ""));
        let args = tspl_args(rest);
        let data = args.iter().rev().find(|(_, q)| *q).map(|(a, _)| a.clone());
        match cmd.to_ascii_uppercase().as_str() {
            "BARCODE" if args.get(2).is_some_and(|(t, _)| t.starts_with("128")) => out.code128.extend(data),
            "QRCODE" => out.qr.extend(data),
            _ => {}
        }
    }
    out
}

/// A filled rectangle on the page (x, y of the lower left corner, width,
/// height), in page units.
#[derive(Debug, Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

type Matrix = [f64; 6];

fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

/// The filled `re` rectangles of the first page, with `cm` transformations
/// applied (their bounding boxes).
fn filled_rects(bytes: &[u8]) -> Result<Vec<Rect>, String> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| format!("PDF无法打开：{e}"))?;
    let page = *doc.get_pages().get(&1).ok_or("PDF没有页面")?;
    let content = doc.get_page_content_with_limit(page, MAX_PAGE_CONTENT).map_err(|e| format!("PDF页面内容无法读取：{e}"))?;
    let content = lopdf::content::Content::decode(&content).map_err(|e| format!("PDF页面内容无法解析：{e}"))?;
    let mut ctm: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
    let mut stack: Vec<Matrix> = Vec::new();
    let mut path: Vec<Rect> = Vec::new();
    let mut filled = Vec::new();
    let nums = |ops: &[lopdf::Object]| -> Vec<f64> { ops.iter().filter_map(|o| o.as_float().ok()).map(f64::from).collect() };
    for op in &content.operations {
        match op.operator.as_str() {
            "q" => stack.push(ctm),
            "Q" => ctm = stack.pop().unwrap_or(ctm),
            "cm" => {
                let n = nums(&op.operands);
                if n.len() == 6 {
                    ctm = mul(&[n[0], n[1], n[2], n[3], n[4], n[5]], &ctm);
                }
            }
            "re" => {
                let n = nums(&op.operands);
                if n.len() == 4 {
                    let pts = [(n[0], n[1]), (n[0] + n[2], n[1]), (n[0], n[1] + n[3]), (n[0] + n[2], n[1] + n[3])]
                        .map(|(x, y)| (ctm[0] * x + ctm[2] * y + ctm[4], ctm[1] * x + ctm[3] * y + ctm[5]));
                    let (x0, x1) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
                    let (y0, y1) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
                    path.push(Rect { x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
                }
            }
            "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => filled.append(&mut path),
            "n" | "S" | "s" => path.clear(),
            _ => {}
        }
    }
    Ok(filled)
}

/// A length as an integer key at 1/1000 unit, for grouping.
fn key(v: f64) -> i64 {
    (v * 1000.0).round() as i64
}

/// The PDF's barcodes: squares of one size are QR modules (rasterised at 4
/// pixels a module with a quiet zone and decoded with `rqrr`); tall bars of
/// one height on one baseline are a Code 128 symbol (decoded with `code128`).
fn pdf_barcodes(bytes: &[u8]) -> Result<Barcodes, String> {
    let rects = filled_rects(bytes)?;
    let mut out = Barcodes::default();

    // QR: the most common square size.
    let mut squares: BTreeMap<i64, Vec<Rect>> = BTreeMap::new();
    for r in rects.iter().filter(|r| r.w > 0.0 && (r.w - r.h).abs() < 1e-3 * r.w.max(1.0)) {
        squares.entry(key(r.w)).or_default().push(*r);
    }
    if let Some(modules) = squares.into_values().max_by_key(Vec::len).filter(|m| m.len() >= 21) {
        let m = modules[0].w;
        let x0 = modules.iter().map(|r| r.x).fold(f64::MAX, f64::min);
        let top = modules.iter().map(|r| r.y + r.h).fold(f64::MIN, f64::max);
        let cells: HashSet<(i64, i64)> =
            modules.iter().map(|r| (((r.x - x0) / m).round() as i64, ((top - (r.y + r.h)) / m).round() as i64)).collect();
        let n = cells.iter().map(|(c, r)| c.max(r) + 1).max().unwrap_or(0);
        if n <= 200 {
            const PX: i64 = 4;
            const QUIET: i64 = 4;
            let side = ((n + 2 * QUIET) * PX) as usize;
            let mut img = rqrr::PreparedImage::prepare_from_bitmap(side, side, |x, y| {
                cells.contains(&(x as i64 / PX - QUIET, y as i64 / PX - QUIET))
            });
            for grid in img.detect_grids() {
                if let Ok((_, content)) = grid.decode() {
                    out.qr.push(content);
                }
            }
        }
    }

    // Code 128: bars at least 3 times as tall as wide, grouped by baseline and height.
    let mut rows: BTreeMap<(i64, i64), Vec<Rect>> = BTreeMap::new();
    for r in rects.iter().filter(|r| r.w > 0.0 && r.h >= 3.0 * r.w) {
        rows.entry((key(r.y), key(r.h))).or_default().push(*r);
    }
    for mut bars in rows.into_values().filter(|b| b.len() >= 10) {
        bars.sort_by(|a, b| a.x.total_cmp(&b.x));
        let gaps: Vec<f64> = bars.windows(2).map(|p| p[1].x - (p[0].x + p[0].w)).collect();
        let module = bars.iter().map(|b| b.w).chain(gaps.iter().copied().filter(|g| *g > 1e-6)).fold(f64::MAX, f64::min);
        let units = |v: f64| (v / module).round().clamp(0.0, 255.0) as u8;
        let symbol: Vec<code128::Bar> = bars
            .iter()
            .enumerate()
            .map(|(i, b)| code128::Bar { width: units(b.w), space: gaps.get(i).map_or(0, |g| units(*g)) })
            .collect();
        if let Ok(data) = code128::decode_str(&symbol) {
            out.code128.push(data);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zpl_fields_are_read() {
        let b = zpl_barcodes("^XA\n^FO24,72^BY2,3,90^BCN,90,Y,N,N^FDTC2600000123452^FS\n^FO600,16^BQN,2,5^FDMA,TC2600000123452^FS\n^FO1,1^FH^FDa_5Fb^FS\n^XZ\n");
        assert_eq!(b.code128, ["TC2600000123452"]);
        assert_eq!(b.qr, ["TC2600000123452"]);
        assert_eq!(unhex("a_5Fb_7E"), "a_b~");
    }

    #[test]
    fn tspl_commands_are_read() {
        let b = tspl_barcodes("CLS\r\nBARCODE 24,64,\"128\",90,1,0,2,4,\"TC2600000123452\"\r\nQRCODE 600,16,M,5,A,0,\"TC2600000123452\"\r\nTEXT 1,1,\"TSS24.BF2\",0,1,1,\"a\\[\"]b\"\r\n");
        assert_eq!(b.code128, ["TC2600000123452"]);
        assert_eq!(b.qr, ["TC2600000123452"]);
        assert_eq!(tspl_args("1,\"a\\[\"],b\"")[1].0, "a\",b");
    }

    #[test]
    fn formats_and_charsets() {
        assert_eq!(format_of("application/pdf", "pdf"), Format::Pdf);
        assert_eq!(format_of("application/vnd.zebra.zpl", "zpl"), Format::Zpl);
        assert_eq!(format_of("application/vnd.tsc.tspl; charset=GBK", "prn"), Format::Tspl);
        assert_eq!(format_of("text/plain; charset=utf-8", "txt"), Format::Other);
        assert_eq!(charset("text/plain; Charset=\"GBK\""), Some("gbk".into()));
        let gbk = encoding_rs::GBK.encode("张三丰").0;
        assert_eq!(text_of(Format::Tspl, "application/vnd.tsc.tspl; charset=GBK", &gbk).unwrap(), "张三丰");
    }
}
