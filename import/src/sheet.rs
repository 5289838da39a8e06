//! Reading uploaded spreadsheets: format detection, the bounds every import is
//! held to, and the header check every import starts with.
//!
//! # Bounds (issue 16: zip bombs, unbounded cells)
//! An xlsx file is a zip: a 500 KB upload can inflate to gigabytes. Before
//! calamine sees it, every zip entry is inflated into a counting sink up to
//! [`MAX_ENTRY_BYTES`] (and [`MAX_INFLATED_BYTES`] for the whole file, at most
//! [`MAX_ZIP_ENTRIES`] entries), so a bomb costs at most that much work and no
//! memory; the sheet is then read cell by cell (never as a dense range, which a
//! forged `<dimension>` could make astronomically large), at most [`MAX_ROWS`]
//! rows and [`MAX_CELLS`] cells. Every cell of xlsx and CSV alike is at most
//! [`MAX_CELL_CHARS`] characters with no control character; the row parsers then
//! bound each column by its meaning.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

/// Most bytes one zip entry of an xlsx file may inflate to.
pub const MAX_ENTRY_BYTES: u64 = 24 * 1024 * 1024;
/// Most bytes all entries of an xlsx file may inflate to together.
pub const MAX_INFLATED_BYTES: u64 = 48 * 1024 * 1024;
/// Most entries (sheets, styles, …) an xlsx file may hold.
pub const MAX_ZIP_ENTRIES: usize = 1_000;
/// Most data rows an import may hold (xlsx or CSV).
pub const MAX_ROWS: usize = 100_000;
/// Most cells an import may hold (xlsx or CSV).
pub const MAX_CELLS: usize = 1_000_000;
/// Most characters in one cell.
pub const MAX_CELL_CHARS: usize = 256;
/// Columns read per row; cells further right are ignored (no import has more).
pub const MAX_COLUMNS: usize = 64;

/// A file refused whole; the message is Chinese, for the operator. A file that
/// cannot be read or is too big is the server's `BAD_FILE`; a cell that breaks
/// the text rules is `VALIDATION` ([`BadFile::is_text`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadFile(pub String, pub FileFault);

/// Why a file was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFault {
    /// Unreadable, malformed, or beyond the size bounds.
    File,
    /// A cell too long or with a control character.
    Text,
}

impl BadFile {
    pub fn file(message: impl Into<String>) -> Self {
        BadFile(message.into(), FileFault::File)
    }
    pub fn text(message: impl Into<String>) -> Self {
        BadFile(message.into(), FileFault::Text)
    }
    pub fn is_text(&self) -> bool {
        self.1 == FileFault::Text
    }
}

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

/// The text rules every cell meets (row and column are 1-based, for the message).
fn check_cell(text: &str, row: i64, col: usize) -> Result<(), BadFile> {
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(BadFile::text(format!("第{row}行第{col}列含有不允许的控制字符（U+{:04X}）", c as u32)));
    }
    let n = text.chars().count();
    if n > MAX_CELL_CHARS {
        return Err(BadFile::text(format!("第{row}行第{col}列过长：最多{MAX_CELL_CHARS}个字符，当前为{n}个")));
    }
    Ok(())
}

fn check_header(first: &[String], header: &[&str]) -> Result<(), BadFile> {
    let mut actual: Vec<&str> = first.iter().map(String::as_str).collect();
    while actual.last() == Some(&"") {
        actual.pop();
    }
    if actual != header {
        return Err(BadFile::file(format!("表头不正确：应为 {}，实际为 {}", header.join("、"), actual.join("、"))));
    }
    Ok(())
}

/// Inflates every entry of the zip into a counting sink, at most up to the
/// bounds: what calamine will read is known to be small before it reads it.
fn check_zip_bounds(bytes: &[u8]) -> Result<(), BadFile> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| BadFile::file(format!("无法读取 Excel 文件（应为 .xlsx）：{e}")))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(BadFile::file(format!("Excel 文件包含的部件过多（{} 个，最多 {MAX_ZIP_ENTRIES} 个）", zip.len())));
    }
    let too_big = || BadFile::file(format!("Excel 文件解压后过大（最多 {} MB）", MAX_INFLATED_BYTES / 1024 / 1024));
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| BadFile::file(format!("无法读取 Excel 文件：{e}")))?;
        // The declared size first (cheap), then what really comes out (a bomb may lie).
        if entry.size() > MAX_ENTRY_BYTES || total + entry.size() > MAX_INFLATED_BYTES {
            return Err(too_big());
        }
        let budget = MAX_ENTRY_BYTES.min(MAX_INFLATED_BYTES - total);
        let n = std::io::copy(&mut (&mut entry).take(budget + 1), &mut std::io::sink())
            .map_err(|e| BadFile::file(format!("无法读取 Excel 文件：{e}")))?;
        if n > budget {
            return Err(too_big());
        }
        total += n;
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
    check_zip_bounds(&bytes)?;
    std::panic::catch_unwind(move || read_xlsx_unguarded(bytes, header))
        .unwrap_or_else(|_| Err(BadFile::file("无法读取 Excel 文件：文件已损坏或结构异常")))
}

fn read_xlsx_unguarded(bytes: Vec<u8>, header: &[&str]) -> Result<Vec<SheetRow>, BadFile> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| BadFile::file(format!("无法读取 Excel 文件（应为 .xlsx）：{e}")))?;
    let first_sheet = book.sheet_names().first().cloned().ok_or_else(|| BadFile::file("Excel 文件没有工作表"))?;
    let mut cells = book.worksheet_cells_reader(&first_sheet).map_err(|e| BadFile::file(format!("无法读取工作表：{e}")))?;
    // Rows in sheet order (cells come row by row); each row's cells by column.
    let mut rows: Vec<(u32, Vec<String>)> = Vec::new();
    let mut count = 0usize;
    while let Some(cell) = cells.next_cell().map_err(|e| BadFile::file(format!("无法读取工作表：{e}")))? {
        count += 1;
        if count > MAX_CELLS {
            return Err(BadFile::file(format!("Excel 文件的单元格过多（最多 {MAX_CELLS} 个）")));
        }
        let (r, c) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() || c as usize >= MAX_COLUMNS {
            continue;
        }
        check_cell(&text, i64::from(r) + 1, c as usize + 1)?;
        if rows.last().is_none_or(|(last, _)| *last != r) {
            if rows.len() > MAX_ROWS {
                return Err(BadFile::file(format!("Excel 文件的行数过多（最多 {MAX_ROWS} 行数据）")));
            }
            rows.push((r, Vec::new()));
        }
        let row = &mut rows.last_mut().expect("a row was pushed").1;
        if row.len() <= c as usize {
            row.resize(c as usize + 1, String::new());
        }
        row[c as usize] = text;
    }
    // The first row with a value is the header, whatever its row number; the
    // columns start at the sheet's first used column.
    let first_col = rows.iter().filter_map(|(_, cs)| cs.iter().position(|c| !c.is_empty())).min().unwrap_or(0);
    let mut rows = rows.into_iter().map(|(r, cs)| (r, cs.into_iter().skip(first_col).collect::<Vec<String>>()));
    let (_, first) = rows.next().unwrap_or((0, Vec::new()));
    check_header(&first, header)?;
    rows.map(|(r, cells)| {
        let row = i32::try_from(i64::from(r) + 1).map_err(|_| BadFile::file("Excel 文件的行号超出范围"))?;
        Ok(SheetRow { row, cells })
    })
    .collect()
}

/// Reads a CSV (UTF-8, optional BOM) or xlsx file — told apart by content (xlsx is
/// a zip) — and checks its header like [`read_xlsx`].
pub fn read_table(bytes: Vec<u8>, header: &[&str]) -> Result<Vec<SheetRow>, BadFile> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes, header);
    }
    let text = String::from_utf8(bytes).map_err(|_| BadFile::file("CSV 文件须为 UTF-8 编码"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let first: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(|c| c.trim().to_string()).collect(),
        Some(Err(e)) => return Err(BadFile::file(format!("无法读取 CSV：{e}"))),
        None => Vec::new(),
    };
    check_header(&first, header)?;
    let mut rows = Vec::new();
    let mut count = 0usize;
    for (i, rec) in records.enumerate() {
        let line = i as i64 + 2;
        let rec = rec.map_err(|e| BadFile::file(format!("第{line}行无法读取：{e}")))?;
        count += rec.len();
        if count > MAX_CELLS || rows.len() >= MAX_ROWS {
            return Err(BadFile::file(format!("CSV 文件过大（最多 {MAX_ROWS} 行数据、{MAX_CELLS} 个单元格）")));
        }
        let cells: Vec<String> = rec.iter().take(MAX_COLUMNS).map(|c| c.trim().to_string()).collect();
        for (j, c) in cells.iter().enumerate() {
            check_cell(c, line, j + 1)?;
        }
        if cells.iter().any(|c| !c.is_empty()) {
            rows.push(SheetRow { row: line as i32, cells });
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

    /// The bombs of issue 16, built by [`crate::hostile`] and kept in
    /// `tests/data` (building a 500 MB bomb takes seconds; reading the file, none).
    /// `cargo test -p cotton-import -- --ignored regenerate` rebuilds them.
    pub(crate) const BOMBS: [(&str, &str); 4] = [
        ("one huge sheet (500 MB)", "bomb-huge-sheet.xlsx"),
        ("many sheets (60 × 1 MB)", "bomb-many-sheets.xlsx"),
        ("huge shared strings (500 MB)", "bomb-shared-strings.xlsx"),
        ("huge single cell (100 MB)", "bomb-huge-cell.xlsx"),
    ];

    fn data(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
    }

    #[test]
    #[ignore]
    fn regenerate_bombs() {
        use crate::hostile;
        let mb = 1024 * 1024;
        let files = [hostile::huge_sheet(500 * mb), hostile::many_sheets(60, mb), hostile::huge_shared_strings(500 * mb), hostile::huge_cell(100 * mb)];
        for ((_, name), bytes) in BOMBS.iter().zip(files) {
            std::fs::write(data(name), bytes).unwrap();
        }
    }

    /// Each bomb shape is refused as a BAD_FILE after inflating at most the bounds.
    #[test]
    fn bombs_are_refused_within_the_bounds() {
        for (what, name) in BOMBS {
            let file = std::fs::read(data(name)).unwrap();
            assert!(file.len() < 600 * 1024, "{what}: the bomb itself is small ({} bytes)", file.len());
            let started = std::time::Instant::now();
            let e = read_xlsx(file, &HEADER).unwrap_err();
            assert_eq!(e.1, FileFault::File, "{what}: {}", e.0);
            assert!(e.0.contains("过大") || e.0.contains("过多"), "{what}: {}", e.0);
            eprintln!("{what}: refused in {:?}", started.elapsed());
        }
        // A bomb whose zip headers lie about the sizes (say 1,000 bytes): what is
        // inflated is counted, so it is refused (or fails its checksum) all the same.
        let mut lying = std::fs::read(data("bomb-huge-sheet.xlsx")).unwrap();
        for (sig, at) in [(0x04034b50u32, 22usize), (0x02014b50, 24)] {
            let sig = sig.to_le_bytes();
            let mut i = 0;
            while let Some(p) = lying[i..].windows(4).position(|w| w == sig) {
                let p = i + p;
                let size = u32::from_le_bytes(lying[p + at..p + at + 4].try_into().unwrap());
                if size > 100 * 1024 * 1024 {
                    lying[p + at..p + at + 4].copy_from_slice(&1000u32.to_le_bytes());
                }
                i = p + 4;
            }
        }
        let e = read_xlsx(lying, &HEADER).unwrap_err();
        assert_eq!(e.1, FileFault::File, "{}", e.0);
        let e = read_xlsx(crate::hostile::many_sheets(MAX_ZIP_ENTRIES + 1, 10), &HEADER).unwrap_err();
        assert!(e.0.contains("部件过多"), "{}", e.0);
    }

    #[test]
    fn a_forged_dimension_is_read_cell_by_cell() {
        let rows = read_xlsx(crate::hostile::forged_dimension(), &["条码"]).unwrap();
        assert!(rows.is_empty(), "the far cell is past the columns an import reads: {rows:?}");
    }

    #[test]
    fn cells_are_bounded_and_free_of_control_characters() {
        let sheet = |cells: &[&str]| {
            crate::hostile::rows(&[HEADER.iter().map(|s| s.to_string()).collect(), cells.iter().map(|s| s.to_string()).collect()])
        };
        let rows = read_xlsx(sheet(&["B1", "21", "29.5"]), &HEADER).unwrap();
        assert_eq!((rows[0].row, rows[0].cell(2)), (2, "29.5"));
        let long = "色".repeat(MAX_CELL_CHARS + 1);
        let e = read_xlsx(sheet(&["B1", &long, "29.5"]), &HEADER).unwrap_err();
        assert!(e.is_text() && e.0.contains("第2行第2列过长"), "{}", e.0);
        let e = read_table(format!("条码,颜色级,长度\nB1,{long},29.5\n").into_bytes(), &HEADER).unwrap_err();
        assert!(e.is_text() && e.0.contains("第2行第2列过长"), "{}", e.0);
        let e = read_table("条码,颜色级,长度\nB1,21,1\u{0}1\n".as_bytes().to_vec(), &HEADER).unwrap_err();
        assert!(e.is_text() && e.0.contains("第2行第3列") && e.0.contains("U+0000"), "{}", e.0);
        // Too many rows.
        let mut csv = String::from("条码,颜色级,长度\n");
        for i in 0..=MAX_ROWS {
            csv.push_str(&format!("B{i},21,29\n"));
        }
        let e = read_table(csv.into_bytes(), &HEADER).unwrap_err();
        assert!(!e.is_text() && e.0.contains("最多"), "{}", e.0);
    }
}

