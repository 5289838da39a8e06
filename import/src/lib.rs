//! Import files from outside the platform: the spreadsheets regiments, companies
//! and the inspection bureau upload. Everything here is pure parsing of bytes
//! (no database, no async), so the server and the fuzz targets (`fuzz/`) run
//! exactly the same code.
//!
//! | module | what |
//! |---|---|
//! | [`sheet`] | xlsx / CSV bytes → [`SheetRow`]s after the row-1 header check ([`BadFile`] otherwise) |
//! | [`company_accounts`] | a row of `importCompanyAccounts` → [`company_accounts::CompanyAccountLine`] |
//! | [`roster`] | a row of `importRoster` → [`roster::RosterLine`] |
//! | [`inspections`] | a row of `importInspections` → [`inspections::InspectionLine`] |
//!
//! A file that cannot be read at all is a [`BadFile`] (the server's `BAD_FILE`);
//! a row that breaks a rule is a [`cotton_domain::RuleError`] (its code), reported
//! for that row only.

pub mod company_accounts;
pub mod inspections;
pub mod roster;
pub mod sheet;

#[cfg(any(test, feature = "hostile-samples"))]
pub mod hostile;

pub use sheet::{BadFile, FileFault, SheetRow, read_table, read_xlsx};
