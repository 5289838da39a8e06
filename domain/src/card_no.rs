//! Trace card numbers (追溯卡号, rules §7).
//!
//! # Format
//!
//! ```text
//! TC 26 0000012345 2
//! │  │  │          └─ check digit over the 12 digits before it
//! │  │  └─ serial within the season, 10 digits, zero-padded
//! │  └─ season year, last 2 digits (2026 → 26; seasons 2000..=2099)
//! └─ fixed prefix
//! ```
//!
//! 15 characters, no separators: `TC2600000123452`. Parsing trims
//! surrounding whitespace and accepts a lowercase `tc`.
//!
//! # Check digit
//!
//! The check digit is computed with the **Damm algorithm** (a totally
//! anti-symmetric quasigroup of order 10) over the 12 digits. It detects every
//! single-digit substitution and every transposition of two adjacent digits,
//! including a swap of the last serial digit with the check digit itself.
//!
//! (ISO 7064 MOD 11-10, which was considered first, detects every single-digit
//! error but misses about 2 % of adjacent transpositions — e.g. the digit pairs
//! `45`/`54` after some prefixes — so it cannot promise that a mistyped number is
//! caught.)

use crate::RuleError;

/// Prefix of every card number.
pub const CARD_PREFIX: &str = "TC";
/// Length of a card number in characters.
pub const CARD_NO_LEN: usize = 15;
/// Largest serial that fits in 10 digits.
pub const MAX_SERIAL: u64 = 9_999_999_999;

/// Damm operation table (Damm 2004; the quasigroup published in his thesis).
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Runs ASCII digits through the Damm table; the interim digit at the end.
fn damm(digits: &[u8]) -> u8 {
    digits
        .iter()
        .fold(0u8, |i, &d| DAMM[usize::from(i)][usize::from(d - b'0')])
}

/// The check digit for a string of ASCII digits.
///
/// # Panics
/// If `digits` contains anything but ASCII digits.
pub fn check_digit(digits: &str) -> char {
    assert!(
        digits.bytes().all(|b| b.is_ascii_digit()),
        "check_digit takes ASCII digits only"
    );
    char::from(b'0' + damm(digits.as_bytes()))
}

/// The card number for `serial` in `season`, or an error if the season is
/// outside 2000..=2099 or the serial has more than 10 digits.
pub fn try_format_card_no(season: i32, serial: u64) -> Result<String, RuleError> {
    if !(2000..=2099).contains(&season) {
        return Err(RuleError::invalid(format!(
            "追溯卡号只能用于2000至2099年度，当前为{season}"
        )));
    }
    if serial > MAX_SERIAL {
        return Err(RuleError::invalid(format!(
            "追溯卡序号超出10位上限：{serial}"
        )));
    }
    let body = format!("{:02}{serial:010}", season % 100);
    let check = check_digit(&body);
    Ok(format!("{CARD_PREFIX}{body}{check}"))
}

/// The card number for `serial` in `season`, e.g. `format_card_no(2026, 1)` =
/// `"TC2600000000011"` (prefix, 2-digit year, 10-digit serial, check digit).
///
/// # Panics
/// If the season is outside 2000..=2099 or `serial > 9_999_999_999`; see
/// [`try_format_card_no`].
pub fn format_card_no(season: i32, serial: u64) -> String {
    match try_format_card_no(season, serial) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// Parses a typed or scanned card number into (season, serial).
///
/// Trims whitespace and accepts a lowercase prefix. A string that is not
/// `TC` + 13 digits is [`RuleError::Invalid`]; a well-formed number whose check
/// digit does not match is [`RuleError::CardChecksum`].
pub fn parse_card_no(s: &str) -> Result<(i32, u64), RuleError> {
    let t = s.trim();
    let b = t.as_bytes();
    let well_formed = b.len() == CARD_NO_LEN
        && b[..2].eq_ignore_ascii_case(CARD_PREFIX.as_bytes())
        && b[2..].iter().all(u8::is_ascii_digit);
    if !well_formed {
        return Err(RuleError::invalid(if t.is_empty() {
            "追溯卡号不能为空".to_string()
        } else {
            format!("追溯卡号格式错误：应为 TC 加13位数字（共15位），当前为“{t}”")
        }));
    }
    let digits = &b[2..];
    if damm(digits) != 0 {
        let normalised = format!("{CARD_PREFIX}{}", &t[2..]);
        return Err(RuleError::CardChecksum(format!(
            "{normalised} 不是有效的卡号，请核对后重新输入"
        )));
    }
    let num = |r: std::ops::Range<usize>| -> u64 {
        digits[r]
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'))
    };
    let season = 2000 + i32::try_from(num(0..2)).expect("two digits");
    Ok((season, num(2..12)))
}

/// Normalises a card number (trim, upper-case prefix) after checking it; the
/// canonical form to store and compare.
pub fn normalize_card_no(s: &str) -> Result<String, RuleError> {
    let (season, serial) = parse_card_no(s)?;
    Ok(format_card_no(season, serial))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn damm_known_vector() {
        // Wikipedia's worked example: 572 → check digit 4, and 5724 validates.
        assert_eq!(check_digit("572"), '4');
        assert_eq!(damm(b"5724"), 0);
    }

    #[test]
    fn damm_table_is_a_totally_antisymmetric_quasigroup() {
        let digits: Vec<u8> = (0..10).collect();
        for (r, row) in DAMM.iter().enumerate() {
            let mut sorted = row.to_vec();
            sorted.sort();
            assert_eq!(sorted, digits, "row {r} is a permutation");
            let mut col: Vec<u8> = DAMM.iter().map(|row| row[r]).collect();
            col.sort();
            assert_eq!(col, digits, "column {r} is a permutation");
            assert_eq!(row[r], 0, "zero diagonal");
        }
        for c in 0..10 {
            for x in 0..10 {
                for y in 0..10 {
                    if x != y {
                        assert_ne!(DAMM[DAMM[c][x] as usize][y], DAMM[DAMM[c][y] as usize][x]);
                    }
                }
            }
        }
    }

    #[test]
    fn format_and_parse() {
        let n = format_card_no(2026, 12345);
        assert_eq!(n.len(), 15);
        assert!(n.starts_with("TC260000012345"));
        assert_eq!(parse_card_no(&n), Ok((2026, 12345)));
        assert_eq!(
            parse_card_no(&format!("  {}\n", n.to_lowercase())),
            Ok((2026, 12345))
        );
        assert_eq!(normalize_card_no(&format!(" tc{}", &n[2..])), Ok(n.clone()));
        assert_eq!(parse_card_no(&format_card_no(2000, 0)), Ok((2000, 0)));
        assert_eq!(
            parse_card_no(&format_card_no(2099, MAX_SERIAL)),
            Ok((2099, MAX_SERIAL))
        );
        // Fixed vectors so other implementations (printers, devices) can compare.
        assert_eq!(format_card_no(2026, 1), "TC2600000000011");
        assert_eq!(format_card_no(2026, 12345), "TC2600000123452");
    }

    #[test]
    fn format_limits() {
        assert!(try_format_card_no(1999, 1).is_err());
        assert!(try_format_card_no(2100, 1).is_err());
        assert!(
            try_format_card_no(2026, MAX_SERIAL + 1)
                .unwrap_err()
                .to_string()
                .contains("10位")
        );
    }

    #[test]
    #[should_panic(expected = "追溯卡序号超出10位上限")]
    fn format_panics_on_overflow() {
        format_card_no(2026, MAX_SERIAL + 1);
    }

    #[test]
    fn malformed_is_invalid() {
        for bad in [
            "",
            "TC260000012345",
            "TC26000001234567",
            "XX2600000123457",
            "TC26000001234a7",
            "TC 2600000123457",
            "2600000123457TC",
            "ＴＣ2600000123457",
        ] {
            match parse_card_no(bad) {
                Err(RuleError::Invalid(m)) => assert!(m.contains("追溯卡号"), "{bad}: {m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert_eq!(
            parse_card_no("  ").unwrap_err().to_string(),
            "追溯卡号不能为空"
        );
    }

    #[test]
    fn wrong_check_digit_is_card_checksum() {
        let n = format_card_no(2026, 12345);
        let last = n.as_bytes()[14] - b'0';
        let bad = format!("{}{}", &n[..14], (last + 1) % 10);
        let e = parse_card_no(&bad).unwrap_err();
        assert!(matches!(e, RuleError::CardChecksum(_)));
        assert_eq!(e.code(), "CARD_CHECKSUM");
        assert_eq!(
            e.to_string(),
            format!("追溯卡号校验位错误：{bad} 不是有效的卡号，请核对后重新输入")
        );
    }

    proptest! {
        #[test]
        fn roundtrip(season in 2000i32..=2099, serial in 0u64..=MAX_SERIAL) {
            let n = format_card_no(season, serial);
            prop_assert_eq!(n.len(), CARD_NO_LEN);
            prop_assert_eq!(parse_card_no(&n), Ok((season, serial)));
        }

        #[test]
        fn every_single_digit_substitution_is_detected(
            season in 2000i32..=2099, serial in 0u64..=MAX_SERIAL,
        ) {
            let n = format_card_no(season, serial);
            for pos in 2..CARD_NO_LEN {
                for d in b'0'..=b'9' {
                    let mut b = n.clone().into_bytes();
                    if b[pos] == d { continue; }
                    b[pos] = d;
                    let typo = String::from_utf8(b).unwrap();
                    prop_assert!(
                        matches!(parse_card_no(&typo), Err(RuleError::CardChecksum(_))),
                        "{} accepted", typo
                    );
                }
            }
        }

        #[test]
        fn every_adjacent_transposition_is_detected(
            season in 2000i32..=2099, serial in 0u64..=MAX_SERIAL,
        ) {
            let n = format_card_no(season, serial);
            for pos in 2..CARD_NO_LEN - 1 {
                let mut b = n.clone().into_bytes();
                if b[pos] == b[pos + 1] { continue; }
                b.swap(pos, pos + 1);
                let typo = String::from_utf8(b).unwrap();
                prop_assert!(
                    matches!(parse_card_no(&typo), Err(RuleError::CardChecksum(_))),
                    "{} accepted", typo
                );
            }
        }
    }
}
