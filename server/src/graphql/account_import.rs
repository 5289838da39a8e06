//! Imports in the API: the report every spreadsheet import answers with, and the
//! company accounts import.

use async_graphql::{Context, Enum, Object, Result, SimpleObject, Upload};
use cotton_service::accounts::import::{self, ImportReport, ImportRowResult};

use crate::graphql::CtxExt;

/// What an import did with one row.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "ImportRowStatus", remote = "cotton_service::accounts::import::ImportRowStatus")]
pub enum GqlImportRowStatus {
    /// A new record.
    Created,
    /// An existing record, changed.
    Updated,
    /// Nothing to do: the record exists as the row says (or, for company
    /// accounts, the account exists).
    Skipped,
    /// Refused; `message` says why. Nothing of the row was saved.
    Failed,
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "ImportRowResult")]
pub struct ImportRowObject {
    /// The spreadsheet row number (row 1 is the header).
    pub row: i32,
    pub status: GqlImportRowStatus,
    pub message: Option<String>,
}

#[derive(SimpleObject, Debug, Clone, Default)]
#[graphql(name = "ImportReport")]
pub struct ImportReportObject {
    pub created: i32,
    pub updated: i32,
    pub skipped: i32,
    pub failed: i32,
    pub rows: Vec<ImportRowObject>,
}

impl From<ImportReport> for ImportReportObject {
    fn from(r: ImportReport) -> Self {
        let row = |x: ImportRowResult| ImportRowObject { row: x.row, status: x.status.into(), message: x.message };
        ImportReportObject { created: r.created, updated: r.updated, skipped: r.skipped, failed: r.failed, rows: r.rows.into_iter().map(row).collect() }
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Platform admin: creates company orgs and accounts from the regiments' sheet.
    /// Columns: 团场编码 | 连队编码 | 连队名称 | 账号 | 初始密码 (“自动生成” or empty generates one).
    async fn import_company_accounts(&self, ctx: &Context<'_>, file: Upload) -> Result<ImportReportObject> {
        let me = ctx.principal()?;
        let read = || crate::upload::read_upload(ctx, &file).map(|(_, bytes)| bytes);
        Ok(import::import_company_accounts(ctx.state(), me, read).await?.into())
    }
}
