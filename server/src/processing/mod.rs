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

pub mod graphql;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use cotton_domain::card_no::normalize_card_no;
use cotton_domain::line::{Applied, CardBook, CardProgress, Conditioning, LineState, ScanOutcome};
use cotton_domain::processing::{CollectorModel, ProcessingEvent, ProcessingRecord};
use rust_decimal::Decimal;

use crate::auth::Principal;
use crate::cards::CardRow;
use crate::db::prelude::*;
use crate::db::schema::{bales, enterprise_verifiers, line_records, line_states, trace_cards, trace_units};
use crate::db::{DbConn, Dec};
use crate::error::{AppError, AppResult};
use crate::events::{Event, EventTopic, StageEvent};
use crate::lines::LineRow;
use crate::state::AppState;

pub use cotton_store::processing::{BaleRow, NewBale, NewLineRecord};

/// Rows per multi-row INSERT: 11 bound values a bale, well under SQLite's
/// 32,766 and PostgreSQL's 65,535 parameters.
const INSERT_CHUNK: usize = 1000;

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

/// Raised inside a transaction when another request changed the line first.
const RETRY: &str = "line-state-version-conflict";

async fn load_cards(conn: &mut DbConn, enterprise_id: i64, card_nos: &[String]) -> AppResult<Vec<CardRow>> {
    let nos = card_nos.to_vec();
    Ok(db_run!(conn: {
        trace_cards::table
            .filter(trace_cards::enterprise_id.eq(enterprise_id))
            .filter(trace_cards::card_no.eq_any(&nos))
            .select(CardRow::as_select())
            .load(conn)
            .await?
    }))
}

impl Work {
    async fn load(state: &AppState, conn: &mut DbConn, line: LineRow) -> AppResult<Work> {
        let now = Utc::now().naive_utc();
        let line_id = line.id;
        db_run!(conn: {
            diesel::insert_into(line_states::table)
                .values((
                    line_states::line_id.eq(line_id),
                    line_states::state.eq(serde_json::to_string(&LineState::default()).expect("serialises")),
                    line_states::version.eq(0i64),
                    line_states::last_seq.eq(0i64),
                    line_states::updated_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        });
        let (json, version, last_seq): (String, i64, i64) = db_run!(conn: {
            line_states::table
                .find(line_id)
                .select((line_states::state, line_states::version, line_states::last_seq))
                .first(conn)
                .await?
        });
        let line_state: LineState = serde_json::from_str(&json).map_err(AppError::internal)?;
        // Conditioning standards: the season of the card at the head of the queue,
        // else the current season (a cotton season runs from autumn into spring).
        let head_season = match line_state.queue.first() {
            Some(q) => load_cards(conn, line.enterprise_id, std::slice::from_ref(&q.card_no)).await?.first().map(|c| c.season),
            None => None,
        };
        let season_rules = crate::season::rules_for(conn, head_season.unwrap_or_else(current_season)).await?;
        let verifier: Option<String> = db_run!(conn: {
            enterprise_verifiers::table
                .find(line.enterprise_id)
                .select(enterprise_verifiers::username)
                .first(conn)
                .await
                .optional()?
        });
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
        let _ = state;
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
            let pairs: Vec<(i64, i64)> = db_run!(conn: {
                trace_units::table
                    .filter(trace_units::id.eq_any(&units))
                    .select((trace_units::id, trace_units::regiment_id))
                    .load(conn)
                    .await?
            });
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
        let mut taken = std::collections::HashSet::new();
        for chunk in barcodes.chunks(INSERT_CHUNK) {
            let found: Vec<String> = db_run!(conn: {
                bales::table.filter(bales::barcode.eq_any(chunk)).select(bales::barcode).load(conn).await?
            });
            taken.extend(found);
        }
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
                None => db_run!(conn: {
                    bales::table.filter(bales::barcode.eq(barcode)).count().get_result::<i64>(conn).await?
                }) > 0,
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
                        let bale: BaleRow = db_run!(conn: {
                            diesel::insert_into(bales::table).values(&new_bale).returning(BaleRow::as_returning()).get_result(conn).await?
                        });
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
            None => db_run!(conn: {
                diesel::insert_into(line_records::table).values(&new_record).execute(conn).await?;
            }),
        }
        self.last_seq = self.last_seq.max(record.seq as i64);
        Ok(outcome)
    }

    /// Writes the cards, units and line state; fails with [`RETRY`] when another
    /// request moved the line on meanwhile.
    async fn save(&mut self, conn: &mut DbConn) -> AppResult<()> {
        if let Some(d) = &mut self.deferred {
            insert_batches(conn, std::mem::take(&mut d.bales), std::mem::take(&mut d.records)).await?;
        }
        for no in std::mem::take(&mut self.dirty) {
            let (Some(card), Some(progress)) = (self.cards.get_mut(&no), self.book.get(&no)) else { continue };
            let queued = self.state.queue.iter().any(|q| q.card_no == no);
            let finished_by = progress.finished_by.map(|k| k.as_str().to_string());
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
            let updated: CardRow = db_run!(conn: {
                diesel::update(trace_cards::table.find(id))
                    .set((
                        trace_cards::processed_lint_kg.eq(processed),
                        trace_cards::status.eq(&status),
                        trace_cards::finished_by.eq(&finished_by),
                    ))
                    .returning(CardRow::as_returning())
                    .get_result(conn)
                    .await?
            });
            *card = updated;
        }
        let units: Vec<i64> = std::mem::take(&mut self.units_processing).into_iter().collect();
        if !units.is_empty() {
            db_run!(conn: {
                diesel::update(trace_units::table.filter(trace_units::id.eq_any(&units)))
                    // quality_rev: the units' bale aggregate changed (quality::AggregateCache).
                    .set((trace_units::processing.eq(true), trace_units::quality_rev.eq(trace_units::quality_rev + 1)))
                    .execute(conn)
                    .await?;
            });
        }
        let json = serde_json::to_string(&self.state).map_err(AppError::internal)?;
        let (line_id, version, last_seq) = (self.line.id, self.version, self.last_seq);
        let n = db_run!(conn: {
            diesel::update(line_states::table.find(line_id).filter(line_states::version.eq(version)))
                .set((
                    line_states::state.eq(json),
                    line_states::version.eq(version + 1),
                    line_states::last_seq.eq(last_seq),
                    line_states::updated_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)
                .await?
        });
        if n == 0 {
            return Err(AppError::Internal(RETRY.into()));
        }
        self.version += 1;
        conn.stage_events(&self.events).await?;
        Ok(())
    }
}

/// Multi-row INSERTs of deferred bales, then their records (the order an online
/// operation writes them in). diesel-async has no multi-row INSERT for SQLite, so
/// there it runs on the wrapped synchronous connection, whose diesel has one.
async fn insert_batches(conn: &mut DbConn, new_bales: Vec<NewBale>, records: Vec<NewLineRecord>) -> AppResult<()> {
    match conn {
        DbConn::Sqlite(c) => {
            let c: &mut crate::db::SqliteConn = c;
            c.spawn_blocking(move |c| {
                use diesel::RunQueryDsl;
                for chunk in new_bales.chunks(INSERT_CHUNK) {
                    diesel::insert_into(bales::table).values(chunk).execute(c)?;
                }
                for chunk in records.chunks(INSERT_CHUNK) {
                    diesel::insert_into(line_records::table).values(chunk).execute(c)?;
                }
                Ok(())
            })
            .await?;
        }
        DbConn::Postgres(c) => {
            use diesel_async::RunQueryDsl;
            let c: &mut crate::db::PgConn = c;
            for chunk in new_bales.chunks(INSERT_CHUNK) {
                diesel::insert_into(bales::table).values(chunk).execute(c).await?;
            }
            for chunk in records.chunks(INSERT_CHUNK) {
                diesel::insert_into(line_records::table).values(chunk).execute(c).await?;
            }
        }
    }
    Ok(())
}

/// The cotton season a date falls in: from August on, that year's; before, the last.
pub fn current_season() -> i32 {
    use chrono::Datelike;
    let now = Utc::now();
    if now.month() >= 8 { now.year() } else { now.year() - 1 }
}

fn is_retry(e: &AppError) -> bool {
    matches!(e, AppError::Internal(m) if m == RETRY)
}

/// Runs `body` on the line's work in one transaction, retrying when another
/// request on the same line won the race.
async fn in_line_tx<T, F>(state: &AppState, line: &LineRow, mut body: F) -> AppResult<(T, LineState)>
where
    F: for<'a> FnMut(&'a mut DbConn, &'a mut Work) -> std::pin::Pin<Box<dyn std::future::Future<Output = AppResult<T>> + Send + 'a>>,
{
    for _ in 0..8 {
        let mut conn = state.db.write().await?;
        conn.begin().await?;
        let attempt: AppResult<(T, Work)> = async {
            let mut work = Work::load(state, &mut conn, line.clone()).await?;
            let value = body(&mut conn, &mut work).await?;
            work.save(&mut conn).await?;
            Ok((value, work))
        }
        .await;
        match attempt {
            Ok((value, work)) => {
                conn.commit().await?;
                for e in work.events {
                    state.bus.committed(e);
                }
                return Ok((value, work.state));
            }
            Err(e) => {
                conn.rollback().await?;
                // A unique violation here means a concurrent request on this line
                // took the same sequence number (or barcode) first: try again on
                // the fresh state, where the pre-checks give the precise answer.
                if !is_retry(&e) && !e.is_unique_violation() {
                    return Err(e);
                }
            }
        }
    }
    Err(AppError::Conflict("生产线正忙，请稍后重试".into()))
}

/// An online (VI) line of the caller's enterprise.
pub async fn online_line(state: &AppState, me: &Principal, line_id: i64) -> AppResult<LineRow> {
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
pub async fn run_online(state: &AppState, line: &LineRow, event: ProcessingEvent, at: DateTime<Utc>) -> AppResult<(Outcome, LineState)> {
    in_line_tx(state, line, move |conn, work| {
        let event = event.clone();
        Box::pin(async move {
            let record = ProcessingRecord { seq: (work.last_seq + 1) as u64, at, event };
            work.apply(conn, &record, "ONLINE").await
        })
    })
    .await
}

/// Normalises typed card numbers; a wrong check digit is CARD_CHECKSUM.
pub fn normalize_all(card_nos: &[String]) -> AppResult<Vec<String>> {
    card_nos.iter().map(|c| normalize_card_no(c).map_err(AppError::from)).collect()
}

pub async fn check_verifier(state: &AppState, enterprise_id: i64, username: &str, password: &str) -> AppResult<String> {
    let mut conn = state.db.read().await?;
    let row: Option<(String, String)> = db_run!(conn: {
        enterprise_verifiers::table
            .find(enterprise_id)
            .select((enterprise_verifiers::username, enterprise_verifiers::password_hash))
            .first(conn)
            .await
            .optional()?
    });
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
    db_run!(conn: {
        diesel::insert_into(enterprise_verifiers::table)
            .values((
                enterprise_verifiers::enterprise_id.eq(enterprise_id),
                enterprise_verifiers::username.eq(&username),
                enterprise_verifiers::password_hash.eq(&hash),
                enterprise_verifiers::updated_at.eq(now),
            ))
            .on_conflict(enterprise_verifiers::enterprise_id)
            .do_update()
            .set((
                enterprise_verifiers::username.eq(&username),
                enterprise_verifiers::password_hash.eq(&hash),
                enterprise_verifiers::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The enterprise's verification account as export files carry it: the name and
/// the Argon2id hash (never the password), for offline checks on IV/V devices.
pub async fn verifier_credential(conn: &mut DbConn, enterprise_id: i64) -> AppResult<Option<(String, String)>> {
    Ok(db_run!(conn: {
        enterprise_verifiers::table
            .find(enterprise_id)
            .select((enterprise_verifiers::username, enterprise_verifiers::password_hash))
            .first(conn)
            .await
            .optional()?
    }))
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
pub async fn upload_file(state: &AppState, me: &Principal, line_id: i64, bytes: &[u8]) -> AppResult<UploadSummary> {
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
    let (summary, _) = in_line_tx(state, &line, move |conn, work| {
        let records = records.clone();
        Box::pin(async move {
            let mut summary = UploadSummary::default();
            work.defer(conn, &records).await?;
            for record in &records {
                if (record.seq as i64) <= work.last_seq {
                    summary.duplicates += 1;
                    continue;
                }
                match work.apply(conn, record, "FILE").await {
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
            Ok(summary)
        })
    })
    .await?;
    Ok(summary)
}
