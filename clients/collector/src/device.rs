//! The device: the line's state in the local database, changed only through the
//! domain state machine ([`cotton_domain::line::LineState::apply`]), one SQLite
//! transaction per accepted operation.
//!
//! Each operation becomes the processing record(s) the upload file will carry
//! (scan, delay entered, bale pressed, card ended, card finished, reprocess),
//! with the next sequence number. The records, the bale, the cards whose
//! progress changed and the line state are written in **one** transaction, so
//! after `kill -9` at any moment the database holds either everything of an
//! operation or nothing of it. Operations are safe to re-run after a crash:
//! a bale barcode is recorded once, `delay` is refused for a card already
//! queued, `end <cardNo>` ends only that card while it is the one being
//! processed, `reprocess` needs a finished card, and scans change nothing the
//! second time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};
use cotton_domain::card_no::{normalize_card_no, parse_card_no};
use cotton_domain::line::{Applied, CardBook, CardProgress, Conditioning, FinishKind, LineState, ScanOutcome};
use cotton_domain::processing::{
    CardExport, CollectorModel, ProcessingEvent, ProcessingRecord, RecordUpload, SeasonStandards,
    VerifierCredential, validate_device_id,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::db::{self, err};

/// What the screen shows of a card besides its progress.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardInfo {
    pub ticket_no: String,
    pub grower_name: String,
    pub unit_name: String,
    pub processable_bales: u32,
}

/// An operator's operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Card numbers as typed or scanned (normalised here).
    Scan(Vec<String>),
    Delay { card_no: String, count: u32 },
    Bale { barcode: String, net_kg: Decimal, moisture_pct: Option<Decimal> },
    /// `end` ends the card being processed; `end <cardNo>` only if it is that card.
    End { card_no: Option<String> },
    Reprocess { card_no: String, username: String, password: String },
}

/// How one operation went, for the screen.
#[derive(Debug, Clone, Default)]
pub struct Feedback {
    /// Each scanned card with how it was judged.
    pub scanned: Vec<(String, ScanOutcome)>,
    /// Plain messages (what was recorded).
    pub messages: Vec<String>,
}

pub struct Device {
    conn: Connection,
    pub line_ref: String,
    pub model: CollectorModel,
    pub enterprise_code: String,
    pub device_id: String,
    pub state: LineState,
    pub book: CardBook,
    pub info: BTreeMap<String, CardInfo>,
    /// Traced bales per card.
    pub bales_of: HashMap<String, u32>,
    pub last_seq: u64,
    pub records: u64,
    pub bale_count: u64,
    /// Imports so far: a change means another process imported a file.
    imports: i64,
    standards: Vec<SeasonStandards>,
    verifier: Option<VerifierCredential>,
}

/// The cotton season a date falls in: from August on, that year's; before, the
/// last (as the platform reckons it).
pub fn current_season() -> i32 {
    let now = Utc::now();
    if now.month() >= 8 { now.year() } else { now.year() - 1 }
}

fn dec(s: &str) -> Result<Decimal, String> {
    Decimal::from_str(s).map_err(|e| format!("本机数据库中的数值“{s}”有误：{e}"))
}

fn model_of(s: &str) -> Result<CollectorModel, String> {
    CollectorModel::parse(s).ok_or_else(|| format!("本机数据库中的采集器型号“{s}”有误"))
}

/// What an import did.
pub struct ImportSummary {
    pub cards: usize,
    pub new_cards: usize,
    pub verifier: bool,
}

/// Loads a verified export into the database (creating the device on the first
/// import). Cards already known keep what the line did to them.
pub fn import(conn: &mut Connection, export: &CardExport, file_name: &str, platform_key_b64: &str) -> Result<ImportSummary, String> {
    if export.model.is_online() {
        return Err("VI型采集器在线获取追溯数据，本客户端仅用于IV、V型采集器".into());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
    match db::meta(&tx, "line_ref")? {
        Some(line) if line != export.line_id => {
            return Err(format!("本机属于生产线{line}，文件属于生产线{}，不能导入", export.line_id));
        }
        Some(_) => {
            let model = db::meta(&tx, "model")?.unwrap_or_default();
            if model != export.model.as_str() {
                return Err(format!("本机为{model}型采集器，文件属于{}型", export.model.as_str()));
            }
        }
        None => {
            db::set_meta(&tx, "line_ref", &export.line_id)?;
            db::set_meta(&tx, "model", export.model.as_str())?;
            // Sequence numbers start from the creation time (× 100), so a device
            // whose database was rebuilt never reuses numbers the platform has seen.
            let base = Utc::now().timestamp().max(0) as u64 * 100;
            tx.execute(
                "INSERT INTO line_state (id, state, last_seq) VALUES (1, ?1, ?2)",
                params![serde_json::to_string(&LineState::default()).expect("serialises"), base as i64],
            )
            .map_err(err)?;
            if db::meta(&tx, "device_id")?.is_none() {
                db::set_meta(&tx, "device_id", &format!("CC-{}", export.line_id))?;
            }
        }
    }
    db::set_meta(&tx, "enterprise_code", &export.enterprise_code)?;
    db::set_meta(&tx, "platform_key", platform_key_b64)?;
    match &export.verifier {
        Some(v) => {
            db::set_meta(&tx, "verifier_username", &v.username)?;
            db::set_meta(&tx, "verifier_hash", &v.password_hash)?;
        }
        None => {
            db::delete_meta(&tx, "verifier_username")?;
            db::delete_meta(&tx, "verifier_hash")?;
        }
    }
    for s in &export.standards {
        tx.execute(
            "INSERT INTO standards (season, moisture_pct, trash_pct, cards_per_scan_iv_v, cards_per_scan_vi) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (season) DO UPDATE SET moisture_pct = excluded.moisture_pct, trash_pct = excluded.trash_pct,
                 cards_per_scan_iv_v = excluded.cards_per_scan_iv_v, cards_per_scan_vi = excluded.cards_per_scan_vi",
            params![
                s.season,
                s.standard_moisture_pct.to_string(),
                s.standard_trash_pct.to_string(),
                s.cards_per_scan_iv_v,
                s.cards_per_scan_vi
            ],
        )
        .map_err(err)?;
    }
    let now = Utc::now().to_rfc3339();
    let mut new_cards = 0;
    for c in &export.cards {
        // A card already on the device keeps its progress; its descriptive fields follow the platform.
        let n = tx
            .execute(
                "INSERT INTO cards (card_no, ticket_no, grower_name, unit_id, unit_name, target_kg, processable_bales,
                                    module_type, module_count, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (card_no) DO NOTHING",
                params![
                    c.card_no,
                    c.ticket_no,
                    c.grower_name,
                    c.unit_id,
                    c.unit_name,
                    c.target_lint_kg.to_string(),
                    c.processable_bales,
                    c.module_type.as_str(),
                    c.module_count,
                    now
                ],
            )
            .map_err(err)?;
        if n == 1 {
            new_cards += 1;
        } else {
            tx.execute(
                "UPDATE cards SET ticket_no = ?2, grower_name = ?3, unit_id = ?4, unit_name = ?5, processable_bales = ?6,
                                  module_type = ?7, module_count = ?8 WHERE card_no = ?1",
                params![
                    c.card_no,
                    c.ticket_no,
                    c.grower_name,
                    c.unit_id,
                    c.unit_name,
                    c.processable_bales,
                    c.module_type.as_str(),
                    c.module_count
                ],
            )
            .map_err(err)?;
        }
    }
    tx.execute(
        "INSERT INTO imports (file_name, issued_at, imported_at, cards, new_cards) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![file_name, export.issued_at.to_rfc3339(), now, export.cards.len() as i64, new_cards as i64],
    )
    .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(ImportSummary { cards: export.cards.len(), new_cards, verifier: export.verifier.is_some() })
}

/// The model recorded at the first import, if any.
pub fn stored_model(conn: &Connection) -> Result<Option<CollectorModel>, String> {
    db::meta(conn, "model")?.map(|m| model_of(&m)).transpose()
}

impl Device {
    /// Opens the device of the database at `path`; it must have imported a file.
    pub fn open(path: &Path) -> Result<Device, String> {
        let conn = db::open(path)?;
        if db::meta(&conn, "line_ref")?.is_none() {
            return Err(format!(
                "本机数据库 {} 尚未导入追溯数据，请先运行 cotton-collector import",
                path.display()
            ));
        }
        let mut d = Device {
            conn,
            line_ref: String::new(),
            model: CollectorModel::Iv,
            enterprise_code: String::new(),
            device_id: String::new(),
            state: LineState::default(),
            book: CardBook::new(),
            info: BTreeMap::new(),
            bales_of: HashMap::new(),
            last_seq: 0,
            records: 0,
            bale_count: 0,
            imports: 0,
            standards: Vec::new(),
            verifier: None,
        };
        d.reload()?;
        Ok(d)
    }

    /// Reads everything back from the database (at start, or when another
    /// process moved the line on).
    fn reload(&mut self) -> Result<(), String> {
        let c = &self.conn;
        self.line_ref = db::meta(c, "line_ref")?.unwrap_or_default();
        self.model = model_of(&db::meta(c, "model")?.unwrap_or_default())?;
        self.enterprise_code = db::meta(c, "enterprise_code")?.unwrap_or_default();
        self.device_id = db::meta(c, "device_id")?.unwrap_or_default();
        self.verifier = match (db::meta(c, "verifier_username")?, db::meta(c, "verifier_hash")?) {
            (Some(username), Some(password_hash)) => Some(VerifierCredential { username, password_hash }),
            _ => None,
        };
        let (json, last_seq): (String, i64) =
            c.query_row("SELECT state, last_seq FROM line_state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?))).map_err(err)?;
        self.state = serde_json::from_str(&json).map_err(|e| format!("本机数据库中的生产线状态有误：{e}"))?;
        self.last_seq = last_seq as u64;
        let mut book = CardBook::new();
        let mut info = BTreeMap::new();
        let mut stmt = c
            .prepare(
                "SELECT card_no, target_kg, processed_kg, finished_by, ticket_no, grower_name, unit_name, processable_bales FROM cards",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, u32>(7)?,
                ))
            })
            .map_err(err)?;
        for row in rows {
            let (no, target, processed, finished_by, ticket_no, grower_name, unit_name, processable_bales) = row.map_err(err)?;
            let finished_by = match finished_by {
                None => None,
                Some(k) => Some(FinishKind::parse(&k).ok_or_else(|| err(format!("追溯卡{no}的结束方式“{k}”无效")))?),
            };
            book.insert(no.clone(), CardProgress { target_kg: dec(&target)?, processed_kg: dec(&processed)?, finished_by });
            info.insert(no, CardInfo { ticket_no, grower_name, unit_name, processable_bales });
        }
        drop(stmt);
        self.book = book;
        self.info = info;
        let mut stmt =
            c.prepare("SELECT season, moisture_pct, trash_pct, cards_per_scan_iv_v, cards_per_scan_vi FROM standards").map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<u32>>(3)?,
                    r.get::<_, Option<u32>>(4)?,
                ))
            })
            .map_err(err)?;
        let mut standards = Vec::new();
        for row in rows {
            let (season, m, t, cards_per_scan_iv_v, cards_per_scan_vi) = row.map_err(err)?;
            standards.push(SeasonStandards {
                season,
                standard_moisture_pct: dec(&m)?,
                standard_trash_pct: dec(&t)?,
                cards_per_scan_iv_v,
                cards_per_scan_vi,
            });
        }
        drop(stmt);
        self.standards = standards;
        let mut stmt = c.prepare("SELECT card_no, COUNT(*) FROM bales WHERE card_no IS NOT NULL GROUP BY card_no").map_err(err)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))).map_err(err)?;
        let mut bales_of = HashMap::new();
        for row in rows {
            let (no, n) = row.map_err(err)?;
            bales_of.insert(no, n);
        }
        drop(stmt);
        self.bales_of = bales_of;
        self.records = c.query_row("SELECT COUNT(*) FROM journal", [], |r| r.get::<_, i64>(0)).map_err(err)? as u64;
        self.bale_count = c.query_row("SELECT COUNT(*) FROM bales", [], |r| r.get::<_, i64>(0)).map_err(err)? as u64;
        self.imports = c.query_row("SELECT COUNT(*) FROM imports", [], |r| r.get(0)).map_err(err)?;
        Ok(())
    }

    pub fn verifier_username(&self) -> Option<&str> {
        self.verifier.as_ref().map(|v| v.username.as_str())
    }

    /// The season rules in force: those of the season of the card being
    /// processed, else of the current season (as the platform applies them).
    fn season_rules(&self) -> SeasonStandards {
        let season = self
            .state
            .head()
            .and_then(|h| parse_card_no(&h.card_no).ok())
            .map(|(s, _)| s)
            .unwrap_or_else(current_season);
        SeasonStandards::of(&self.standards, season)
    }

    /// The conditioning standards of [`Self::season_rules`].
    pub fn conditioning(&self) -> Conditioning {
        let s = self.season_rules();
        Conditioning { standard_moisture_pct: s.standard_moisture_pct, standard_trash_pct: s.standard_trash_pct }
    }

    /// Cards one scan may carry on this device, by [`Self::season_rules`].
    pub fn cards_per_scan(&self) -> usize {
        self.season_rules().cards_per_scan(self.model)
    }

    /// Picks up what another process (a second `run`, an `import`) committed.
    pub fn sync(&mut self) -> Result<(), String> {
        let db_seq: i64 = self.conn.query_row("SELECT last_seq FROM line_state WHERE id = 1", [], |r| r.get(0)).map_err(err)?;
        let imports: i64 = self.conn.query_row("SELECT COUNT(*) FROM imports", [], |r| r.get(0)).map_err(err)?;
        if db_seq as u64 != self.last_seq || imports != self.imports {
            self.reload()?;
        }
        Ok(())
    }

    /// Runs one operator operation. An error changes nothing.
    pub fn execute(&mut self, op: Op) -> Result<Feedback, String> {
        self.sync()?;
        match op {
            Op::Scan(raw) => self.scan(&raw),
            Op::Delay { card_no, count } => {
                let card_no = normalize_card_no(&card_no).map_err(|e| e.to_string())?;
                if let Some(q) = self.state.queue.iter().find(|q| q.card_no == card_no) {
                    return Err(format!(
                        "追溯卡{card_no}已在加工队列中（剩余延迟{}包），延迟包数已录入，不能重复录入",
                        q.delay_bales
                    ));
                }
                self.apply(ProcessingEvent::DelayEntered { card_no: card_no.clone(), count })?;
                Ok(Feedback { messages: vec![format!("已录入：追溯卡{card_no}延迟{count}包，开始加工")], ..Default::default() })
            }
            Op::Bale { barcode, net_kg, moisture_pct } => {
                let barcode = barcode.trim().to_string();
                let (applied, _) = self.apply(ProcessingEvent::BalePressed { barcode: barcode.clone(), net_kg, moisture_pct, card_no: None })?;
                let Applied::Bale(o) = applied else { unreachable!("a bale event presses a bale") };
                let mut messages = vec![match (&o.card_no, o.delay) {
                    (Some(card), _) => format!("棉包{barcode}：净重{net_kg}千克，公定重量{}千克，计入追溯卡{card}", o.conditioned_kg),
                    (None, true) => format!("棉包{barcode}：延迟包，不参与追溯"),
                    (None, false) => format!("棉包{barcode}：当前没有加工中的追溯卡，不参与追溯"),
                }];
                if let Some(done) = o.finished {
                    messages.push(format!("追溯卡{done}已达到折皮棉公定重量，加工完成"));
                }
                Ok(Feedback { messages, ..Default::default() })
            }
            Op::End { card_no } => {
                let Some(head) = self.state.head().map(|h| h.card_no.clone()) else {
                    return Err("当前没有正在加工的追溯卡".into());
                };
                if let Some(want) = card_no {
                    let want = normalize_card_no(&want).map_err(|e| e.to_string())?;
                    if want != head {
                        return Err(format!("当前正在加工的是追溯卡{head}，不是{want}，未结束"));
                    }
                }
                self.apply(ProcessingEvent::CardEnded { card_no: head.clone() })?;
                Ok(Feedback { messages: vec![format!("追溯卡{head}已结束加工")], ..Default::default() })
            }
            Op::Reprocess { card_no, username, password } => {
                let card_no = normalize_card_no(&card_no).map_err(|e| e.to_string())?;
                let Some(v) = &self.verifier else {
                    return Err("本企业尚未设置校验账号（导入的文件中没有校验账号），不能再加工".into());
                };
                if !check_password(v, username.trim(), &password) {
                    return Err("校验账号或密码错误，不能再加工".into());
                }
                let verifier = v.username.clone();
                self.apply(ProcessingEvent::Reprocess { card_no: card_no.clone(), verifier })?;
                Ok(Feedback { messages: vec![format!("追溯卡{card_no}经校验账号确认，已加入加工队列末尾")], ..Default::default() })
            }
        }
    }

    fn scan(&mut self, raw: &[String]) -> Result<Feedback, String> {
        let nos = raw.iter().map(|c| normalize_card_no(c).map_err(|e| e.to_string())).collect::<Result<Vec<_>, _>>()?;
        // Judge the whole scan (this also refuses more cards than the model takes).
        let mut scratch = self.state.clone();
        let outcomes = scratch.scan(&self.book, &nos, self.cards_per_scan()).map_err(|e| e.to_string())?;
        // Cards unknown to the device are not recorded: the platform must not act
        // on a card the device did not see (judging them changes nothing here).
        let known: Vec<String> =
            nos.iter().zip(&outcomes).filter(|(_, o)| **o != ScanOutcome::NotFound).map(|(n, _)| n.clone()).collect();
        if !known.is_empty() {
            let (applied, _) = self.apply(ProcessingEvent::Scan { card_nos: known })?;
            debug_assert!(matches!(applied, Applied::Scanned(_)));
        }
        Ok(Feedback { scanned: nos.into_iter().zip(outcomes).collect(), messages: vec![] })
    }

    /// Applies `event` through the domain state machine and writes it, with
    /// everything it changed, in one transaction.
    fn apply(&mut self, event: ProcessingEvent) -> Result<(Applied, Vec<ProcessingRecord>), String> {
        let cond = self.conditioning();
        let cards_per_scan = self.cards_per_scan();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let db_seq: i64 = tx.query_row("SELECT last_seq FROM line_state WHERE id = 1", [], |r| r.get(0)).map_err(err)?;
        if db_seq as u64 != self.last_seq {
            // Another process (a second `run`) moved the line on: start from its state.
            drop(tx);
            self.reload()?;
            return self.apply(event);
        }
        if let ProcessingEvent::BalePressed { barcode, .. } = &event {
            let seen: Option<i64> =
                tx.query_row("SELECT seq FROM bales WHERE barcode = ?1", [barcode], |r| r.get(0)).optional().map_err(err)?;
            if let Some(seq) = seen {
                return Err(format!("棉包条码{barcode}已经记录过（第{seq}条记录），未重复记录"));
            }
        }
        // The cards this operation may touch: those it names and those queued.
        let mut touch: BTreeSet<String> = self.state.queue.iter().map(|q| q.card_no.clone()).collect();
        match &event {
            ProcessingEvent::Scan { card_nos } => touch.extend(card_nos.iter().cloned()),
            ProcessingEvent::DelayEntered { card_no, .. } | ProcessingEvent::Reprocess { card_no, .. } => {
                touch.insert(card_no.clone());
            }
            _ => {}
        }
        let mut sub: CardBook = touch.iter().filter_map(|n| self.book.get(n).map(|p| (n.clone(), p.clone()))).collect();
        let mut next = self.state.clone();
        let applied = next.apply(&mut sub, &event, &cond, cards_per_scan).map_err(|e| e.to_string())?;

        let at = now_secs();
        let mut seq = self.last_seq;
        let mut records = Vec::new();
        let mut recorded = event.clone();
        match (&mut recorded, &applied) {
            (ProcessingEvent::BalePressed { card_no, .. }, Applied::Bale(o)) => *card_no = o.card_no.clone(),
            (ProcessingEvent::CardEnded { card_no }, Applied::Ended(ended)) => *card_no = ended.clone(),
            _ => {}
        }
        seq += 1;
        records.push(ProcessingRecord { seq, at, event: recorded });
        if let Applied::Bale(o) = &applied
            && let Some(done) = &o.finished
        {
            seq += 1;
            records.push(ProcessingRecord { seq, at, event: ProcessingEvent::CardFinished { card_no: done.clone() } });
        }
        for r in &records {
            r.validate(self.model).map_err(|e| e.to_string())?;
            tx.execute(
                "INSERT INTO journal (seq, at, kind, record) VALUES (?1, ?2, ?3, ?4)",
                params![r.seq as i64, r.at.to_rfc3339(), r.event.type_name(), serde_json::to_string(r).expect("serialises")],
            )
            .map_err(err)?;
        }
        if let (ProcessingEvent::BalePressed { barcode, net_kg, moisture_pct, .. }, Applied::Bale(o)) = (&event, &applied) {
            tx.execute(
                "INSERT INTO bales (barcode, seq, card_no, net_kg, moisture_pct, conditioned_kg, delay) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    barcode,
                    records[0].seq as i64,
                    o.card_no,
                    net_kg.to_string(),
                    moisture_pct.map(|m| m.to_string()),
                    o.conditioned_kg.to_string(),
                    o.delay
                ],
            )
            .map_err(err)?;
        }
        let changed: Vec<(String, CardProgress)> =
            sub.into_iter().filter(|(n, p)| self.book.get(n) != Some(p)).collect();
        for (no, p) in &changed {
            tx.execute(
                "UPDATE cards SET processed_kg = ?2, finished_by = ?3 WHERE card_no = ?1",
                params![no, p.processed_kg.to_string(), p.finished_by.map(FinishKind::as_str)],
            )
            .map_err(err)?;
        }
        tx.execute(
            "UPDATE line_state SET state = ?1, last_seq = ?2 WHERE id = 1",
            params![serde_json::to_string(&next).expect("serialises"), seq as i64],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;

        // Committed: the memory follows.
        self.state = next;
        for (no, p) in changed {
            self.book.insert(no, p);
        }
        self.last_seq = seq;
        self.records += records.len() as u64;
        if let Applied::Bale(o) = &applied {
            self.bale_count += 1;
            if let Some(c) = &o.card_no {
                *self.bales_of.entry(c.clone()).or_default() += 1;
            }
        }
        Ok((applied, records))
    }

    /// Every journal record, in sequence order.
    pub fn journal(&self) -> Result<Vec<ProcessingRecord>, String> {
        let mut stmt = self.conn.prepare("SELECT record FROM journal ORDER BY seq").map_err(err)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            let json = row.map_err(err)?;
            out.push(serde_json::from_str(&json).map_err(|e| format!("本机数据库中的加工记录有误：{e}"))?);
        }
        Ok(out)
    }

    /// The upload of every record so far.
    pub fn upload(&self, device_id: Option<&str>) -> Result<RecordUpload, String> {
        let device_id = device_id.unwrap_or(&self.device_id).to_string();
        validate_device_id(&device_id).map_err(|e| e.to_string())?;
        Ok(RecordUpload {
            line_id: self.line_ref.clone(),
            model: self.model,
            device_id,
            written_at: now_secs(),
            records: self.journal()?,
        })
    }

    /// Every bale with where it went.
    pub fn bales(&self) -> Result<Vec<BaleView>, String> {
        let mut stmt = self
            .conn
            .prepare("SELECT barcode, seq, card_no, net_kg, conditioned_kg, delay FROM bales ORDER BY seq")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(BaleView {
                    barcode: r.get(0)?,
                    seq: r.get::<_, i64>(1)? as u64,
                    card_no: r.get(2)?,
                    net_kg: r.get(3)?,
                    conditioned_kg: r.get(4)?,
                    delay: r.get(5)?,
                })
            })
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    /// The state as JSON, for scripts (`status --json`).
    pub fn status_json(&self) -> Result<serde_json::Value, String> {
        let cards: Vec<serde_json::Value> = self
            .book
            .iter()
            .map(|(no, p)| {
                serde_json::json!({
                    "cardNo": no,
                    "targetKg": p.target_kg.to_string(),
                    "processedKg": p.processed_kg.to_string(),
                    "finished": p.finished(),
                    "finishedBy": p.finished_by.map(FinishKind::as_str),
                    "bales": self.bales_of.get(no).copied().unwrap_or(0),
                })
            })
            .collect();
        Ok(serde_json::json!({
            "lineRef": self.line_ref,
            "model": self.model.as_str(),
            "enterpriseCode": self.enterprise_code,
            "deviceId": self.device_id,
            "verifier": self.verifier_username(),
            "lastSeq": self.last_seq,
            "records": self.records,
            "tracing": self.state.tracing,
            "pendingDelay": self.state.pending_delay(),
            "queue": self.state.queue,
            "cards": cards,
            "bales": self.bales()?,
        }))
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BaleView {
    pub barcode: String,
    pub seq: u64,
    pub card_no: Option<String>,
    pub net_kg: String,
    pub conditioned_kg: String,
    pub delay: bool,
}

/// Now, to the second (file formats keep seconds).
fn now_secs() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}

/// Checks a verification account offline against the Argon2id hash the export
/// carried.
pub fn check_password(v: &VerifierCredential, username: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    if username != v.username {
        return false;
    }
    PasswordHash::new(&v.password_hash)
        .map(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_check_uses_the_hash() {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").unwrap();
        let hash = argon2::Argon2::default().hash_password(b"Verify@2026", &salt).unwrap().to_string();
        let v = VerifierCredential { username: "jy65001".into(), password_hash: hash };
        assert!(check_password(&v, "jy65001", "Verify@2026"));
        assert!(!check_password(&v, "jy65001", "verify@2026"));
        assert!(!check_password(&v, "other", "Verify@2026"));
        let broken = VerifierCredential { username: "jy65001".into(), password_hash: "$argon2id$nonsense".into() };
        assert!(!check_password(&broken, "jy65001", "Verify@2026"));
    }
}
