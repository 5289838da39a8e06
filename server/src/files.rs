//! Reading uploaded spreadsheets: one place for size limits, format detection and
//! the header check every import starts with.

use std::io::{Cursor, Read};

use async_graphql::{Context, Upload};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use crate::error::{AppError, AppResult};

/// Largest spreadsheet accepted (a season's roster of a big company fits easily).
pub const MAX_UPLOAD_BYTES: u64 = 20 * 1024 * 1024;

pub fn read_upload(ctx: &Context<'_>, upload: &Upload) -> AppResult<(String, Vec<u8>)> {
    let value = upload.value(ctx).map_err(|e| AppError::BadFile(format!("无法读取上传的文件：{e}")))?;
    let mut bytes = Vec::new();
    value
        .content
        .take(MAX_UPLOAD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| AppError::BadFile(format!("无法读取上传的文件：{e}")))?;
    if bytes.len() as u64 > MAX_UPLOAD_BYTES {
        return Err(AppError::BadFile(format!("文件过大，最大 {} MB", MAX_UPLOAD_BYTES / 1024 / 1024)));
    }
    Ok((value.filename, bytes))
}

/// One data row of a sheet: its spreadsheet row number (header = 1) and cells as text.
#[derive(Debug, Clone)]
pub struct SheetRow {
    pub row: i32,
    pub cells: Vec<String>,
}

impl SheetRow {
    pub fn cell(&self, i: usize) -> &str {
        self.cells.get(i).map(|s| s.trim()).unwrap_or("")
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        // Codes typed into Excel often become numbers: 65001 must stay "65001".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string().trim().to_string(),
    }
}

/// Reads the first sheet of an xlsx file and checks that row 1 is exactly `header`.
/// A wrong header is a BAD_FILE naming the expected columns; nothing is imported.
pub fn read_xlsx(bytes: Vec<u8>, header: &[&str]) -> AppResult<Vec<SheetRow>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| AppError::BadFile(format!("无法读取 Excel 文件（应为 .xlsx）：{e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| AppError::BadFile("Excel 文件没有工作表".into()))?
        .map_err(|e| AppError::BadFile(format!("无法读取工作表：{e}")))?;
    let mut rows = range.rows();
    let expected = header.join("、");
    let first: Vec<String> = rows.next().map(|r| r.iter().map(cell_text).collect()).unwrap_or_default();
    let mut actual: Vec<&str> = first.iter().map(String::as_str).collect();
    while actual.last() == Some(&"") {
        actual.pop();
    }
    if actual != header {
        return Err(AppError::BadFile(format!("表头不正确：应为 {expected}，实际为 {}", actual.join("、"))));
    }
    let start = range.start().map(|(r, _)| r as i32).unwrap_or(0);
    Ok(rows
        .enumerate()
        .map(|(i, r)| SheetRow { row: start + i as i32 + 2, cells: r.iter().map(cell_text).collect() })
        .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
        .collect())
}

/// Reads a CSV (UTF-8, optional BOM) or xlsx file — told apart by content (xlsx is
/// a zip) — and checks its header like [`read_xlsx`].
pub fn read_table(bytes: Vec<u8>, header: &[&str]) -> AppResult<Vec<SheetRow>> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes, header);
    }
    let text = String::from_utf8(bytes).map_err(|_| AppError::BadFile("CSV 文件须为 UTF-8 编码".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let expected = header.join("、");
    let first: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(|c| c.trim().to_string()).collect(),
        Some(Err(e)) => return Err(AppError::BadFile(format!("无法读取 CSV：{e}"))),
        None => Vec::new(),
    };
    let mut actual: Vec<&str> = first.iter().map(String::as_str).collect();
    while actual.last() == Some(&"") {
        actual.pop();
    }
    if actual != header {
        return Err(AppError::BadFile(format!("表头不正确：应为 {expected}，实际为 {}", actual.join("、"))));
    }
    let mut rows = Vec::new();
    for (i, rec) in records.enumerate() {
        let rec = rec.map_err(|e| AppError::BadFile(format!("第{}行无法读取：{e}", i + 2)))?;
        let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().any(|c| !c.is_empty()) {
            rows.push(SheetRow { row: i as i32 + 2, cells });
        }
    }
    Ok(rows)
}
