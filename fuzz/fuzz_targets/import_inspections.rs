//! `importInspections`: CSV or xlsx bytes → header check → every row parsed.
#![no_main]
use cotton_fuzz::assert_clear;
use cotton_import::inspections::{INSPECTION_HEADER, parse_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match cotton_fuzz::contained(|| cotton_import::read_table(data.to_vec(), &INSPECTION_HEADER)) {
        Err(e) => assert_clear("read_table", &e.0),
        Ok(rows) => {
            for row in &rows {
                match parse_line(row) {
                    Err(e) => assert_clear("inspection row", &e.to_string()),
                    Ok(line) => assert!(cotton_domain::processing::validate_barcode(&line.barcode).is_ok()),
                }
            }
        }
    }
});
