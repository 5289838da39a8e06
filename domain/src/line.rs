//! The gin line's state machine (rules §8, manual §2.4), written once and used by
//! the collector client (IV/V, offline), the server's online VI lines, and the
//! server when it applies an uploaded file.
//!
//! Per line: a queue of cards (the head is being processed, each with the delay
//! bale count entered for it), and whether the last pressed bale took part in
//! tracing. What the line knows of each card (target, processed weight,
//! finished) is a [`CardBook`] the caller keeps: the device's local database, or
//! the platform's cards.
//!
//! Scanning judges each card in order:
//! 1. unknown → [`ScanOutcome::NotFound`] — `当前追溯卡号不存在，请从客户端导入信息。`
//! 2. finished → [`ScanOutcome::Finished`] — `扫描追溯卡号已经结束，无法使用`
//! 3. the last pressed bale did not take part in tracing → [`ScanOutcome::NeedDelay`]
//!    — `请企业输入当前加工需要延迟的包数`; the operator then enters the count
//!    ([`LineState::enter_delay`]), which queues the card with it;
//! 4. the card is the head → [`ScanOutcome::InProgress`] — `扫描追溯卡号正在加工，请勿扫描`;
//!    otherwise it joins the end of the queue ([`ScanOutcome::Queued`], or
//!    [`ScanOutcome::Started`] when the queue was empty).
//!
//! A pressed bale first counts against the head card's delay (not traced), then
//! goes to the head card, whose processed weight grows by the bale's conditioned
//! weight; at processed ≥ target the card finishes by itself
//! ([`FinishKind::Auto`]: never processed again, manual 第二部分 四（四）) and the
//! next card takes over. With no card, the bale is not traced. "结束" ends the
//! head card by hand ([`FinishKind::Manual`]); only such a card may be
//! re-processed, with the verification account.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::RuleError;
use crate::processing::{MAX_DELAY_BALES, ProcessingEvent};
use crate::weights::conditioned_weight;

pub const PROMPT_NOT_FOUND: &str = "当前追溯卡号不存在，请从客户端导入信息。";
pub const PROMPT_FINISHED: &str = "扫描追溯卡号已经结束，无法使用";
pub const PROMPT_NEED_DELAY: &str = "请企业输入当前加工需要延迟的包数";
pub const PROMPT_IN_PROGRESS: &str = "扫描追溯卡号正在加工，请勿扫描";

/// How one scanned card was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScanOutcome {
    NotFound,
    Finished,
    NeedDelay,
    InProgress,
    Queued,
    Started,
}

impl ScanOutcome {
    /// The operator prompt of the manual, verbatim (none for a plain queue/start).
    pub fn prompt(self) -> Option<&'static str> {
        match self {
            ScanOutcome::NotFound => Some(PROMPT_NOT_FOUND),
            ScanOutcome::Finished => Some(PROMPT_FINISHED),
            ScanOutcome::NeedDelay => Some(PROMPT_NEED_DELAY),
            ScanOutcome::InProgress => Some(PROMPT_IN_PROGRESS),
            ScanOutcome::Queued | ScanOutcome::Started => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScanOutcome::NotFound => "NOT_FOUND",
            ScanOutcome::Finished => "FINISHED",
            ScanOutcome::NeedDelay => "NEED_DELAY",
            ScanOutcome::InProgress => "IN_PROGRESS",
            ScanOutcome::Queued => "QUEUED",
            ScanOutcome::Started => "STARTED",
        }
    }
}

/// How a card finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FinishKind {
    /// Its processed weight reached the target: 系统自动判定加工完成，并且不允许再加工.
    Auto,
    /// Ended by hand (结束): re-processable with the verification account.
    Manual,
}

impl FinishKind {
    /// `"AUTO"`, `"MANUAL"` (the stored and wire form).
    pub fn as_str(self) -> &'static str {
        match self {
            FinishKind::Auto => "AUTO",
            FinishKind::Manual => "MANUAL",
        }
    }

    /// Inverse of [`FinishKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [FinishKind::Auto, FinishKind::Manual].into_iter().find(|k| k.as_str() == s)
    }
}

/// What the line knows of a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardProgress {
    /// 折皮棉公定重量, kg.
    pub target_kg: Decimal,
    /// Conditioned weight of the bales assigned so far, kg.
    pub processed_kg: Decimal,
    /// How it finished; `None` while it may still take bales.
    pub finished_by: Option<FinishKind>,
}

impl CardProgress {
    /// A card that has not finished.
    pub fn open(target_kg: Decimal, processed_kg: Decimal) -> Self {
        CardProgress { target_kg, processed_kg, finished_by: None }
    }

    pub fn finished(&self) -> bool {
        self.finished_by.is_some()
    }
}

/// The refusal of re-processing a card that finished by reaching its target.
pub fn auto_finished_refusal(card_no: &str) -> String {
    format!("追溯卡 {card_no} 已达到折皮棉公定重量，系统自动判定加工完成，不允许再加工")
}

/// The cards a line can see, by canonical card number.
pub type CardBook = BTreeMap<String, CardProgress>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedCard {
    pub card_no: String,
    /// Bales still to pass untraced before this card takes bales.
    pub delay_bales: u32,
}

/// A line's state: persisted between requests (server) or in the local database (client).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineState {
    /// Head = the card being processed.
    pub queue: Vec<QueuedCard>,
    /// Did the last pressed bale take part in tracing? (false before any bale)
    pub tracing: bool,
}

/// The standards a bale's conditioned weight is computed with (rules §5, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conditioning {
    /// R0, %.
    pub standard_moisture_pct: Decimal,
    /// Z0, %.
    pub standard_trash_pct: Decimal,
}

impl Conditioning {
    /// net × (100 − Z0)(100 + R0) / ((100 − Z0)(100 + R)): trash is unknown at the
    /// press (Z = Z0); an unknown moisture counts as the standard R0.
    pub fn bale_kg(&self, net_kg: Decimal, moisture_pct: Option<Decimal>) -> Decimal {
        conditioned_weight(
            net_kg,
            None,
            moisture_pct.unwrap_or(self.standard_moisture_pct),
            self.standard_trash_pct,
            self.standard_moisture_pct,
        )
    }
}

/// A pressed bale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PressedBale {
    pub barcode: String,
    pub net_kg: Decimal,
    pub moisture_pct: Option<Decimal>,
}

/// Where a bale went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaleOutcome {
    /// The card it was traced to; `None`: not traced (delay bale or no card).
    pub card_no: Option<String>,
    pub conditioned_kg: Decimal,
    /// It was a delay bale of the head card.
    pub delay: bool,
    /// The card this bale finished (it reached its target).
    pub finished: Option<String>,
}

impl LineState {
    pub fn head(&self) -> Option<&QueuedCard> {
        self.queue.first()
    }

    /// The head card's remaining delay.
    pub fn pending_delay(&self) -> u32 {
        self.head().map(|h| h.delay_bales).unwrap_or(0)
    }

    fn position(&self, card_no: &str) -> Option<usize> {
        self.queue.iter().position(|q| q.card_no == card_no)
    }

    /// Judges `card_nos` in order (at most `max_cards`; more is refused whole).
    pub fn scan(&mut self, book: &CardBook, card_nos: &[String], max_cards: usize) -> Result<Vec<ScanOutcome>, RuleError> {
        if card_nos.is_empty() {
            return Err(RuleError::invalid("请扫描或输入追溯卡号"));
        }
        if card_nos.len() > max_cards {
            return Err(RuleError::invalid(format!("一次最多录入{max_cards}个追溯卡号，本次为{}个", card_nos.len())));
        }
        Ok(card_nos.iter().map(|no| self.judge(book, no)).collect())
    }

    fn judge(&mut self, book: &CardBook, card_no: &str) -> ScanOutcome {
        let Some(card) = book.get(card_no) else { return ScanOutcome::NotFound };
        if card.finished() {
            return ScanOutcome::Finished;
        }
        if !self.tracing {
            return ScanOutcome::NeedDelay;
        }
        match self.position(card_no) {
            Some(0) => ScanOutcome::InProgress,
            // Already waiting in the queue: scanning it again changes nothing.
            Some(_) => ScanOutcome::Queued,
            None => {
                let started = self.queue.is_empty();
                self.queue.push(QueuedCard { card_no: card_no.to_string(), delay_bales: 0 });
                if started { ScanOutcome::Started } else { ScanOutcome::Queued }
            }
        }
    }

    /// The operator's answer to `请企业输入当前加工需要延迟的包数`: stores the count
    /// with the card and queues it (or updates it if already queued).
    pub fn enter_delay(&mut self, book: &CardBook, card_no: &str, count: u32) -> Result<(), RuleError> {
        let card = book.get(card_no).ok_or_else(|| RuleError::invalid(PROMPT_NOT_FOUND))?;
        if card.finished() {
            return Err(RuleError::invalid(PROMPT_FINISHED));
        }
        if count > MAX_DELAY_BALES {
            return Err(RuleError::invalid(format!("延迟包数不能超过{MAX_DELAY_BALES}")));
        }
        match self.position(card_no) {
            Some(i) => self.queue[i].delay_bales = count,
            None => self.queue.push(QueuedCard { card_no: card_no.to_string(), delay_bales: count }),
        }
        Ok(())
    }

    /// A bale off the press: a delay bale of the head card, a bale of the head
    /// card (which may finish), or untraced when no card is queued.
    pub fn press(&mut self, book: &mut CardBook, bale: &PressedBale, cond: &Conditioning) -> Result<BaleOutcome, RuleError> {
        crate::processing::validate_barcode(&bale.barcode)?;
        if bale.net_kg <= Decimal::ZERO {
            return Err(RuleError::invalid(format!("棉包 {} 净重必须大于0", bale.barcode)));
        }
        let conditioned_kg = cond.bale_kg(bale.net_kg, bale.moisture_pct);
        let Some(head) = self.queue.first_mut() else {
            self.tracing = false;
            return Ok(BaleOutcome { card_no: None, conditioned_kg, delay: false, finished: None });
        };
        if head.delay_bales > 0 {
            head.delay_bales -= 1;
            self.tracing = false;
            return Ok(BaleOutcome { card_no: None, conditioned_kg, delay: true, finished: None });
        }
        let card_no = head.card_no.clone();
        let card = book
            .get_mut(&card_no)
            .ok_or_else(|| RuleError::invalid(format!("队列中的追溯卡 {card_no} 不在本机数据中")))?;
        card.processed_kg += conditioned_kg;
        self.tracing = true;
        let finished = if card.processed_kg >= card.target_kg {
            card.finished_by = Some(FinishKind::Auto);
            self.queue.remove(0);
            Some(card_no.clone())
        } else {
            None
        };
        Ok(BaleOutcome { card_no: Some(card_no), conditioned_kg, delay: false, finished })
    }

    /// "结束": ends the head card by hand ([`FinishKind::Manual`]); it cannot be
    /// processed again without reprocessing. Returns the card ended.
    pub fn end_current(&mut self, book: &mut CardBook) -> Result<String, RuleError> {
        if self.queue.is_empty() {
            return Err(RuleError::invalid("当前没有正在加工的追溯卡"));
        }
        let head = self.queue.remove(0);
        if let Some(card) = book.get_mut(&head.card_no) {
            card.finished_by = Some(FinishKind::Manual);
        }
        Ok(head.card_no)
    }

    /// Re-processing a card ended by hand (after the verification account was
    /// checked by the caller): it is no longer finished and joins the end of the
    /// queue. A card that finished by reaching its target is refused.
    pub fn reprocess(&mut self, book: &mut CardBook, card_no: &str) -> Result<(), RuleError> {
        let card = book.get_mut(card_no).ok_or_else(|| RuleError::invalid(PROMPT_NOT_FOUND))?;
        match card.finished_by {
            None => return Err(RuleError::invalid(format!("追溯卡 {card_no} 尚未结束，无需再加工"))),
            Some(FinishKind::Auto) => return Err(RuleError::invalid(auto_finished_refusal(card_no))),
            Some(FinishKind::Manual) => {}
        }
        card.finished_by = None;
        if self.position(card_no).is_none() {
            self.queue.push(QueuedCard { card_no: card_no.to_string(), delay_bales: 0 });
        }
        Ok(())
    }

    /// Replays one recorded event (an uploaded file, or the client's own journal
    /// after a restart). Bales are re-decided here, not taken from the record, so
    /// the platform and the device always agree on the links. `CARD_FINISHED`
    /// records are informational (the finish follows from the bales).
    pub fn apply(&mut self, book: &mut CardBook, event: &ProcessingEvent, cond: &Conditioning, max_cards: usize) -> Result<Applied, RuleError> {
        Ok(match event {
            ProcessingEvent::Scan { card_nos } => Applied::Scanned(self.scan(book, card_nos, max_cards)?),
            ProcessingEvent::DelayEntered { card_no, count } => {
                self.enter_delay(book, card_no, *count)?;
                Applied::Nothing
            }
            ProcessingEvent::BalePressed { barcode, net_kg, moisture_pct, .. } => Applied::Bale(self.press(
                book,
                &PressedBale { barcode: barcode.clone(), net_kg: *net_kg, moisture_pct: *moisture_pct },
                cond,
            )?),
            ProcessingEvent::CardEnded { .. } => Applied::Ended(self.end_current(book)?),
            ProcessingEvent::CardFinished { .. } => Applied::Nothing,
            ProcessingEvent::Reprocess { card_no, .. } => {
                self.reprocess(book, card_no)?;
                Applied::Nothing
            }
        })
    }
}

/// What [`LineState::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Scanned(Vec<ScanOutcome>),
    Bale(BaleOutcome),
    Ended(String),
    Nothing,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    const COND: Conditioning = Conditioning { standard_moisture_pct: dec!(8.5), standard_trash_pct: dec!(2.5) };

    fn book(cards: &[(&str, Decimal)]) -> CardBook {
        cards
            .iter()
            .map(|(no, t)| (no.to_string(), CardProgress::open(*t, Decimal::ZERO)))
            .collect()
    }

    fn bale(i: u32, kg: Decimal) -> PressedBale {
        PressedBale { barcode: format!("B{i:06}"), net_kg: kg, moisture_pct: None }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn first_scan_asks_for_delay_then_bales_pass_untraced_then_trace() {
        let mut b = book(&[("A", dec!(500)), ("B", dec!(300))]);
        let mut line = LineState::default();
        assert_eq!(line.scan(&b, &s(&["A"]), 10).unwrap(), vec![ScanOutcome::NeedDelay]);
        assert_eq!(ScanOutcome::NeedDelay.prompt(), Some("请企业输入当前加工需要延迟的包数"));
        line.enter_delay(&b, "A", 2).unwrap();
        assert_eq!(line.pending_delay(), 2);
        for i in 0..2 {
            let o = line.press(&mut b, &bale(i, dec!(227)), &COND).unwrap();
            assert!(o.delay && o.card_no.is_none());
        }
        let o = line.press(&mut b, &bale(2, dec!(227)), &COND).unwrap();
        assert_eq!(o.card_no.as_deref(), Some("A"));
        assert!(line.tracing);
        // Now tracing: scanning A again is "in progress", B joins the queue.
        assert_eq!(
            line.scan(&b, &s(&["A", "B", "B"]), 10).unwrap(),
            vec![ScanOutcome::InProgress, ScanOutcome::Queued, ScanOutcome::Queued]
        );
        assert_eq!(line.queue.len(), 2);
        // A finishes at >= 500: 227 + 227 + 227 = 681 (moisture unknown: factor 1).
        let o = line.press(&mut b, &bale(3, dec!(227)), &COND).unwrap();
        assert_eq!(o.finished, None);
        let o = line.press(&mut b, &bale(4, dec!(227)), &COND).unwrap();
        assert_eq!(o.finished.as_deref(), Some("A"));
        assert_eq!(b["A"].processed_kg, dec!(681));
        assert_eq!(b["A"].finished_by, Some(FinishKind::Auto));
        assert_eq!(line.reprocess(&mut b, "A").unwrap_err().to_string(), auto_finished_refusal("A"), "an AUTO card is never re-processed");
        assert!(b["A"].finished() && line.queue.iter().all(|q| q.card_no != "A"), "the refusal changed nothing");
        assert_eq!(line.head().unwrap().card_no, "B");
        assert_eq!(line.scan(&b, &s(&["A"]), 10).unwrap(), vec![ScanOutcome::Finished]);
        assert_eq!(line.scan(&b, &s(&["X"]), 10).unwrap(), vec![ScanOutcome::NotFound]);
    }

    #[test]
    fn prompts_are_verbatim() {
        assert_eq!(ScanOutcome::NotFound.prompt(), Some("当前追溯卡号不存在，请从客户端导入信息。"));
        assert_eq!(ScanOutcome::Finished.prompt(), Some("扫描追溯卡号已经结束，无法使用"));
        assert_eq!(ScanOutcome::InProgress.prompt(), Some("扫描追溯卡号正在加工，请勿扫描"));
        assert_eq!(ScanOutcome::Queued.prompt(), None);
    }

    #[test]
    fn too_many_cards_refused_whole() {
        let b = book(&[("A", dec!(1))]);
        let mut line = LineState { tracing: true, ..Default::default() };
        let many: Vec<String> = (0..11).map(|_| "A".to_string()).collect();
        assert!(line.scan(&b, &many, 10).is_err());
        assert!(line.queue.is_empty());
        assert!(line.scan(&b, &many, 20).is_ok());
    }

    #[test]
    fn no_card_means_untraced_and_tracing_off() {
        let mut b = book(&[]);
        let mut line = LineState { tracing: true, ..Default::default() };
        let o = line.press(&mut b, &bale(1, dec!(200)), &COND).unwrap();
        assert_eq!(o.card_no, None);
        assert!(!line.tracing);
    }

    #[test]
    fn manual_end_and_reprocess() {
        let mut b = book(&[("A", dec!(1000)), ("B", dec!(1000))]);
        let mut line = LineState::default();
        line.enter_delay(&b, "A", 0).unwrap();
        line.press(&mut b, &bale(1, dec!(227)), &COND).unwrap();
        assert_eq!(line.scan(&b, &s(&["B"]), 10).unwrap(), vec![ScanOutcome::Queued]);
        assert_eq!(line.end_current(&mut b).unwrap(), "A");
        assert_eq!(b["A"].finished_by, Some(FinishKind::Manual));
        assert_eq!(line.head().unwrap().card_no, "B");
        assert_eq!(line.scan(&b, &s(&["A"]), 10).unwrap(), vec![ScanOutcome::Finished]);
        line.reprocess(&mut b, "A").unwrap();
        assert_eq!(line.queue.iter().map(|q| q.card_no.as_str()).collect::<Vec<_>>(), vec!["B", "A"]);
        assert!(line.reprocess(&mut b, "B").is_err(), "an unfinished card is not reprocessed");
        assert!(LineState::default().end_current(&mut b).is_err());
    }

    #[test]
    fn conditioned_weight_of_a_wet_bale() {
        // 227 × (100 − 2.5)(100 + 8.5) / ((100 − 2.5)(100 + 10)) = 227 × 108.5 / 110 = 223.904…
        assert_eq!(COND.bale_kg(dec!(227), Some(dec!(10))), dec!(223.90));
        assert_eq!(COND.bale_kg(dec!(227), None), dec!(227));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Scan(Vec<usize>),
        Delay(usize, u32),
        Bale(u32, Option<u32>),
        End,
        Reprocess(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            prop::collection::vec(0usize..6, 1..4).prop_map(Op::Scan),
            (0usize..6, 0u32..3).prop_map(|(c, n)| Op::Delay(c, n)),
            (150u32..260, prop::option::of(60u32..120)).prop_map(|(kg, m)| Op::Bale(kg, m)),
            Just(Op::End),
            (0usize..6).prop_map(Op::Reprocess),
        ]
    }

    proptest! {
        /// Every bale is traced to exactly one card or untraced; no finished card
        /// takes a bale; each card's processed weight is the sum of its bales.
        #[test]
        fn bales_are_accounted_for(ops in prop::collection::vec(op(), 1..200)) {
            let names = ["C0", "C1", "C2", "C3", "C4"];
            let mut b = book(&names.iter().map(|n| (*n, dec!(700))).collect::<Vec<_>>());
            let mut line = LineState::default();
            let mut per_card: BTreeMap<String, Decimal> = BTreeMap::new();
            let (mut traced, mut untraced, mut pressed) = (0u32, 0u32, 0u32);
            for (i, op) in ops.iter().enumerate() {
                match op {
                    Op::Scan(cards) => {
                        let nos: Vec<String> = cards.iter().map(|c| names.get(*c).copied().unwrap_or("UNKNOWN").to_string()).collect();
                        let out = line.scan(&b, &nos, 10).unwrap();
                        for (no, o) in nos.iter().zip(&out) {
                            if *o == ScanOutcome::Finished { prop_assert!(b[no].finished()); }
                            if *o == ScanOutcome::NotFound { prop_assert!(!b.contains_key(no)); }
                        }
                    }
                    Op::Delay(c, n) => { let _ = line.enter_delay(&b, names.get(*c).copied().unwrap_or("UNKNOWN"), *n); }
                    Op::Bale(kg, m) => {
                        pressed += 1;
                        let head_before = line.head().map(|h| h.card_no.clone());
                        if let Some(h) = &head_before { prop_assert!(!b[h].finished(), "a finished card never heads the queue"); }
                        let o = line.press(&mut b, &PressedBale {
                            barcode: format!("B{i}"), net_kg: Decimal::from(*kg), moisture_pct: m.map(|m| Decimal::new(m as i64, 1)),
                        }, &COND).unwrap();
                        match &o.card_no {
                            Some(c) => { traced += 1; *per_card.entry(c.clone()).or_default() += o.conditioned_kg; prop_assert_eq!(Some(c), head_before.as_ref()); }
                            None => untraced += 1,
                        }
                    }
                    Op::End => { let _ = line.end_current(&mut b); }
                    Op::Reprocess(c) => {
                        let name = names.get(*c).copied().unwrap_or("UNKNOWN");
                        let before = b.get(name).and_then(|p| p.finished_by);
                        let r = line.reprocess(&mut b, name);
                        prop_assert_eq!(r.is_ok(), before == Some(FinishKind::Manual), "only a card ended by hand is re-processed");
                    }
                }
                for q in &line.queue { prop_assert!(!b[&q.card_no].finished()); }
                let mut seen = std::collections::BTreeSet::new();
                for q in &line.queue { prop_assert!(seen.insert(q.card_no.clone()), "a card is queued once"); }
            }
            prop_assert_eq!(traced + untraced, pressed);
            for n in names {
                prop_assert_eq!(b[n].processed_kg, per_card.get(n).copied().unwrap_or_default());
            }
        }

        /// Replaying the recorded events reaches the same state and the same links.
        #[test]
        fn replay_is_deterministic(ops in prop::collection::vec(op(), 1..120)) {
            let names = ["C0", "C1", "C2"];
            let fresh = || book(&names.iter().map(|n| (*n, dec!(600))).collect::<Vec<_>>());
            let (mut b1, mut l1) = (fresh(), LineState::default());
            let mut journal = Vec::new();
            let mut links1 = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                let ev = match op {
                    Op::Scan(cards) => ProcessingEvent::Scan { card_nos: cards.iter().map(|c| names.get(*c).copied().unwrap_or("UNKNOWN").to_string()).collect() },
                    Op::Delay(c, n) => ProcessingEvent::DelayEntered { card_no: names.get(*c).copied().unwrap_or("UNKNOWN").to_string(), count: *n },
                    Op::Bale(kg, m) => ProcessingEvent::BalePressed { barcode: format!("B{i}"), net_kg: Decimal::from(*kg), moisture_pct: m.map(|m| Decimal::new(m as i64, 1)), card_no: None },
                    Op::End => ProcessingEvent::CardEnded { card_no: String::new() },
                    Op::Reprocess(c) => ProcessingEvent::Reprocess { card_no: names.get(*c).copied().unwrap_or("UNKNOWN").to_string(), verifier: "v".into() },
                };
                if let Ok(a) = l1.apply(&mut b1, &ev, &COND, 10) {
                    if let Applied::Bale(o) = a { links1.push(o.card_no); }
                    journal.push(ev);
                }
            }
            let (mut b2, mut l2) = (fresh(), LineState::default());
            let mut links2 = Vec::new();
            for ev in &journal {
                if let Applied::Bale(o) = l2.apply(&mut b2, ev, &COND, 10).unwrap() { links2.push(o.card_no); }
            }
            prop_assert_eq!(l1, l2);
            prop_assert_eq!(b1, b2);
            prop_assert_eq!(links1, links2);
        }
    }
}
