//! Personal and legal identities: resident ID numbers (GB 11643), unified social
//! credit codes (GB 32100-2015) and mainland mobile numbers.
//!
//! Error messages never repeat the number itself: it is personal data and errors
//! end up in logs.

use crate::RuleError;
use chrono::NaiveDate;

/// ISO 7064 MOD 11-2 weights for the 17 body digits of a resident ID number.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for `sum % 11`.
const ID_CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// The ISO 7064 MOD 11-2 check character ('0'..'9' or 'X') for the first 17
/// digits of a resident ID number. `body` must be 17 ASCII digits.
pub fn id_check_char(body: &[u8; 17]) -> char {
    let sum: u32 = body
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    ID_CHECK_CHARS[(sum % 11) as usize] as char
}

/// Validates an 18-character Chinese resident ID number and returns it
/// normalised (surrounding whitespace trimmed, a trailing `x` upper-cased).
///
/// Checks, in order: length, characters (17 digits then a digit or X), the birth
/// date at positions 7–14 (a real calendar date, year 1900..=2100), and the
/// ISO 7064 MOD 11-2 check character.
pub fn validate_id_number(s: &str) -> Result<String, RuleError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(RuleError::invalid("身份证号码不能为空"));
    }
    let len = s.chars().count();
    if len != 18 {
        return Err(RuleError::invalid(format!(
            "身份证号码应为18位，当前为{len}位"
        )));
    }
    let bytes = s.as_bytes(); // 18 chars; all ASCII if the next check passes
    let body_ok = bytes.len() == 18 && bytes[..17].iter().all(u8::is_ascii_digit);
    let last_ok =
        bytes.len() == 18 && (bytes[17].is_ascii_digit() || bytes[17] == b'X' || bytes[17] == b'x');
    if !body_ok || !last_ok {
        return Err(RuleError::invalid(
            "身份证号码格式错误：前17位须为数字，最后一位须为数字或X",
        ));
    }
    let digits = |r: std::ops::Range<usize>| -> u32 {
        bytes[r]
            .iter()
            .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (digits(6..10), digits(10..12), digits(12..14));
    let date_ok =
        (1900..=2100).contains(&year) && NaiveDate::from_ymd_opt(year as i32, month, day).is_some();
    if !date_ok {
        return Err(RuleError::invalid(format!(
            "身份证号码中的出生日期（第7至14位：{}）不是有效日期",
            &s[6..14]
        )));
    }
    let mut body = [0u8; 17];
    body.copy_from_slice(&bytes[..17]);
    let expected = id_check_char(&body);
    let given = (bytes[17] as char).to_ascii_uppercase();
    if given != expected {
        return Err(RuleError::invalid(
            "身份证号码校验位错误，请核对号码后重新输入",
        ));
    }
    let mut out = String::with_capacity(18);
    out.push_str(&s[..17]);
    out.push(given);
    Ok(out)
}

/// Masks an ID number for display: the first 4 and last 4 characters stay, every
/// character between becomes `*`, and the length (in characters) is preserved,
/// e.g. `650102199001011234` → `6501**********1234`.
///
/// A string of 8 characters or fewer is masked entirely, so nothing short slips
/// through unmasked.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let n = chars.len();
    if n <= 8 {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(id.len());
    out.extend(&chars[..4]);
    out.extend(std::iter::repeat_n('*', n - 8));
    out.extend(&chars[n - 4..]);
    out
}

/// Masks a mobile number for display: the first 3 and last 4 characters stay,
/// every character between becomes `*`, e.g. `13800138000` → `138****8000`.
///
/// A string of 7 characters or fewer is masked entirely.
pub fn mask_mobile(mobile: &str) -> String {
    let chars: Vec<char> = mobile.chars().collect();
    let n = chars.len();
    if n <= 7 {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(mobile.len());
    out.extend(&chars[..3]);
    out.extend(std::iter::repeat_n('*', n - 7));
    out.extend(&chars[n - 4..]);
    out
}

/// Alphabet of unified social credit codes (GB 32100-2015): no I, O, Z, S, V.
const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of the 17 body characters (3^i mod 31).
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn credit_value(c: u8) -> Option<u32> {
    CREDIT_ALPHABET
        .iter()
        .position(|&a| a == c)
        .map(|p| p as u32)
}

/// The GB 32100-2015 check character for the first 17 characters of a unified
/// social credit code, or `None` if a character is outside the alphabet.
/// Lowercase letters are accepted.
pub fn credit_check_char(body: &str) -> Option<char> {
    let body = body.as_bytes();
    if body.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (&b, w) in body.iter().zip(CREDIT_WEIGHTS) {
        sum += credit_value(b.to_ascii_uppercase())? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(CREDIT_ALPHABET[check as usize] as char)
}

/// Validates an 18-character unified social credit code (统一社会信用代码) and
/// returns it trimmed and upper-cased.
pub fn validate_credit_code(s: &str) -> Result<String, RuleError> {
    let code = s.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(RuleError::invalid("统一社会信用代码不能为空"));
    }
    let len = code.chars().count();
    if len != 18 {
        return Err(RuleError::invalid(format!(
            "统一社会信用代码应为18位，当前为{len}位"
        )));
    }
    if let Some(bad) = code
        .chars()
        .find(|c| !c.is_ascii() || credit_value(*c as u8).is_none())
    {
        return Err(RuleError::invalid(format!(
            "统一社会信用代码含有无效字符“{bad}”：只能使用数字和除 I、O、Z、S、V 以外的大写字母"
        )));
    }
    let expected = credit_check_char(&code[..17]).expect("alphabet checked above");
    if code.as_bytes()[17] as char != expected {
        return Err(RuleError::invalid(
            "统一社会信用代码校验位错误，请核对后重新输入",
        ));
    }
    Ok(code)
}

/// Validates a mainland mobile number (`^1[3-9]\d{9}$`) and returns it trimmed.
pub fn validate_mobile(s: &str) -> Result<String, RuleError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(RuleError::invalid("手机号码不能为空"));
    }
    let b = s.as_bytes();
    let ok = b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit);
    if !ok {
        return Err(RuleError::invalid(
            "手机号码格式错误：应为11位数字，以1开头，第二位为3至9",
        ));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Independent check-character computation: the recursive ISO 7064 MOD 11-2
    /// form (p = (p + d) * 2 mod 11), not the weight table used by the code.
    fn iso7064_mod11_2(body: &str) -> char {
        let mut p = 0u32;
        for c in body.chars() {
            p = ((p + c.to_digit(10).unwrap()) * 2) % 11;
        }
        let c = (12 - p) % 11;
        if c == 10 {
            'X'
        } else {
            char::from_digit(c, 10).unwrap()
        }
    }

    fn make_id(region: &str, date: &str, seq: &str) -> String {
        let body = format!("{region}{date}{seq}");
        assert_eq!(body.len(), 17);
        format!("{body}{}", iso7064_mod11_2(&body))
    }

    fn msg(r: Result<String, RuleError>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn independent_helper_agrees_with_known_examples() {
        assert_eq!(iso7064_mod11_2("11010519491231002"), 'X');
        assert_eq!(iso7064_mod11_2("11010119900307447"), '7');
        assert_eq!(iso7064_mod11_2("44030819990101001"), '2');
    }

    #[test]
    fn known_valid_ids() {
        for id in [
            "11010519491231002X",
            "110101199003074477",
            "110101199003077774",
            "440308199901010012",
        ] {
            assert_eq!(validate_id_number(id).unwrap(), id);
        }
        let xj = make_id("650102", "19850615", "123");
        assert_eq!(validate_id_number(&xj).unwrap(), xj);
    }

    #[test]
    fn lowercase_x_and_whitespace_are_normalised() {
        assert_eq!(
            validate_id_number("  11010519491231002x\t").unwrap(),
            "11010519491231002X"
        );
    }

    #[test]
    fn wrong_length() {
        assert_eq!(
            msg(validate_id_number("1101051949123100")),
            "身份证号码应为18位，当前为16位"
        );
        assert_eq!(
            msg(validate_id_number("11010519491231002X1")),
            "身份证号码应为18位，当前为19位"
        );
        assert_eq!(msg(validate_id_number("   ")), "身份证号码不能为空");
        // 15-digit first-generation numbers are not accepted.
        assert!(msg(validate_id_number("110105491231002")).contains("18位"));
    }

    #[test]
    fn bad_characters() {
        let m = "身份证号码格式错误：前17位须为数字，最后一位须为数字或X";
        assert_eq!(msg(validate_id_number("1101051949123100AX")), m);
        assert_eq!(msg(validate_id_number("11010519491231002Y")), m);
        assert_eq!(msg(validate_id_number("X10105194912310021")), m);
        // 18 characters but not ASCII (full-width digit).
        assert_eq!(msg(validate_id_number("11010519491231002１")), m);
    }

    #[test]
    fn bad_dates() {
        for date in [
            "19490230", "18991231", "21010101", "19901301", "19900001", "19900100", "19000229",
        ] {
            let id = make_id("110105", date, "002");
            let m = msg(validate_id_number(&id));
            assert!(m.contains("出生日期") && m.contains(date), "{date}: {m}");
        }
        // Leap days that exist.
        assert!(validate_id_number(&make_id("110105", "20000229", "002")).is_ok());
        assert!(validate_id_number(&make_id("110105", "19960229", "002")).is_ok());
        assert!(validate_id_number(&make_id("110105", "19000101", "002")).is_ok());
        assert!(validate_id_number(&make_id("110105", "21001231", "002")).is_ok());
    }

    #[test]
    fn bad_check_digit() {
        let m = msg(validate_id_number("110105194912310021"));
        assert_eq!(m, "身份证号码校验位错误，请核对号码后重新输入");
        assert!(!m.contains("1101051949"), "must not echo the number");
    }

    #[test]
    fn masking() {
        assert_eq!(mask_id_number("650102199001011234"), "6501**********1234");
        assert_eq!(mask_id_number("11010519491231002X"), "1101**********002X");
        assert_eq!(mask_id_number("123456789"), "1234*6789");
        assert_eq!(mask_id_number("12345678"), "********");
        assert_eq!(mask_id_number(""), "");
        assert_eq!(mask_id_number("身份证号码一二三四五"), "身份证号**二三四五");
        assert_eq!(mask_mobile("13800138000"), "138****8000");
        assert_eq!(mask_mobile("+8613800138000"), "+86*******8000");
        assert_eq!(mask_mobile("1380013"), "*******");
        assert_eq!(mask_mobile(""), "");
    }

    #[test]
    fn credit_codes() {
        assert_eq!(
            validate_credit_code("91350100M000100Y43").unwrap(),
            "91350100M000100Y43"
        );
        assert_eq!(
            validate_credit_code(" 91110000100006485k ").unwrap(),
            "91110000100006485K"
        );
        assert_eq!(credit_check_char("91350100M000100Y4"), Some('3'));
        assert_eq!(credit_check_char("91350100M000100I4"), None);

        assert_eq!(
            validate_credit_code("91350100M000100Y44")
                .unwrap_err()
                .to_string(),
            "统一社会信用代码校验位错误，请核对后重新输入"
        );
        assert_eq!(
            validate_credit_code("91350100M000100Y4")
                .unwrap_err()
                .to_string(),
            "统一社会信用代码应为18位，当前为17位"
        );
        let m = validate_credit_code("91350100M0001O0Y43")
            .unwrap_err()
            .to_string();
        assert!(m.contains("无效字符“O”"), "{m}");
        let m = validate_credit_code("91350100M0001S0Y43")
            .unwrap_err()
            .to_string();
        assert!(m.contains("“S”"), "{m}");
        assert_eq!(
            validate_credit_code("").unwrap_err().to_string(),
            "统一社会信用代码不能为空"
        );
    }

    #[test]
    fn mobiles() {
        assert_eq!(validate_mobile(" 13800138000 ").unwrap(), "13800138000");
        assert_eq!(validate_mobile("19912345678").unwrap(), "19912345678");
        for bad in [
            "12800138000",
            "1380013800",
            "138001380001",
            "23800138000",
            "1380013800a",
            "+8613800138000",
        ] {
            assert!(validate_mobile(bad).is_err(), "{bad}");
        }
        assert_eq!(
            validate_mobile("").unwrap_err().to_string(),
            "手机号码不能为空"
        );
    }

    fn valid_body() -> impl Strategy<Value = String> {
        (
            100000u32..=999999,
            (1900i32..=2100, 1u32..=12, 1u32..=31).prop_filter("real date", |(y, m, d)| {
                NaiveDate::from_ymd_opt(*y, *m, *d).is_some()
            }),
            0u32..=999,
        )
            .prop_map(|(region, (y, m, d), seq)| format!("{region:06}{y:04}{m:02}{d:02}{seq:03}"))
    }

    proptest! {
        #[test]
        fn any_valid_body_with_check_char_validates(body in valid_body()) {
            let id = format!("{body}{}", iso7064_mod11_2(&body));
            prop_assert_eq!(validate_id_number(&id).unwrap(), id.clone());
            prop_assert_eq!(validate_id_number(&id.to_lowercase()).unwrap(), id);
        }

        #[test]
        fn any_single_digit_change_fails(body in valid_body(), pos in 0usize..18, delta in 1u8..=10) {
            let id = format!("{body}{}", iso7064_mod11_2(&body));
            let mut b = id.clone().into_bytes();
            // Replace position `pos` with a different character of its class.
            if pos == 17 {
                let chars = b"0123456789X";
                let cur = chars.iter().position(|&c| c == b[17]).unwrap();
                b[17] = chars[(cur + delta as usize) % 11];
            } else {
                let step = 1 + (delta - 1) % 9; // 1..=9: always a different digit
                b[pos] = b'0' + (b[pos] - b'0' + step) % 10;
            }
            prop_assert_ne!(&b[..], id.as_bytes());
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(validate_id_number(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn mask_preserves_length_and_ends(s in "[0-9X]{9,30}") {
            let m = mask_id_number(&s);
            prop_assert_eq!(m.len(), s.len());
            prop_assert_eq!(&m[..4], &s[..4]);
            prop_assert_eq!(&m[m.len() - 4..], &s[s.len() - 4..]);
            prop_assert!(m[4..m.len() - 4].chars().all(|c| c == '*'));
        }

        #[test]
        fn credit_code_with_computed_check_validates(body in "[0-9ABCDEFGHJKLMNPQRTUWXY]{17}") {
            let code = format!("{body}{}", credit_check_char(&body).unwrap());
            prop_assert_eq!(validate_credit_code(&code.to_lowercase()).unwrap(), code);
        }

        #[test]
        fn credit_code_single_substitution_detected(
            body in "[0-9ABCDEFGHJKLMNPQRTUWXY]{17}", pos in 0usize..18, delta in 1usize..31,
        ) {
            let code = format!("{body}{}", credit_check_char(&body).unwrap());
            let mut b = code.into_bytes();
            let cur = CREDIT_ALPHABET.iter().position(|&c| c == b[pos]).unwrap();
            b[pos] = CREDIT_ALPHABET[(cur + delta) % 31];
            prop_assert!(validate_credit_code(std::str::from_utf8(&b).unwrap()).is_err());
        }
    }
}
