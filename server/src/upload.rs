//! Reading an uploaded file of a GraphQL multipart request: one place for the size
//! limit, applied while reading (a larger file is refused before it is held whole).

use std::io::Read;

use async_graphql::{Context, Upload};

use cotton_service::error::{AppError, AppResult};

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
