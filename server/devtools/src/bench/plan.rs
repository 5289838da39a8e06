//! The shape of a synthetic season at scale S, and its deterministic values.
//!
//! Scale 1.0 is the XPCC 2022–23 season: 78 regiments, 290 gins, ~96,000 growers,
//! ~8.5 million bales. The ratios (see `docs/decisions.md`):
//! - 2 plots per grower, 40–65 mu each (~105 mu per grower, ~10 million mu in all);
//! - ~64 growers per company (~19 companies per regiment); COMPANY units of 10
//!   growers (~1,050 mu, above the 500 mu minimum), a remainder joins the last unit;
//! - 4–6 weigh tickets per grower (mean 5), each one load of 11–13 t gross, 1.8–2.2 t
//!   tare (~10 t net seed cotton), lint yield 38.5–41.5 % → ~4 t lint target, so
//!   ~17.6 bales of ~227 kg per card: 96,000 × 5 × 17.6 ≈ 8.45 million bales;
//! - one card per ticket; a grower delivers to one gin of its regiment.

use rust_decimal::Decimal;

pub const XPCC_REGIMENTS: f64 = 78.0;
pub const XPCC_GINS: f64 = 290.0;
pub const XPCC_GROWERS: f64 = 96_000.0;
pub const XPCC_DIVISIONS: usize = 14;
pub const GROWERS_PER_COMPANY: usize = 64;
pub const GROWERS_PER_UNIT: usize = 10;
pub const PLOTS_PER_GROWER: usize = 2;
/// Of each enterprise's cards: the last `VI_RESERVE_PCT` % are left for the VI
/// benchmark, the `FILE_RESERVE_PCT` % before them go into not-yet-uploaded files.
pub const VI_RESERVE_PCT: usize = 5;
pub const FILE_RESERVE_PCT: usize = 10;
/// Bales per upload file (about one shift of one line).
pub const BALES_PER_FILE: usize = 1_000;

#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    pub season: i32,
    pub divisions: usize,
    pub regiments: usize,
    pub companies: usize,
    pub enterprises: usize,
    pub growers: usize,
}

impl Plan {
    pub fn new(scale: f64, seed: u64, season: i32) -> Plan {
        let regiments = ((XPCC_REGIMENTS * scale).round() as usize).max(1);
        let enterprises = ((XPCC_GINS * scale).round() as usize).max(regiments);
        let growers = ((XPCC_GROWERS * scale).round() as usize).max(GROWERS_PER_UNIT * regiments);
        let companies = (growers / GROWERS_PER_COMPANY).max(regiments).min(growers / GROWERS_PER_UNIT);
        Plan { seed, season, divisions: regiments.min(XPCC_DIVISIONS), regiments, companies, enterprises, growers }
    }

    pub fn ratios_json(&self) -> serde_json::Value {
        serde_json::json!({
            "growersPerCompany": GROWERS_PER_COMPANY,
            "growersPerUnit": GROWERS_PER_UNIT,
            "plotsPerGrower": PLOTS_PER_GROWER,
            "plotAreaMu": "40–65",
            "ticketsPerGrower": "4–6 (mean 5)",
            "ticketGrossKg": "11000–13000",
            "ticketTareKg": "1800–2200",
            "lintYieldPct": "38.5–41.5",
            "cardsPerTicket": 1,
            "baleNetKg": "220–234",
            "balesPerCard": "~17.6",
            "viReservePct": VI_RESERVE_PCT,
            "fileReservePct": FILE_RESERVE_PCT,
            "balesPerUploadFile": BALES_PER_FILE,
        })
    }

    pub fn division_of_regiment(&self, r: usize) -> usize {
        r % self.divisions
    }
    pub fn regiment_of_company(&self, c: usize) -> usize {
        c % self.regiments
    }
    pub fn regiment_of_enterprise(&self, e: usize) -> usize {
        e % self.regiments
    }
    /// Growers `[start, end)` of company `c`.
    pub fn growers_of_company(&self, c: usize) -> std::ops::Range<usize> {
        (c * self.growers / self.companies)..((c + 1) * self.growers / self.companies)
    }
    pub fn company_of_grower(&self, g: usize) -> usize {
        // Inverse of growers_of_company.
        let mut c = g * self.companies / self.growers;
        while !self.growers_of_company(c).contains(&g) {
            if self.growers_of_company(c).start > g { c -= 1 } else { c += 1 }
        }
        c
    }
    pub fn enterprises_of_regiment(&self, r: usize) -> Vec<usize> {
        (0..self.enterprises).filter(|e| self.regiment_of_enterprise(*e) == r).collect()
    }
    /// The gin a grower delivers to: one of its regiment's.
    pub fn enterprise_of_grower(&self, g: usize) -> usize {
        let r = self.regiment_of_company(self.company_of_grower(g));
        let list = self.enterprises_of_regiment(r);
        list[(self.rand(1, g as u64) % list.len() as u64) as usize]
    }
    /// Unit groups of company `c`: chunks of GROWERS_PER_UNIT growers, a short
    /// remainder merged into the last chunk.
    pub fn units_of_company(&self, c: usize) -> Vec<std::ops::Range<usize>> {
        let r = self.growers_of_company(c);
        let mut out = Vec::new();
        let mut s = r.start;
        while s < r.end {
            let e = if r.end - s < 2 * GROWERS_PER_UNIT { r.end } else { s + GROWERS_PER_UNIT };
            out.push(s..e);
            s = e;
        }
        out
    }
    pub fn tickets_of_grower(&self, g: usize) -> usize {
        4 + (self.rand(2, g as u64) % 3) as usize
    }

    /// A deterministic pseudo-random number for (stream, index) — splitmix64.
    pub fn rand(&self, stream: u64, index: u64) -> u64 {
        let mut z = self.seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A decimal in [lo, lo + span) with `dp` decimal places, for (stream, index).
    pub fn dec(&self, stream: u64, index: u64, lo: i64, span: i64, dp: u32) -> Decimal {
        let steps = span * 10i64.pow(dp);
        Decimal::new(lo * 10i64.pow(dp) + (self.rand(stream, index) % steps as u64) as i64, dp)
    }
}

/// Streams of [`Plan::rand`].
pub mod stream {
    pub const PLOT_AREA: u64 = 10;
    pub const GROSS: u64 = 11;
    pub const TARE: u64 = 12;
    pub const MOISTURE: u64 = 13;
    pub const YIELD: u64 = 14;
    pub const MODULES: u64 = 15;
    pub const BALE_NET: u64 = 16;
    pub const BALE_MOISTURE: u64 = 17;
    pub const LENGTH: u64 = 20;
    pub const STRENGTH: u64 = 21;
    pub const MIC: u64 = 22;
    pub const UNIFORMITY: u64 = 23;
    pub const TRASH: u64 = 24;
    pub const INSP_MOISTURE: u64 = 25;
    pub const COLOR: u64 = 26;
}

/// A valid 18-digit ID number for grower `g` (ISO 7064 MOD 11-2 check character):
/// region 659001, a birth date from 1950-01-01 on (one per 900 growers), sequence.
pub fn id_number(g: usize) -> String {
    let date = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).expect("date") + chrono::Duration::days((g / 900) as i64);
    let body = format!("659001{}{:03}", date.format("%Y%m%d"), 100 + g % 900);
    let bytes: [u8; 17] = body.as_bytes().try_into().expect("17 digits");
    format!("{body}{}", cotton_service::domain::identity::id_check_char(&bytes))
}

/// Mobile of grower `g`: 137 + 8 digits.
pub fn phone(g: usize) -> String {
    format!("137{g:08}")
}

pub fn plot_code(g: usize, p: usize) -> String {
    format!("P{g:06}-{p}")
}

/// The grower index encoded in a plot code.
pub fn grower_of_plot_code(code: &str) -> Option<usize> {
    code.strip_prefix('P')?.split('-').next()?.parse().ok()
}

pub fn ticket_no(g: usize, t: usize) -> String {
    format!("S{g:06}-{t}")
}

const SURNAMES: [&str; 12] = ["张", "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴", "马", "艾"];
const GIVEN: [&str; 10] = ["建国", "秀英", "志强", "桂兰", "德明", "玉梅", "新民", "红霞", "卫东", "海燕"];

pub fn grower_name(g: usize) -> String {
    format!("{}{}", SURNAMES[g % 12], GIVEN[(g / 12) % 10])
}
