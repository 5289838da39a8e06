//! ID numbers, unified social credit codes and mobile numbers (domain `identity`).
#![no_main]
use cotton_domain::identity::{mask_id_number, validate_credit_code, validate_id_number, validate_mobile};
use cotton_fuzz::assert_clear;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    match validate_id_number(&s) {
        Err(e) => assert_clear("validate_id_number", &e.to_string()),
        Ok(id) => {
            assert_eq!(validate_id_number(&id).as_deref(), Ok(id.as_str()), "normal form is stable");
            let masked = mask_id_number(&id);
            assert_eq!(masked.chars().count(), 18);
            assert_ne!(masked, id, "a masked ID number hides digits");
        }
    }
    // The mask is applied to stored values; it must not panic on anything.
    let _ = mask_id_number(&s);
    match validate_credit_code(&s) {
        Err(e) => assert_clear("validate_credit_code", &e.to_string()),
        Ok(c) => assert_eq!(validate_credit_code(&c).as_deref(), Ok(c.as_str())),
    }
    match validate_mobile(&s) {
        Err(e) => assert_clear("validate_mobile", &e.to_string()),
        Ok(m) => assert_eq!(m.len(), 11),
    }
});
