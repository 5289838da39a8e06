//! Code 128 (ISO/IEC 15417) for printable ASCII: code set B, switching to code
//! set C for a trailing run of an even number (≥ 4) of digits, as in card
//! numbers (`TC2` in B, then `600000123452` in C).

/// Bar/space widths (in modules) of symbol values 0–106; 106 is the stop
/// pattern (with its final 2-module bar).
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

/// The symbol values of `data` including start, check and stop, or `None` when
/// `data` is empty or has a character outside ASCII 32–126.
pub fn encode(data: &str) -> Option<Vec<u8>> {
    let b = data.as_bytes();
    if b.is_empty() || !b.iter().all(|c| (32..=126).contains(c)) {
        return None;
    }
    let digits_from = |i: usize| b[i..].iter().all(u8::is_ascii_digit);
    let mut values = Vec::with_capacity(b.len() + 4);
    let mut i = 0;
    if digits_from(0) && b.len() % 2 == 0 {
        values.push(START_C);
    } else {
        values.push(START_B);
        while i < b.len() {
            let rest = b.len() - i;
            if rest >= 4 && rest % 2 == 0 && digits_from(i) {
                values.push(CODE_C);
                break;
            }
            values.push(b[i] - 32);
            i += 1;
        }
    }
    while i < b.len() {
        values.push((b[i] - b'0') * 10 + (b[i + 1] - b'0'));
        i += 2;
    }
    let check = values
        .iter()
        .enumerate()
        .fold(0u32, |acc, (pos, &v)| acc + u32::from(v) * (pos.max(1) as u32))
        % 103;
    values.push(check as u8);
    values.push(STOP);
    Some(values)
}

/// The module widths (bar, space, bar, …, ending with a bar) of `data`.
pub fn widths(data: &str) -> Option<Vec<u8>> {
    Some(
        encode(data)?
            .into_iter()
            .flat_map(|v| PATTERNS[usize::from(v)].bytes().map(|w| w - b'0'))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads bars back: the inverse of [`widths`], checking start, check digit and stop.
    fn decode(widths: &[u8]) -> Option<String> {
        let body = widths.len().checked_sub(7)?;
        if body % 6 != 0 || PATTERNS[106].bytes().map(|w| w - b'0').collect::<Vec<_>>() != widths[body..] {
            return None;
        }
        let values: Vec<u8> = widths[..body]
            .chunks(6)
            .map(|c| {
                let s: String = c.iter().map(|w| char::from(b'0' + w)).collect();
                PATTERNS[..106].iter().position(|p| *p == s).map(|p| p as u8)
            })
            .collect::<Option<_>>()?;
        let (check, data) = values.split_last()?;
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
        let v = encode("TC2600000123452").unwrap();
        // start B, T, C, 2, code C, six digit pairs, check, stop
        assert_eq!(v.len(), 13);
        assert_eq!(&v[..5], &[START_B, b'T' - 32, b'C' - 32, b'2' - 32, CODE_C]);
        assert_eq!(&v[5..11], &[60, 0, 0, 12, 34, 52]);
        assert_eq!(widths("TC2600000123452").unwrap().iter().map(|&w| u32::from(w)).sum::<u32>(), 12 * 11 + 13);
        // "PJJ123C" = 104 48 42 42 17 18 19 35; check (104 + 48·1 + 42·2 + 42·3 + 17·4 + 18·5 + 19·6 + 35·7) mod 103 = 55.
        let v = encode("PJJ123C").unwrap();
        assert_eq!(&v[..8], &[104, 48, 42, 42, 17, 18, 19, 35]);
        assert_eq!(v[8], 55);
    }

    #[test]
    fn round_trips() {
        for s in ["TC2600000123452", "TC2600000000011", "1234", "12", "A", "abc 123 ~!", "9876543210", "X12345"] {
            assert_eq!(decode(&widths(s).unwrap()).as_deref(), Some(s), "{s}");
        }
        assert!(encode("").is_none());
        assert!(encode("棉").is_none());
        assert!(encode("a\nb").is_none());
    }
}
