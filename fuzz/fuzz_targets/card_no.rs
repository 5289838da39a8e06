//! Card numbers as typed or scanned (domain `card_no`, `processing`).
#![no_main]
use cotton_domain::RuleError;
use cotton_domain::card_no::{format_card_no, normalize_card_no, parse_card_no};
use cotton_domain::processing::validate_canonical_card_no;
use cotton_fuzz::assert_clear;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    match parse_card_no(&s) {
        Err(e) => {
            assert!(matches!(e, RuleError::Invalid(_) | RuleError::CardChecksum(_)), "{e:?}");
            assert_clear("parse_card_no", &e.to_string());
            assert!(normalize_card_no(&s).is_err());
        }
        Ok((season, serial)) => {
            // What parses formats back to the canonical form, which parses to the same.
            let canonical = format_card_no(season, serial);
            assert_eq!(normalize_card_no(&s).as_deref(), Ok(canonical.as_str()));
            assert_eq!(parse_card_no(&canonical), Ok((season, serial)));
            assert!(validate_canonical_card_no(&canonical).is_ok());
            assert!(canonical.eq_ignore_ascii_case(s.trim()));
        }
    }
    if let Err(e) = validate_canonical_card_no(&s) {
        assert_clear("validate_canonical_card_no", &e.to_string());
    } else {
        assert_eq!(normalize_card_no(&s).as_deref(), Ok(&*s), "a canonical number is its own normal form");
    }
});
