//! Reading uploaded spreadsheets: one place for the size limit; format detection
//! and the header check are in `cotton-import` (shared with the fuzz targets).

use std::io::Read;

use async_graphql::{Context, Upload};

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
