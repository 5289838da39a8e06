//! Reading spreadsheets the services import (rosters, accounts, inspections):
//! format detection and the header check are in `cotton-import` (shared with the
//! fuzz targets); the upload's size limit is the API's (`upload.rs`).

use crate::error::{AppError, AppResult};

pub use cotton_import::SheetRow;

impl From<cotton_import::BadFile> for AppError {
    fn from(e: cotton_import::BadFile) -> Self {
        // A cell too long or with a control character breaks the text rules every
        // input is held to (VALIDATION); anything else about the file is BAD_FILE.
        if e.is_text() {
            return AppError::Validation(e.0);
        }
        AppError::BadFile(e.0)
    }
}

/// Reads the first sheet of an xlsx file and checks that row 1 is exactly `header`.
/// A wrong header is a BAD_FILE naming the expected columns; nothing is imported.
pub fn read_xlsx(bytes: Vec<u8>, header: &[&str]) -> AppResult<Vec<SheetRow>> {
    Ok(cotton_import::read_xlsx(bytes, header)?)
}

/// Reads a CSV (UTF-8, optional BOM) or xlsx file — told apart by content (xlsx is
/// a zip) — and checks its header like [`read_xlsx`].
pub fn read_table(bytes: Vec<u8>, header: &[&str]) -> AppResult<Vec<SheetRow>> {
    Ok(cotton_import::read_table(bytes, header)?)
}

/// A rendered file (a label, a report): what the API hands out as base64.
#[derive(Debug, Clone)]
pub struct RenderedFile {
    pub file_name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}
