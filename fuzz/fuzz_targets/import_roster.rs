//! `importRoster`: xlsx bytes → header check → every row parsed.
#![no_main]
use cotton_fuzz::assert_clear;
use cotton_import::roster::{ROSTER_HEADER, parse_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match cotton_fuzz::contained(|| cotton_import::read_xlsx(data.to_vec(), &ROSTER_HEADER)) {
        Err(e) => assert_clear("read_xlsx", &e.0),
        Ok(rows) => {
            for row in &rows {
                match parse_line(row) {
                    Err(e) => assert_clear("roster row", &e.to_string()),
                    Ok(line) => {
                        // An accepted ID number is valid as stored.
                        assert_eq!(cotton_domain::identity::validate_id_number(&line.id_number).as_deref(), Ok(line.id_number.as_str()));
                    }
                }
            }
        }
    }
});
