//! Bulk company accounts from the Excel sheet regiments fill in (rules §2).

use cotton_domain::orgs::{self as rules, OrgKind, Role};

use crate::auth::{self, Principal};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::files::{self, SheetRow};
use crate::state::AppState;

/// Row 1 of the sheet and its row parser live in `cotton-import` (shared with the
/// fuzz targets).
pub use cotton_import::company_accounts::COMPANY_ACCOUNTS_HEADER;

/// What an import did with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportRowStatus {
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

#[derive(Debug, Clone)]
pub struct ImportRowResult {
    /// The spreadsheet row number (row 1 is the header).
    pub row: i32,
    pub status: ImportRowStatus,
    pub message: Option<String>,
}

/// What an import did, row by row (rosters, accounts, inspections).
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub created: i32,
    pub updated: i32,
    pub skipped: i32,
    pub failed: i32,
    pub rows: Vec<ImportRowResult>,
}

impl ImportReport {
    pub fn push(&mut self, row: i32, status: ImportRowStatus, message: Option<String>) {
        match status {
            ImportRowStatus::Created => self.created += 1,
            ImportRowStatus::Updated => self.updated += 1,
            ImportRowStatus::Skipped => self.skipped += 1,
            ImportRowStatus::Failed => self.failed += 1,
        }
        self.rows.push(ImportRowResult { row, status, message });
    }
}

/// `importCompanyAccounts`: the platform admin creates company orgs and accounts
/// from the regiments' sheet. `file` reads the upload, after the role check (a
/// refused caller's file is never read).
pub async fn import_company_accounts(state: &AppState, me: &Principal, file: impl FnOnce() -> AppResult<Vec<u8>>) -> AppResult<ImportReport> {
    if !me.scope.is_admin() {
        return Err(AppError::forbidden());
    }
    let rows = files::read_xlsx(file()?, &COMPANY_ACCOUNTS_HEADER)?;
    let mut conn = state.db.write().await?;
    let mut report = ImportReport::default();
    for row in &rows {
        match import_row(state, &mut conn, row).await {
            Ok((status, message)) => report.push(row.row, status, message),
            Err(e) if matches!(e, AppError::Database(_) | AppError::Internal(_) | AppError::Unavailable(_)) => {
                return Err(e);
            }
            Err(e) => report.push(row.row, ImportRowStatus::Failed, Some(e.message())),
        }
    }
    Ok(report)
}

async fn import_row(state: &AppState, conn: &mut DbConn, row: &SheetRow) -> AppResult<(ImportRowStatus, Option<String>)> {
    let line = cotton_import::company_accounts::parse_line(row)?;
    let (regiment_code, company_code, company_name, username) =
        (line.regiment_code.as_str(), line.company_code, line.company_name, line.username);
    let generated = line.password.is_none();
    let password = line.password.unwrap_or_else(auth::generate_password);
    rules::validate_password(&password)?;

    let regiment = crate::orgs::find_by_code(conn, regiment_code)
        .await?
        .filter(|o| o.kind() == OrgKind::Regiment)
        .ok_or_else(|| AppError::Validation(format!("团场编码 {regiment_code} 不存在")))?;
    if super::find_by_username(conn, &username).await?.is_some() {
        return Ok((ImportRowStatus::Skipped, Some(format!("账号 {username} 已存在"))));
    }
    let company = match crate::orgs::find_by_code(conn, &company_code).await? {
        Some(org) if org.kind() == OrgKind::Company && org.parent_id == Some(regiment.id) => org,
        Some(_) => return Err(AppError::Validation(format!("连队编码 {company_code} 已被其他机构使用"))),
        None => {
            let regiment_id = Some(regiment.id);
            let mut tx = crate::tx::Tx::begin(state, conn).await?;
            let created = crate::orgs::create(&mut tx, OrgKind::Company, &company_code, &company_name, regiment_id, regiment_id).await;
            tx.finish(created).await?
        }
    };
    let hash = auth::hash_password(password.clone()).await?;
    super::create_org_account(conn, &username, &hash, Role::Company, &company).await?;
    Ok((ImportRowStatus::Created, generated.then(|| format!("初始密码：{password}"))))
}
