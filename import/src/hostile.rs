//! Hostile workbooks for tests (feature `hostile-samples`): small zip files that
//! inflate to far more than any import may hold, built by streaming so building
//! one costs no memory. The shapes of issue 16: one huge sheet, many sheets, a
//! huge shared-strings table, a huge single cell; and a forged dimension.

use std::io::{Cursor, Write};

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

fn opts() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).compression_level(Some(9))
}

/// Writes `head`, then `filler` repeated until `size` bytes, then `tail`.
fn stream(zip: &mut ZipWriter<Cursor<Vec<u8>>>, name: &str, head: &str, filler: &[u8], size: u64, tail: &str) {
    zip.start_file(name, opts()).expect("zip entry");
    zip.write_all(head.as_bytes()).expect("write");
    let chunk: Vec<u8> = filler.iter().copied().cycle().take(1 << 20).collect();
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        zip.write_all(&chunk[..n]).expect("write");
        left -= n as u64;
    }
    zip.write_all(tail.as_bytes()).expect("write");
}

fn workbook(sheets: usize) -> (String, String) {
    let list: String = (1..=sheets).map(|i| format!(r#"<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>"#)).collect();
    let rels: String = (1..=sheets)
        .map(|i| format!(r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#))
        .collect();
    (
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{list}</sheets></workbook>"#),
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#),
    )
}

const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
const SHEET_TAIL: &str = "</sheetData></worksheet>";

fn start(sheets: usize) -> ZipWriter<Cursor<Vec<u8>>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let (wb, wb_rels) = workbook(sheets);
    for (name, body) in [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELS), ("xl/workbook.xml", &wb), ("xl/_rels/workbook.xml.rels", &wb_rels)] {
        zip.start_file(name, opts()).expect("zip entry");
        zip.write_all(body.as_bytes()).expect("write");
    }
    zip
}

fn finish(zip: ZipWriter<Cursor<Vec<u8>>>) -> Vec<u8> {
    zip.finish().expect("zip").into_inner()
}

/// One sheet whose XML inflates to `size` bytes.
pub fn huge_sheet(size: u64) -> Vec<u8> {
    let mut zip = start(1);
    // XML whitespace between the rows' elements: the best ratio deflate gives (~1000:1).
    stream(&mut zip, "xl/worksheets/sheet1.xml", SHEET_HEAD, b" ", size, SHEET_TAIL);
    finish(zip)
}

/// `count` sheets of `each` bytes.
pub fn many_sheets(count: usize, each: u64) -> Vec<u8> {
    let mut zip = start(count);
    for i in 1..=count {
        stream(&mut zip, &format!("xl/worksheets/sheet{i}.xml"), SHEET_HEAD, b" ", each, SHEET_TAIL);
    }
    finish(zip)
}

/// A shared-strings table of `size` bytes (read when the workbook opens).
pub fn huge_shared_strings(size: u64) -> Vec<u8> {
    let mut zip = start(1);
    stream(&mut zip, "xl/worksheets/sheet1.xml", SHEET_HEAD, b"", 0, SHEET_TAIL);
    stream(
        &mut zip,
        "xl/sharedStrings.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
        b" ",
        size,
        "</sst>",
    );
    finish(zip)
}

/// One cell holding `chars` characters.
pub fn huge_cell(chars: u64) -> Vec<u8> {
    let mut zip = start(1);
    stream(
        &mut zip,
        "xl/worksheets/sheet1.xml",
        &format!(r#"{SHEET_HEAD}<row r="1"><c r="A1" t="inlineStr"><is><t>"#),
        b"a",
        chars,
        &format!("</t></is></c></row>{SHEET_TAIL}"),
    );
    finish(zip)
}

/// Two cells at opposite corners of the sheet, the dimension claiming all of it:
/// a dense read would allocate 17 billion cells.
pub fn forged_dimension() -> Vec<u8> {
    let mut zip = start(1);
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>条码</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#;
    stream(&mut zip, "xl/worksheets/sheet1.xml", body, b"", 0, "");
    finish(zip)
}

/// A plain sheet of text rows (row 1 first), for the bounds that are not sizes.
pub fn rows(rows: &[Vec<String>]) -> Vec<u8> {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut xml = String::from(SHEET_HEAD);
    for (i, r) in rows.iter().enumerate() {
        xml.push_str(&format!(r#"<row r="{}">"#, i + 1));
        for c in r {
            xml.push_str(&format!(r#"<c t="inlineStr"><is><t>{}</t></is></c>"#, esc(c)));
        }
        xml.push_str("</row>");
    }
    xml.push_str(SHEET_TAIL);
    let mut zip = start(1);
    stream(&mut zip, "xl/worksheets/sheet1.xml", &xml, b"", 0, "");
    finish(zip)
}
