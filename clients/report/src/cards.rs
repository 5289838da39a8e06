//! The area's trace cards. The API gives a regiment no card list or card
//! counts, so the report keeps its own book of the area's cards: from the
//! `CARD_PRINTED` / `BALE_LINKED` / `CARD_FINISHED` events while connected, and,
//! on every resynchronisation, from `traceCard(cardNo)` lookups — card numbers
//! are `TC` + season + a platform-wide serial + check digit, so the report probes
//! the serials after the highest one it has seen (a card of another regiment
//! answers FORBIDDEN, which still tells the serial is taken) and re-reads the
//! status of the cards it knows.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::api::{Api, ApiError};

/// Card lookups per request (GraphQL aliases).
pub const BATCH: u64 = 50;
/// The probe stops after this many consecutive free serials.
pub const GAP: u64 = 100;

/// `TC` + 2-digit season + 10-digit serial + check digit (the domain's format).
pub fn card_no(season: i32, serial: u64) -> String {
    cotton_domain::card_no::format_card_no(season, serial)
}

/// The serial of a well-formed card number of `season`.
pub fn serial_of(card_no: &str, season: i32) -> Option<u64> {
    match cotton_domain::card_no::parse_card_no(card_no) {
        Ok((s, serial)) if s == season => Some(serial),
        _ => None,
    }
}

/// What a lookup of one serial found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    /// A card of the area, with its status.
    Ours(String),
    /// Taken by a card the caller may not see (another regiment's).
    Other,
    Free,
}

#[derive(Debug, Clone, Default)]
pub struct CardBook {
    pub season: i32,
    /// serial → status (`PRINTED`, `EXPORTED`, `PROCESSING`, `FINISHED`) of the area's cards.
    cards: BTreeMap<u64, String>,
    /// The highest serial known to be taken (by any card of the season).
    highest: u64,
}

impl CardBook {
    pub fn new(season: i32) -> CardBook {
        CardBook { season, ..CardBook::default() }
    }

    pub fn printed(&self) -> usize {
        self.cards.len()
    }

    pub fn finished(&self) -> usize {
        self.cards.values().filter(|s| *s == "FINISHED").count()
    }

    /// Applies one event of the subscription; true when it changed the book.
    pub fn apply_event(&mut self, topic: &str, card_no: Option<&str>) -> bool {
        let Some(serial) = card_no.and_then(|c| serial_of(c, self.season)) else { return false };
        let before = self.cards.get(&serial).cloned();
        let next = match topic {
            "CARD_PRINTED" => before.clone().unwrap_or_else(|| "PRINTED".into()),
            "BALE_LINKED" => match before.as_deref() {
                Some("FINISHED") => "FINISHED".into(),
                _ => "PROCESSING".into(),
            },
            "CARD_FINISHED" => "FINISHED".into(),
            _ => return false,
        };
        self.highest = self.highest.max(serial);
        self.cards.insert(serial, next.clone());
        before.as_deref() != Some(next.as_str())
    }

    async fn lookup(api: &Api, season: i32, serials: &[u64]) -> Result<Vec<(u64, Found)>, ApiError> {
        if serials.is_empty() {
            return Ok(Vec::new());
        }
        let fields: Vec<String> = serials
            .iter()
            .map(|s| format!("c{s}: traceCard(cardNo: \"{}\") {{ status }}", card_no(season, *s)))
            .collect();
        let body = api.request(&format!("query {{ {} }}", fields.join(" ")), json!({})).await?;
        let forbidden: Vec<String> = body["errors"]
            .as_array()
            .map(|errs| {
                errs.iter()
                    .filter(|e| e["extensions"]["code"] == "FORBIDDEN")
                    .filter_map(|e| e["path"][0].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(e) = body["errors"].as_array().and_then(|errs| {
            errs.iter().find(|e| e["extensions"]["code"] != "FORBIDDEN" || e["path"][0].as_str().is_none())
        }) {
            return Err(ApiError::Graphql {
                code: e["extensions"]["code"].as_str().unwrap_or("ERROR").into(),
                message: e["message"].as_str().unwrap_or("").into(),
            });
        }
        let data = &body["data"];
        Ok(serials
            .iter()
            .map(|s| {
                let key = format!("c{s}");
                let found = match data.get(&key) {
                    Some(Value::Object(card)) => Found::Ours(card["status"].as_str().unwrap_or("PRINTED").to_string()),
                    _ if forbidden.contains(&key) => Found::Other,
                    _ => Found::Free,
                };
                (*s, found)
            })
            .collect())
    }

    /// Re-reads the status of every card in the book (`all`) or of the
    /// unfinished ones, then probes the serials after the highest taken one.
    /// Returns true when the book changed.
    pub async fn resync(&mut self, api: &Api, all: bool) -> Result<bool, ApiError> {
        let before = (self.cards.clone(), self.highest);
        let known: Vec<u64> = self
            .cards
            .iter()
            .filter(|(_, st)| all || *st != "FINISHED")
            .map(|(s, _)| *s)
            .collect();
        for chunk in known.chunks(BATCH as usize) {
            for (serial, found) in Self::lookup(api, self.season, chunk).await? {
                match found {
                    Found::Ours(status) => {
                        self.cards.insert(serial, status);
                    }
                    // Gone or moved out of sight: no longer counted.
                    Found::Other | Found::Free => {
                        self.cards.remove(&serial);
                    }
                }
            }
        }
        let mut next = self.highest + 1;
        let mut free_run = 0;
        while free_run < GAP {
            let serials: Vec<u64> = (next..next + BATCH).collect();
            for (serial, found) in Self::lookup(api, self.season, &serials).await? {
                match found {
                    Found::Ours(status) => {
                        self.cards.insert(serial, status);
                        self.highest = serial;
                        free_run = 0;
                    }
                    Found::Other => {
                        self.highest = serial;
                        free_run = 0;
                    }
                    Found::Free => free_run += 1,
                }
            }
            next += BATCH;
        }
        Ok((self.cards.clone(), self.highest) != before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_round_trip() {
        // A demo card number of the server.
        assert_eq!(card_no(2026, 1), "TC2600000000011");
        assert_eq!(serial_of("TC2600000000011", 2026), Some(1));
        assert_eq!(serial_of("tc2600000000011", 2026), Some(1));
        assert_eq!(serial_of("TC2600000000012", 2026), None, "wrong check digit");
        assert_eq!(serial_of("TC2500000000011", 2026), None, "other season");
        for s in [2, 99, 1234567, 9_999_999_999] {
            assert_eq!(serial_of(&card_no(2026, s), 2026), Some(s));
        }
    }

    #[test]
    fn events_move_cards_forward() {
        let mut b = CardBook::new(2026);
        let c = card_no(2026, 7);
        assert!(b.apply_event("CARD_PRINTED", Some(&c)));
        assert_eq!((b.printed(), b.finished()), (1, 0));
        assert!(!b.apply_event("CARD_PRINTED", Some(&c)), "a repeated print changes nothing");
        assert!(b.apply_event("BALE_LINKED", Some(&c)));
        assert!(b.apply_event("CARD_FINISHED", Some(&c)));
        assert!(!b.apply_event("BALE_LINKED", Some(&c)), "a late bale event does not reopen a finished card");
        assert_eq!((b.printed(), b.finished()), (1, 1));
        assert!(b.apply_event("BALE_LINKED", Some(&card_no(2026, 9))), "a card first seen through a bale");
        assert_eq!((b.printed(), b.finished(), b.highest), (2, 1, 9));
        assert!(!b.apply_event("CARD_PRINTED", Some("TC2500000000011")));
        assert!(!b.apply_event("UNIT_CHANGED", None));
    }
}
