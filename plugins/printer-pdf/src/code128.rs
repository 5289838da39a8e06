//! Code 128 (ISO/IEC 15417) for printable ASCII, encoded by the `barcoders`
//! crate: code set B, switching to code set C for a trailing run of an even
//! number (≥ 4) of digits, as in card numbers (`TC2` in B, then
//! `600000123452` in C). `barcoders` takes the code sets as marker characters
//! (`Ɓ` = B, `Ć` = C) and does the symbol table, check symbol and stop pattern;
//! this module only picks the sets and turns its modules into bar widths.

use barcoders::sym::code128::Code128;

/// `barcoders`' marker for code set B.
const SET_B: char = 'Ɓ';
/// `barcoders`' marker for code set C.
const SET_C: char = 'Ć';

/// The input for `barcoders`: `data` with its code-set markers, or `None` when
/// `data` is empty or has a character outside ASCII 32–126.
fn with_sets(data: &str) -> Option<String> {
    let b = data.as_bytes();
    if b.is_empty() || !b.iter().all(|c| (32..=126).contains(c)) {
        return None;
    }
    let digits_from = |i: usize| b[i..].iter().all(u8::is_ascii_digit);
    if digits_from(0) && b.len() % 2 == 0 {
        return Some(format!("{SET_C}{data}"));
    }
    // The first position from which the rest is an even run of ≥ 4 digits.
    let switch = (0..b.len()).find(|&i| {
        let rest = b.len() - i;
        rest >= 4 && rest % 2 == 0 && digits_from(i)
    });
    Some(match switch {
        Some(i) => format!("{SET_B}{}{SET_C}{}", &data[..i], &data[i..]),
        None => format!("{SET_B}{data}"),
    })
}

/// The module widths (bar, space, bar, …, ending with a bar) of `data`,
/// without quiet zones; `None` when `data` cannot be encoded (empty, or a
/// character outside ASCII 32–126).
pub fn widths(data: &str) -> Option<Vec<u8>> {
    let modules = Code128::new(with_sets(data)?).ok()?.encode();
    let mut widths: Vec<u8> = Vec::new();
    let mut last = None;
    for m in modules {
        if Some(m) == last {
            *widths.last_mut().expect("a run is open") += 1;
        } else {
            widths.push(1);
            last = Some(m);
        }
    }
    // barcoders' output starts with the start symbol's bar and ends with the
    // stop pattern's final bar: an odd number of runs, bar first.
    (widths.len() % 2 == 1).then_some(widths)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bar/space widths (in modules) of symbol values 0–106 from ISO/IEC 15417;
    /// 106 is the stop pattern (with its final 2-module bar). The reference the
    /// decoder below reads `barcoders`' output with.
    const PATTERNS: [&str; 107] = [
        "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
        "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
        "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
        "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
        "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
        "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
        "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
        "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
        "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
        "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
        "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
    ];

    const START_B: u8 = 104;
    const START_C: u8 = 105;
    const CODE_C: u8 = 99;
    const STOP: u8 = 106;

    /// The symbol values (start, data, check, stop) of bar widths, or `None`
    /// when a symbol is not in the table or the stop pattern is missing.
    fn values(widths: &[u8]) -> Option<Vec<u8>> {
        let body = widths.len().checked_sub(7)?;
        if body % 6 != 0 || PATTERNS[106].bytes().map(|w| w - b'0').collect::<Vec<_>>() != widths[body..] {
            return None;
        }
        let mut values: Vec<u8> = widths[..body]
            .chunks(6)
            .map(|c| {
                let s: String = c.iter().map(|w| char::from(b'0' + w)).collect();
                PATTERNS[..106].iter().position(|p| *p == s).map(|p| p as u8)
            })
            .collect::<Option<_>>()?;
        values.push(STOP);
        Some(values)
    }

    /// Reads bars back: the inverse of [`widths`], checking start, check digit and stop.
    fn decode(widths: &[u8]) -> Option<String> {
        let values = values(widths)?;
        let (check, data) = values[..values.len() - 1].split_last()?;
        let sum: u32 = data.iter().enumerate().map(|(i, &v)| u32::from(v) * (i.max(1) as u32)).sum();
        if sum % 103 != u32::from(*check) {
            return None;
        }
        let mut out = String::new();
        let mut set_c = match data[0] {
            START_B => false,
            START_C => true,
            _ => return None,
        };
        for &v in &data[1..] {
            match (set_c, v) {
                (false, CODE_C) => set_c = true,
                (false, v) if v < 95 => out.push(char::from(v + 32)),
                (true, v) if v < 100 => out.push_str(&format!("{v:02}")),
                _ => return None,
            }
        }
        Some(out)
    }

    #[test]
    fn the_pattern_table_is_code_128() {
        for (v, p) in PATTERNS.iter().enumerate() {
            let w: Vec<u32> = p.bytes().map(|b| u32::from(b - b'0')).collect();
            let total: u32 = w.iter().sum();
            assert_eq!(total, if v == 106 { 13 } else { 11 }, "value {v}");
            // Every symbol character has an even number of bar modules.
            let bars: u32 = w.iter().step_by(2).sum();
            assert_eq!(bars % 2, 0, "value {v} bar parity");
            assert!(w.iter().all(|&x| (1..=4).contains(&x)));
        }
        let mut sorted = PATTERNS.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 107, "patterns are distinct");
    }

    #[test]
    fn card_numbers_use_set_c_for_the_digits() {
        let v = values(&widths("TC2600000123452").unwrap()).unwrap();
        // start B, T, C, 2, code C, six digit pairs, check, stop
        assert_eq!(v.len(), 13);
        assert_eq!(&v[..5], &[START_B, b'T' - 32, b'C' - 32, b'2' - 32, CODE_C]);
        assert_eq!(&v[5..11], &[60, 0, 0, 12, 34, 52]);
        assert_eq!(widths("TC2600000123452").unwrap().iter().map(|&w| u32::from(w)).sum::<u32>(), 12 * 11 + 13);
        // "PJJ123C" = 104 48 42 42 17 18 19 35; check (104 + 48·1 + 42·2 + 42·3 + 17·4 + 18·5 + 19·6 + 35·7) mod 103 = 55.
        let v = values(&widths("PJJ123C").unwrap()).unwrap();
        assert_eq!(&v[..8], &[104, 48, 42, 42, 17, 18, 19, 35]);
        assert_eq!(v[8], 55);
    }

    #[test]
    fn round_trips() {
        for s in ["TC2600000123452", "TC2600000000011", "1234", "12", "A", "abc 123 ~!", "9876543210", "X12345"] {
            assert_eq!(decode(&widths(s).unwrap()).as_deref(), Some(s), "{s}");
        }
        assert!(widths("").is_none());
        assert!(widths("棉").is_none());
        assert!(widths("a\nb").is_none());
    }

    #[test]
    fn every_printable_character_encodes_as_the_standard_says() {
        // Each character alone in set B, and every digit pair in set C, read back
        // through the ISO table: barcoders' tables are right for all of them.
        for c in ' '..='~' {
            let s = c.to_string();
            let v = values(&widths(&s).unwrap()).unwrap_or_else(|| panic!("{c:?} does not read back"));
            assert_eq!(v[..2], [START_B, c as u8 - 32], "{c:?}");
            assert_eq!(decode(&widths(&s).unwrap()).as_deref(), Some(s.as_str()));
        }
        for n in 0..100 {
            let s = format!("{n:02}");
            let v = values(&widths(&s).unwrap()).unwrap();
            assert_eq!(v[..2], [START_C, n as u8], "{s}");
        }
    }

    #[test]
    fn an_independent_decoder_reads_the_bars() {
        // The code128 crate's decoder (another implementation) reads barcoders' bars.
        for s in ["TC2600000123452", "TC2600000000011", "abc 123 ~!", "9876543210", "X12345"] {
            let w = widths(s).unwrap();
            let bars: Vec<code128::Bar> = w
                .chunks(2)
                .map(|c| code128::Bar { width: c[0], space: c.get(1).copied().unwrap_or(0) })
                .collect();
            assert_eq!(code128::decode_str(&bars).ok().as_deref(), Some(s), "{s}");
        }
    }
}
