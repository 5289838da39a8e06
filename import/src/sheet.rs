//! Reading uploaded spreadsheets: format detection and the header check every
//! import starts with.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

/// A file refused whole (the server's `BAD_FILE`); the message is Chinese, for
/// the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadFile(pub String);

/// One data row of a sheet: its spreadsheet row number (header = 1) and cells as text.
#[derive(Debug, Clone, PartialEq, Eq)]
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

fn check_header(first: &[String], header: &[&str]) -> Result<(), BadFile> {
    let mut actual: Vec<&str> = first.iter().map(String::as_str).collect();
    while actual.last() == Some(&"") {
        actual.pop();
    }
    if actual != header {
        return Err(BadFile(format!("表头不正确：应为 {}，实际为 {}", header.join("、"), actual.join("、"))));
    }
    Ok(())
}

/// Reads the first sheet of an xlsx file and checks that row 1 is exactly `header`.
/// A wrong header is a [`BadFile`] naming the expected columns; nothing is imported.
///
/// calamine still panics on some malformed workbooks (fuzzing found an
/// arithmetic overflow on absurd cell references in 0.38, see the tests), so
/// its work runs under `catch_unwind`: such a file is a [`BadFile`] like any
/// other unreadable one, never a dropped request.
pub fn read_xlsx(bytes: Vec<u8>, header: &[&str]) -> Result<Vec<SheetRow>, BadFile> {
    std::panic::catch_unwind(move || read_xlsx_unguarded(bytes, header))
        .unwrap_or_else(|_| Err(BadFile("无法读取 Excel 文件：文件已损坏或结构异常".into())))
}

fn read_xlsx_unguarded(bytes: Vec<u8>, header: &[&str]) -> Result<Vec<SheetRow>, BadFile> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| BadFile(format!("无法读取 Excel 文件（应为 .xlsx）：{e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| BadFile("Excel 文件没有工作表".into()))?
        .map_err(|e| BadFile(format!("无法读取工作表：{e}")))?;
    let mut rows = range.rows();
    let first: Vec<String> = rows.next().map(|r| r.iter().map(cell_text).collect()).unwrap_or_default();
    check_header(&first, header)?;
    // The sheet's first used row is the header, whatever its row number.
    let start = range.start().map(|(r, _)| r as i64).unwrap_or(0);
    let mut out = Vec::new();
    for (i, r) in rows.enumerate() {
        let row = i32::try_from(start + i as i64 + 2).map_err(|_| BadFile("Excel 文件的行号超出范围".into()))?;
        let cells: Vec<String> = r.iter().map(cell_text).collect();
        if cells.iter().any(|c| !c.is_empty()) {
            out.push(SheetRow { row, cells });
        }
    }
    Ok(out)
}

/// Reads a CSV (UTF-8, optional BOM) or xlsx file — told apart by content (xlsx is
/// a zip) — and checks its header like [`read_xlsx`].
pub fn read_table(bytes: Vec<u8>, header: &[&str]) -> Result<Vec<SheetRow>, BadFile> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes, header);
    }
    let text = String::from_utf8(bytes).map_err(|_| BadFile("CSV 文件须为 UTF-8 编码".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let first: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(|c| c.trim().to_string()).collect(),
        Some(Err(e)) => return Err(BadFile(format!("无法读取 CSV：{e}"))),
        None => Vec::new(),
    };
    check_header(&first, header)?;
    let mut rows = Vec::new();
    for (i, rec) in records.enumerate() {
        let rec = rec.map_err(|e| BadFile(format!("第{}行无法读取：{e}", i + 2)))?;
        let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().any(|c| !c.is_empty()) {
            rows.push(SheetRow { row: i as i32 + 2, cells });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [&str; 3] = ["条码", "颜色级", "长度"];

    #[test]
    fn csv_header_rows_and_refusals() {
        let rows = read_table("\u{feff}条码,颜色级,长度\nB1,21,29.5\n,,\nB2\n".as_bytes().to_vec(), &HEADER).unwrap();
        assert_eq!(rows.len(), 2, "blank rows are skipped");
        assert_eq!((rows[0].row, rows[0].cell(2)), (2, "29.5"));
        assert_eq!((rows[1].row, rows[1].cell(1)), (4, ""), "short rows read as empty cells");
        let e = read_table("条码,长度\n".as_bytes().to_vec(), &HEADER).unwrap_err();
        assert_eq!(e.0, "表头不正确：应为 条码、颜色级、长度，实际为 条码、长度");
        assert_eq!(read_table(vec![0xb2, 0xe2], &HEADER).unwrap_err().0, "CSV 文件须为 UTF-8 编码");
        assert!(read_table(Vec::new(), &HEADER).unwrap_err().0.starts_with("表头不正确"));
    }

    /// Found by the fuzz target `import_roster` (fuzz/corpus/import_*/
    /// seed-regress-calamine-shared-string-index): a cell typed as a shared
    /// string whose index is past the shared-string table made calamine 0.31
    /// panic (index out of bounds), i.e. one crafted upload killed the request.
    /// calamine ≥ 0.32 refuses it; this keeps it refused as a BAD_FILE.
    #[test]
    fn regress_shared_string_index_out_of_range_is_a_bad_file() {
        let bytes = include_bytes!("../tests/data/calamine-shared-string-index.xlsx").to_vec();
        let e = read_xlsx(bytes.clone(), &crate::roster::ROSTER_HEADER).unwrap_err();
        assert!(e.0.starts_with("无法读取"), "{}", e.0);
        assert!(read_table(bytes, &crate::inspections::INSPECTION_HEADER).is_err());
    }

    /// Found by the fuzz targets `import_roster` and `import_inspections`
    /// (corpus seed-regress-calamine-cell-reference-overflow): calamine 0.38
    /// multiplies a cell reference's column letters without overflow checks
    /// ("attempt to multiply with overflow" in debug builds; a wrong cell in
    /// release). The panic is contained and the file refused as a BAD_FILE.
    #[test]
    fn regress_cell_reference_overflow_is_a_bad_file() {
        let bytes = include_bytes!("../tests/data/calamine-cell-reference-overflow.xlsx").to_vec();
        for header in [&crate::roster::ROSTER_HEADER[..], &crate::inspections::INSPECTION_HEADER[..]] {
            let e = read_table(bytes.clone(), header).unwrap_err();
            assert!(e.0.starts_with("无法读取"), "{}", e.0);
        }
    }

    #[test]
    fn not_a_workbook_is_a_bad_file() {
        let e = read_xlsx(b"PK\x03\x04 not really a zip".to_vec(), &HEADER).unwrap_err();
        assert!(e.0.starts_with("无法读取 Excel 文件（应为 .xlsx）"), "{}", e.0);
    }
}
