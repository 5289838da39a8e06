//! `importCompanyAccounts`: the sheet regiments fill in, one company account a row.

use cotton_domain::RuleError;
use cotton_domain::orgs as rules;

use crate::SheetRow;

/// Columns of the company-account sheet, row 1 exactly.
pub const COMPANY_ACCOUNTS_HEADER: [&str; 5] = ["团场编码", "连队编码", "连队名称", "账号", "初始密码"];

/// One checked row. Whether the regiment exists is for the database to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyAccountLine {
    pub regiment_code: String,
    pub company_code: String,
    pub company_name: String,
    pub username: String,
    /// `None`: `自动生成` (or `generate`, or empty) — the server generates one.
    pub password: Option<String>,
}

/// Parses and checks one row: codes, name, user name, and a given password
/// against the password rules.
pub fn parse_line(row: &SheetRow) -> Result<CompanyAccountLine, RuleError> {
    let regiment_code = row.cell(0).to_string();
    let company_code = rules::validate_org_code(row.cell(1))?;
    let company_name = rules::validate_name(row.cell(2), "连队名称")?;
    let username = rules::validate_username(row.cell(3))?;
    let given = row.cell(4);
    let generated = given.is_empty() || given == "自动生成" || given.eq_ignore_ascii_case("generate");
    let password = if generated {
        None
    } else {
        rules::validate_password(given)?;
        Some(given.to_string())
    };
    Ok(CompanyAccountLine { regiment_code, company_code, company_name, username, password })
}
