//! Processing on the platform: online VI lines and uploaded IV/V files, both
//! through the one domain state machine ([`cotton_domain::line`]).
//!
//! Every operation is a *record* (scan, delay entered, bale pressed, card ended,
//! reprocess) with a per-line sequence number. A record is applied in one
//! transaction with everything it changes: the line state, the cards' processed
//! weight and status, the bale, the unit's processing flag, the journal entry and
//! the events. Uploads are idempotent by sequence number; two requests racing on
//! one line are serialised by an optimistic version on the line state (the loser
//! retries on the fresh state).


use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use cotton_domain::card_no::normalize_card_no;
use cotton_domain::line::{Applied, CardBook, CardProgress, Conditioning, LineState, ScanOutcome};
use cotton_domain::orgs::Role;
use cotton_domain::processing::{CollectorModel, ProcessingEvent, ProcessingRecord};
use rust_decimal::Decimal;

use crate::auth::Principal;
use crate::cards::CardRow;
use crate::db::{DbConn, Dec};
use crate::error::{AppError, AppResult};
use crate::events::{Event, EventTopic};
use crate::lines::LineRow;
use crate::state::AppState;
use crate::tx::{Tx, retry_contended};
use cotton_store::processing::{self as store, INSERT_CHUNK};

pub use cotton_store::processing::{BaleRow, BalesByCard, CardsByNo, NewBale, NewLineRecord};

/// Writes held back until [`Work::save`] (upload files): one multi-row INSERT
/// per chunk instead of two statements per record, and the file's barcodes
/// checked against the database once instead of once per bale.
#[derive(Default)]
struct Deferred {
    /// Barcodes already pressed: in the database, or earlier in this file.
    taken: std::collections::HashSet<String>,
    bales: Vec<NewBale>,
    records: Vec<NewLineRecord>,
}

/// The state a line operation works on, loaded at the start of its transaction.
struct Work {
    line: LineRow,
    cond: Conditioning,
    max_cards: usize,
    state: LineState,
    version: i64,
    last_seq: i64,
    book: CardBook,
    cards: HashMap<String, CardRow>,
    dirty: BTreeSet<String>,
    units_processing: BTreeSet<i64>,
    events: Vec<Event>,
    verifier: Option<String>,
    /// unit id → its regiment, for the events' region.
    regiments: HashMap<i64, i64>,
    /// Set for upload files; online operations write as they go.
    deferred: Option<Deferred>,
}

/// What one applied record produced.
pub enum Outcome {
    Scanned(Vec<(String, ScanOutcome)>),
    Bale { bale: BaleRow, finished: Option<String> },
    /// A bale of an upload file, inserted when the work is saved.
    BaleDeferred,
    Nothing,
}

/// What a line operation reports when another request on the same line won the
/// race (it moved the line on, or took the same sequence number or barcode first):
/// the unit of work runs again on the fresh state, and this is the CONFLICT
/// message if it keeps losing.
const LINE_BUSY: &str = "生产线正忙，请稍后重试";

async fn load_cards(conn: &mut DbConn, enterprise_id: i64, card_nos: &[String]) -> AppResult<Vec<CardRow>> {
    Ok(store::cards_by_no(conn, enterprise_id, card_nos).await?)
}

impl Work {
    async fn load(conn: &mut DbConn, line: LineRow) -> AppResult<Work> {
        let now = Utc::now().naive_utc();
        let line_id = line.id;
        let initial = serde_json::to_string(&LineState::default()).expect("serialises");
        store::ensure_line_state(conn, line_id, &initial, now).await?;
        let store::LineStateRow { state: json, version, last_seq } = store::line_state(conn, line_id).await?;
        let line_state: LineState = serde_json::from_str(&json).map_err(AppError::internal)?;
        // Conditioning standards: the season of the card at the head of the queue,
        // else the current season (a cotton season runs from autumn into spring).
        let head_season = match line_state.queue.first() {
            Some(q) => load_cards(conn, line.enterprise_id, std::slice::from_ref(&q.card_no)).await?.first().map(|c| c.season),
            None => None,
        };
        let season_rules = crate::season::rules_for(conn, head_season.unwrap_or_else(crate::season::current_season)).await?;
        let verifier = store::find_verifier_username(conn, line.enterprise_id).await?;
        let mut work = Work {
            cond: Conditioning {
                standard_moisture_pct: season_rules.standard_moisture_pct,
                standard_trash_pct: season_rules.standard_trash_pct,
            },
            max_cards: season_rules.cards_per_scan(line.model()),
            line,
            state: line_state,
            version,
            last_seq,
            book: CardBook::new(),
            cards: HashMap::new(),
            dirty: BTreeSet::new(),
            units_processing: BTreeSet::new(),
            events: Vec::new(),
            verifier,
            regiments: HashMap::new(),
            deferred: None,
        };
        let queued: Vec<String> = work.state.queue.iter().map(|q| q.card_no.clone()).collect();
        work.know(conn, &queued).await?;
        Ok(work)
    }

    /// Makes the line know these cards (the enterprise's cards with those numbers);
    /// numbers that are not its cards stay unknown (→ NOT_FOUND).
    async fn know(&mut self, conn: &mut DbConn, card_nos: &[String]) -> AppResult<()> {
        let missing: Vec<String> = card_nos.iter().filter(|n| !self.cards.contains_key(*n)).cloned().collect();
        if missing.is_empty() {
            return Ok(());
        }
        let loaded = load_cards(conn, self.line.enterprise_id, &missing).await?;
        let units: Vec<i64> = loaded.iter().map(|c| c.unit_id).filter(|u| !self.regiments.contains_key(u)).collect();
        if !units.is_empty() {
            let pairs = store::unit_regiments(conn, &units).await?;
            self.regiments.extend(pairs);
        }
        for card in loaded {
            self.book.insert(
                card.card_no.clone(),
                CardProgress { target_kg: card.target_lint_kg.0, processed_kg: card.processed_lint_kg.0, finished_by: card.finish_kind() },
            );
            self.cards.insert(card.card_no.clone(), card);
        }
        Ok(())
    }

    /// Switches to deferred writes for these records (an upload file): their
    /// barcodes already pressed and the cards they mention, each in one query.
    async fn defer(&mut self, conn: &mut DbConn, records: &[ProcessingRecord]) -> AppResult<()> {
        let mut barcodes = Vec::new();
        let mut mentioned = BTreeSet::new();
        for r in records.iter().filter(|r| r.seq as i64 > self.last_seq) {
            match &r.event {
                ProcessingEvent::BalePressed { barcode, .. } => barcodes.push(barcode.clone()),
                ProcessingEvent::Scan { card_nos } => mentioned.extend(card_nos.iter().cloned()),
                ProcessingEvent::DelayEntered { card_no, .. } | ProcessingEvent::Reprocess { card_no, .. } => {
                    mentioned.insert(card_no.clone());
                }
                _ => {}
            }
        }
        let taken: std::collections::HashSet<String> = store::taken_barcodes(conn, &barcodes).await?.into_iter().collect();
        let mentioned: Vec<String> = mentioned.into_iter().collect();
        for chunk in mentioned.chunks(INSERT_CHUNK) {
            self.know(conn, chunk).await?;
        }
        self.deferred = Some(Deferred { taken, ..Deferred::default() });
        Ok(())
    }

    fn event(&self, topic: EventTopic, card_no: &str) -> Event {
        let mut e = Event::new(topic);
        e.enterprise_id = Some(self.line.enterprise_id);
        e.card_no = Some(card_no.to_string());
        let unit = self.cards.get(card_no).map(|c| c.unit_id);
        e.unit_id = unit;
        e.region_id = unit.and_then(|u| self.regiments.get(&u).copied());
        e
    }

    /// Applies one record. Rule violations leave the work unchanged.
    async fn apply(&mut self, conn: &mut DbConn, record: &ProcessingRecord, source: &str) -> AppResult<Outcome> {
        let mentioned: Vec<String> = match &record.event {
            ProcessingEvent::Scan { card_nos } => card_nos.clone(),
            ProcessingEvent::DelayEntered { card_no, .. } | ProcessingEvent::Reprocess { card_no, .. } => vec![card_no.clone()],
            _ => vec![],
        };
        self.know(conn, &mentioned).await?;
        if let ProcessingEvent::Reprocess { verifier, .. } = &record.event {
            if self.verifier.as_deref() != Some(verifier.as_str()) {
                return Err(AppError::Forbidden(format!("“{verifier}”不是本企业的校验账号")));
            }
        }
        let pressed = if let ProcessingEvent::BalePressed { barcode, .. } = &record.event {
            let exists = match &self.deferred {
                Some(d) => d.taken.contains(barcode),
                None => store::count_barcode(conn, barcode).await? > 0,
            };
            if exists {
                return Err(AppError::Conflict(format!("棉包条码 {barcode} 已经记录过")));
            }
            true
        } else {
            false
        };
        let mut next = self.state.clone();
        let mut book = self.book.clone();
        let applied = next.apply(&mut book, &record.event, &self.cond, self.max_cards)?;
        self.state = next;
        self.book = book;
        let outcome = match applied {
            Applied::Scanned(outcomes) => {
                let ProcessingEvent::Scan { card_nos } = &record.event else { unreachable!() };
                Outcome::Scanned(card_nos.iter().cloned().zip(outcomes).collect())
            }
            Applied::Bale(o) if pressed => {
                let ProcessingEvent::BalePressed { barcode, net_kg, moisture_pct, .. } = &record.event else { unreachable!() };
                let card = o.card_no.as_ref().and_then(|no| self.cards.get(no));
                let new_bale = NewBale {
                    barcode: barcode.clone(),
                    enterprise_id: self.line.enterprise_id,
                    line_id: self.line.id,
                    card_id: card.map(|c| c.id),
                    net_kg: Dec(*net_kg),
                    moisture_pct: moisture_pct.map(Dec),
                    conditioned_kg: Dec(o.conditioned_kg),
                    traced: card.is_some(),
                    delay: o.delay,
                    pressed_at: record.at.naive_utc(),
                    seq: record.seq as i64,
                };
                if let Some(card) = card {
                    self.dirty.insert(card.card_no.clone());
                    self.units_processing.insert(card.unit_id);
                    let mut e = self.event(EventTopic::BaleLinked, &card.card_no);
                    e.bale_barcode = Some(barcode.clone());
                    self.events.push(e);
                }
                if let Some(done) = &o.finished {
                    self.events.push(self.event(EventTopic::CardFinished, done));
                }
                match &mut self.deferred {
                    Some(d) => {
                        d.taken.insert(barcode.clone());
                        d.bales.push(new_bale);
                        Outcome::BaleDeferred
                    }
                    None => {
                        let bale = store::insert_bale(conn, &new_bale).await?;
                        Outcome::Bale { bale, finished: o.finished }
                    }
                }
            }
            Applied::Bale(_) => Outcome::Nothing,
            Applied::Ended(card_no) => {
                // 结束 finishes the card as surely as its target does: the same event.
                self.events.push(self.event(EventTopic::CardFinished, &card_no));
                self.dirty.insert(card_no);
                Outcome::Nothing
            }
            Applied::Nothing => {
                if let ProcessingEvent::Reprocess { card_no, .. } = &record.event {
                    self.dirty.insert(card_no.clone());
                }
                Outcome::Nothing
            }
        };
        let new_record = NewLineRecord {
            line_id: self.line.id,
            seq: record.seq as i64,
            kind: record.event.type_name().to_string(),
            payload: serde_json::to_string(record).map_err(AppError::internal)?,
            at: record.at.naive_utc(),
            source: source.to_string(),
        };
        match &mut self.deferred {
            Some(d) => d.records.push(new_record),
            None => store::insert_line_record(conn, &new_record).await?,
        }
        self.last_seq = self.last_seq.max(record.seq as i64);
        Ok(outcome)
    }

    /// Writes the cards, units and line state and emits the events as part of
    /// `tx`; fails with [`AppError::Contended`] when another request moved the
    /// line on meanwhile.
    async fn save(&mut self, tx: &mut Tx<'_>) -> AppResult<()> {
        let conn = tx.conn();
        if let Some(d) = &mut self.deferred {
            store::insert_batches(conn, std::mem::take(&mut d.bales), std::mem::take(&mut d.records)).await?;
        }
        for no in std::mem::take(&mut self.dirty) {
            let (Some(card), Some(progress)) = (self.cards.get_mut(&no), self.book.get(&no)) else { continue };
            let queued = self.state.queue.iter().any(|q| q.card_no == no);
            let finished_by = progress.finished_by.map(|k| k.as_str());
            let status = if progress.finished() {
                "FINISHED"
            } else if progress.processed_kg > Decimal::ZERO || queued {
                "PROCESSING"
            } else {
                card.status.as_str()
            }
            .to_string();
            let id = card.id;
            let processed = Dec(progress.processed_kg);
            *card = store::update_card_progress(conn, id, processed, &status, finished_by).await?;
        }
        let units: Vec<i64> = std::mem::take(&mut self.units_processing).into_iter().collect();
        if !units.is_empty() {
            // quality_rev: the units' bale aggregate changed (quality::AggregateCache).
            store::mark_units_processing(conn, &units).await?;
        }
        let json = serde_json::to_string(&self.state).map_err(AppError::internal)?;
        let (line_id, version, last_seq) = (self.line.id, self.version, self.last_seq);
        let n = store::save_line_state(conn, line_id, version, &json, last_seq, Utc::now().naive_utc()).await?;
        if n == 0 {
            return Err(AppError::Contended(LINE_BUSY.into()));
        }
        self.version += 1;
        tx.emit_all(std::mem::take(&mut self.events)).await?;
        Ok(())
    }
}

/// Ends one attempt's unit of work: a unique violation there means a concurrent
/// request on this line took the same sequence number (or barcode) first, a race
/// to run again on the fresh state, where the pre-checks give the precise answer.
async fn finish_attempt<T>(tx: Tx<'_>, outcome: AppResult<T>) -> AppResult<T> {
    tx.finish(outcome).await.map_err(|e| if e.is_unique_violation() { AppError::Contended(LINE_BUSY.into()) } else { e })
}

/// One attempt at an online operation: the line's work loaded, the record
/// applied and saved in one unit of work.
async fn online_attempt(state: &AppState, line: &LineRow, event: &ProcessingEvent, at: DateTime<Utc>) -> AppResult<(Outcome, LineState)> {
    let mut conn = state.db.write().await?;
    let mut tx = Tx::begin(state, &mut conn).await?;
    let outcome = async {
        let mut work = Work::load(tx.conn(), line.clone()).await?;
        let record = ProcessingRecord { seq: (work.last_seq + 1) as u64, at, event: event.clone() };
        let value = work.apply(tx.conn(), &record, "ONLINE").await?;
        work.save(&mut tx).await?;
        Ok((value, work.state))
    }
    .await;
    finish_attempt(tx, outcome).await
}

/// An online (VI) line of the caller's enterprise.
pub async fn online_line(state: &AppState, me: &Principal, line_id: crate::ids::LineId) -> AppResult<LineRow> {
    let line_id = crate::ids::TypedId::get(line_id);
    let mut conn = state.db.read().await?;
    let line = crate::lines::require_own_line(&mut conn, me, line_id).await?;
    if line.model() != CollectorModel::Vi {
        return Err(AppError::Validation(format!(
            "{}型采集器离线加工，请通过加工数据文件上传；在线操作仅用于VI型生产线",
            line.model().as_str()
        )));
    }
    Ok(line)
}

/// Applies one online operation as the line's next record.
/// A concurrent request on the same line makes it run again on the fresh state.
pub async fn run_online(state: &AppState, line: &LineRow, event: ProcessingEvent, at: DateTime<Utc>) -> AppResult<(Outcome, LineState)> {
    let event = &event;
    retry_contended(|| online_attempt(state, line, event, at)).await
}

/// Normalises typed card numbers; a wrong check digit is CARD_CHECKSUM.
pub fn normalize_all(card_nos: &[String]) -> AppResult<Vec<String>> {
    card_nos.iter().map(|c| normalize_card_no(c).map_err(AppError::from)).collect()
}

pub async fn check_verifier(state: &AppState, enterprise_id: i64, username: &str, password: &str) -> AppResult<String> {
    let mut conn = state.db.read().await?;
    let row = store::find_verifier(&mut conn, enterprise_id).await?;
    let Some((name, hash)) = row else {
        return Err(AppError::Validation("本企业尚未设置校验账号，请先设置".into()));
    };
    if name != username.trim() || !crate::auth::verify_password(password.to_string(), hash).await {
        return Err(AppError::Forbidden("校验账号或密码错误，不能再加工".into()));
    }
    Ok(name)
}

pub async fn set_verifier(state: &AppState, me: &Principal, username: &str, password: &str) -> AppResult<()> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let username = cotton_domain::orgs::validate_username(username)?;
    cotton_domain::orgs::validate_password(password)?;
    let hash = crate::auth::hash_password(password.to_string()).await?;
    let now = Utc::now().naive_utc();
    let mut conn = state.db.write().await?;
    store::upsert_verifier(&mut conn, enterprise_id, &username, &hash, now).await?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct UploadSummary {
    pub accepted: i32,
    pub duplicates: i32,
    pub rejected: i32,
    pub errors: Vec<String>,
}

/// Applies an uploaded IV/V file: verified with the line's key by its collector
/// plugin, then every record not applied before, in sequence order.
pub async fn upload_file(state: &AppState, me: &Principal, line_id: crate::ids::LineId, bytes: &[u8]) -> AppResult<UploadSummary> {
    let line_id = crate::ids::TypedId::get(line_id);
    let line = {
        let mut conn = state.db.read().await?;
        crate::lines::require_own_line(&mut conn, me, line_id).await?
    };
    if line.model() == CollectorModel::Vi {
        return Err(AppError::Validation("VI型生产线在线上传加工数据，无需上传文件".into()));
    }
    let collector = state.plugins.require_collector(line.model()).map_err(AppError::from)?;
    let key = crate::lines::signing_key(&line)?.verifying_key();
    let upload = collector.read_upload_file(&line.line_ref(), bytes, &key).map_err(AppError::from)?;
    if upload.model != line.model() {
        return Err(AppError::BadFile(format!(
            "文件来自{}型采集器，该生产线为{}型",
            upload.model.as_str(),
            line.model().as_str()
        )));
    }
    let mut records = upload.records;
    records.sort_by_key(|r| r.seq);
    let records = &records;
    retry_contended(|| upload_attempt(state, &line, records)).await
}

/// One attempt at applying an upload file's records in one unit of work.
async fn upload_attempt(state: &AppState, line: &LineRow, records: &[ProcessingRecord]) -> AppResult<UploadSummary> {
    let mut conn = state.db.write().await?;
    let mut tx = Tx::begin(state, &mut conn).await?;
    let outcome = async {
        let mut work = Work::load(tx.conn(), line.clone()).await?;
        let mut summary = UploadSummary::default();
        work.defer(tx.conn(), records).await?;
        for record in records {
            if (record.seq as i64) <= work.last_seq {
                summary.duplicates += 1;
                continue;
            }
            match work.apply(tx.conn(), record, "FILE").await {
                Ok(_) => summary.accepted += 1,
                Err(e @ (AppError::Database(_) | AppError::Internal(_) | AppError::Unavailable(_))) => return Err(e),
                Err(e) => {
                    summary.rejected += 1;
                    summary.errors.push(format!("第{}条记录（{}）：{}", record.seq, record.event.type_name(), e.message()));
                    // A refused record still counts as seen: a re-upload skips it.
                    work.last_seq = work.last_seq.max(record.seq as i64);
                }
            }
        }
        work.save(&mut tx).await?;
        Ok(summary)
    }
    .await;
    finish_attempt(tx, outcome).await
}

/// The line's queue as last stored (empty for a line that never ran).
pub async fn stored_line_state(state: &AppState, line_id: i64) -> AppResult<LineState> {
    let mut conn = state.db.read().await?;
    match store::line_state_json(&mut conn, line_id).await? {
        Some(j) => serde_json::from_str(&j).map_err(AppError::internal),
        None => Ok(Default::default()),
    }
}

/// `bale`: a bale by barcode — traced, delay and untraced alike — for its
/// enterprise, the regiment of its card's unit, and the admin; `None` when no
/// bale has that barcode.
pub async fn bale(state: &AppState, me: &Principal, barcode: &str) -> AppResult<Option<BaleRow>> {
    if !matches!(me.role, Role::PlatformAdmin | Role::Enterprise | Role::Regiment) {
        return Err(AppError::Forbidden("只有加工企业、团场和平台管理员可以查询棉包".into()));
    }
    let barcode = barcode.trim().to_string();
    cotton_domain::processing::validate_barcode(&barcode)?;
    let mut conn = state.db.read().await?;
    let row: Option<BaleRow> = store::find_bale_by_barcode(&mut conn, &barcode).await?;
    let Some(row) = row else { return Ok(None) };
    let allowed = match &me.scope {
        crate::auth::Scope::Admin => true,
        crate::auth::Scope::Enterprise { enterprise_id, .. } => *enterprise_id == row.enterprise_id,
        crate::auth::Scope::Regiment { regiment_id } => match row.card_id {
            Some(card_id) => store::card_regiment(&mut conn, card_id).await? == Some(*regiment_id),
            // An untraced bale belongs to no unit, so to no regiment.
            None => false,
        },
        _ => false,
    };
    if !allowed {
        return Err(AppError::Forbidden("无权查看该棉包".into()));
    }
    Ok(Some(row))
}

/// `lineState`: the queue of one of `me`'s lines.
pub async fn own_line_state(state: &AppState, me: &Principal, line_id: crate::ids::LineId) -> AppResult<(LineRow, LineState)> {
    let line_id = crate::ids::TypedId::get(line_id);
    let line = {
        let mut conn = state.db.read().await?;
        crate::lines::require_own_line(&mut conn, me, line_id).await?
    };
    let queue = stored_line_state(state, line.id).await?;
    Ok((line, queue))
}

// The VI line's operations (the online API): each checks the line is one of
// `me`'s online lines first, then its own input, then applies one event.

/// `scanCards`: up to the season's cards per scan, judged in order.
pub async fn scan_cards(state: &AppState, me: &Principal, line_id: crate::ids::LineId, card_nos: &[String]) -> AppResult<Vec<(String, ScanOutcome)>> {
    let line = online_line(state, me, line_id).await?;
    let card_nos = normalize_all(card_nos)?;
    match run_online(state, &line, ProcessingEvent::Scan { card_nos }, Utc::now()).await?.0 {
        Outcome::Scanned(results) => Ok(results),
        _ => Err(AppError::internal("scan without outcome")),
    }
}

/// `enterDelayBales`: the delay bale count entered for a card (queues it).
pub async fn enter_delay_bales(state: &AppState, me: &Principal, line_id: crate::ids::LineId, card_no: &str, count: i32) -> AppResult<(LineRow, LineState)> {
    let line = online_line(state, me, line_id).await?;
    if count < 0 {
        return Err(AppError::Validation("延迟包数不能为负数".into()));
    }
    let card_no = normalize_card_no(card_no)?;
    let (_, queue) = run_online(state, &line, ProcessingEvent::DelayEntered { card_no, count: count as u32 }, Utc::now()).await?;
    Ok((line, queue))
}

/// `recordBale`: a bale off the press; the bale, and the card it finished if any.
pub async fn record_bale(
    state: &AppState,
    me: &Principal,
    line_id: crate::ids::LineId,
    barcode: &str,
    net_kg: Decimal,
    moisture_pct: Option<Decimal>,
    pressed_at: DateTime<Utc>,
) -> AppResult<(LineRow, BaleRow, Option<String>, LineState)> {
    use cotton_domain::weights::{validate_moisture_pct, validate_two_places, validate_weight_kg};
    let line = online_line(state, me, line_id).await?;
    if let Some(m) = moisture_pct {
        validate_moisture_pct(m)?;
        validate_two_places(m, "回潮率")?;
    }
    validate_weight_kg(net_kg, "棉包净重")?;
    let event = ProcessingEvent::BalePressed { barcode: barcode.trim().to_string(), net_kg, moisture_pct, card_no: None };
    match run_online(state, &line, event, pressed_at).await? {
        (Outcome::Bale { bale, finished }, queue) => Ok((line, bale, finished, queue)),
        _ => Err(AppError::internal("bale without outcome")),
    }
}

/// `endCurrentCard`: "结束" — ends the head card by hand.
pub async fn end_current_card(state: &AppState, me: &Principal, line_id: crate::ids::LineId) -> AppResult<(LineRow, LineState)> {
    let line = online_line(state, me, line_id).await?;
    let (_, queue) = run_online(state, &line, ProcessingEvent::CardEnded { card_no: String::new() }, Utc::now()).await?;
    Ok((line, queue))
}

/// `reprocessCard`: a finished card processed again, with the enterprise's
/// verification account.
pub async fn reprocess_card(
    state: &AppState,
    me: &Principal,
    line_id: crate::ids::LineId,
    card_no: &str,
    verifier_username: &str,
    verifier_password: &str,
) -> AppResult<(LineRow, LineState)> {
    let line = online_line(state, me, line_id).await?;
    let card_no = normalize_card_no(card_no)?;
    let verifier = check_verifier(state, line.enterprise_id, verifier_username, verifier_password).await?;
    let (_, queue) = run_online(state, &line, ProcessingEvent::Reprocess { card_no, verifier }, Utc::now()).await?;
    Ok((line, queue))
}
