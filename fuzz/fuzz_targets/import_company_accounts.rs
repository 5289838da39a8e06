//! `importCompanyAccounts`: xlsx bytes → header check → every row parsed.
#![no_main]
use cotton_fuzz::assert_clear;
use cotton_import::company_accounts::{COMPANY_ACCOUNTS_HEADER, parse_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match cotton_fuzz::contained(|| cotton_import::read_xlsx(data.to_vec(), &COMPANY_ACCOUNTS_HEADER)) {
        Err(e) => assert_clear("read_xlsx", &e.0),
        Ok(rows) => {
            for row in &rows {
                assert!(row.row >= 2, "data rows come after the header");
                match parse_line(row) {
                    Err(e) => assert_clear("company account row", &e.to_string()),
                    Ok(line) => assert!(!line.username.is_empty() && !line.company_code.is_empty()),
                }
            }
        }
    }
});
