//! The three row parsers on arbitrary cells (lines = rows, tabs = cells): the
//! xlsx/CSV targets spend most inputs on the container, this one on the cells.
#![no_main]
use cotton_fuzz::{assert_clear, rows_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for row in rows_of(data) {
        if let Err(e) = cotton_import::company_accounts::parse_line(&row) {
            assert_clear("company account row", &e.to_string());
        }
        match cotton_import::roster::parse_line(&row) {
            Err(e) => assert_clear("roster row", &e.to_string()),
            Ok(l) => assert!(l.area_mu > rust_decimal::Decimal::ZERO),
        }
        if let Err(e) = cotton_import::inspections::parse_line(&row) {
            assert_clear("inspection row", &e.to_string());
        }
    }
});
