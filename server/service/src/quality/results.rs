//! `myResults`, precomputed (docs/decisions.md "myResults precomputed"): a grower's
//! results page — the units holding their plots, their tickets with cards, the
//! cards' bales and the bales' inspections — and each unit's premium allocation
//! are kept in the database (`grower_results`, `unit_results`) and read back in
//! a fixed number of indexed statements: the growers of the mobile with their
//! kept pages, then the units with their kept allocations and the season rules
//! (one round trip on PostgreSQL).
//!
//! Whether kept data is still good is the database's to say: triggers mark every
//! change of an input in the writer's own transaction, whoever the writer is and
//! on whichever server (see `cotton_store::results`). Kept data that is missing or
//! stale is computed from the tables here, answered, and kept for the next read.
//! Premium flags are judged at read time by the fresh season rules (as before);
//! a kept allocation names the premium criteria it was computed under and is
//! recomputed when the season's differ.
//!
//! Later parts (subsidy shares) join the unit's kept allocation: a field of
//! [`KeptAllocation`] (bump [`FORMAT`]), and triggers marking the unit when one
//! of their inputs changes.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use cotton_domain::orgs::Role;
use cotton_domain::season::SeasonRules;
use cotton_store::cards::CardRow;
use cotton_store::processing::BaleRow;
use cotton_store::results::{self as store, GrowerSources};
use cotton_store::tickets::TicketRow;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::db::{DbConn, Dec};
use crate::error::{AppError, AppResult};
use crate::quality::{InspectionRow, UnitAllocation, allocate_unit_under};
use crate::state::AppState;
use crate::units::UnitRow;

/// The version of the kept encodings: data of another version is recomputed.
const FORMAT: u32 = 1;

/// A grower's results in a season (all seasons when `None`), ready for the API:
/// what its nested fields (cards, bales, inspections and their premium flags)
/// ask for next is here, so they need no further statement.
pub struct ResultsPage {
    /// The roster entries with the signed-in grower's mobile, in id order.
    pub grower_ids: Vec<i64>,
    /// The units holding their live plots, in id order (rows read now).
    pub units: Vec<UnitRow>,
    /// Their tickets, in id order.
    pub tickets: Vec<TicketRow>,
    /// The tickets' cards.
    pub cards: Vec<CardRow>,
    /// Every card's bales in press order (line, sequence); every card is a key.
    pub bales: HashMap<i64, Vec<BaleRow>>,
    /// Every bale's inspection, `None` when not inspected; every bale is a key.
    pub inspections: HashMap<String, Option<InspectionRow>>,
    /// The season rules of the cards' and units' seasons (stored, else defaults).
    pub rules: HashMap<i32, SeasonRules>,
    /// (unit, the grower's seed cotton, their premium share) where they delivered,
    /// in unit order; empty unless asked for.
    pub shares: Vec<(UnitRow, Decimal, Decimal)>,
}

/// `myResults`: only a grower asks for their own results (found by mobile).
/// `with_shares`: compute the premium shares (only when the field is selected).
pub async fn my_results(state: &AppState, me: &Principal, season: Option<i32>, with_shares: bool) -> AppResult<ResultsPage> {
    if me.role != Role::Grower {
        return Err(AppError::Forbidden("仅种植者可查询本人结果".into()));
    }
    let phone = me.phone.clone().unwrap_or_default();
    let mut to_keep: Vec<(KeepKey, i64, String)> = Vec::new();

    let mut conn = state.db.read().await?;
    // 1. The growers of the mobile with their kept pages and tokens.
    let entries = store::growers_of_phone(&mut conn, &phone).await?;
    let grower_ids: Vec<i64> = entries.iter().map(|(g, _)| *g).collect();
    let mut pages: Vec<KeptPage> = Vec::with_capacity(entries.len());
    let mut stale: Vec<(i64, i64)> = Vec::new();
    for (g, kept) in &entries {
        match kept.current().and_then(KeptPage::decode) {
            Some(p) => pages.push(p),
            None => stale.push((*g, kept.token)),
        }
    }
    if !stale.is_empty() {
        // Read after the tokens: at least as new as they say.
        let ids: Vec<i64> = stale.iter().map(|(g, _)| *g).collect();
        let sources = store::grower_sources(&mut conn, &ids).await?;
        for ((g, token), page) in stale.iter().zip(KeptPage::build(&ids, sources)) {
            to_keep.push((KeepKey::Grower(*g), *token, page.encode()?));
            pages.push(page);
        }
    }

    // The season's part of the pages.
    let mut unit_ids: BTreeSet<i64> = BTreeSet::new();
    let mut seasons: BTreeSet<i32> = BTreeSet::new();
    let mut tickets: Vec<KeptTicket> = Vec::new();
    for p in pages {
        for (u, s) in p.units.iter().filter(|(_, s)| season.is_none_or(|want| *s == want)) {
            unit_ids.insert(*u);
            if with_shares {
                seasons.insert(*s);
            }
        }
        tickets.extend(p.tickets.into_iter().filter(|t| season.is_none_or(|want| t.0.3 == want)));
    }
    tickets.sort_by_key(|t| t.0.0);
    // Premium flags are judged by the season of the bale's card.
    seasons.extend(tickets.iter().filter_map(|t| t.1.as_ref().map(|c| c.0.2)));

    // 2. The units (read now) with their kept allocations, and the season rules.
    let unit_ids: Vec<i64> = unit_ids.into_iter().collect();
    let seasons: Vec<i32> = seasons.into_iter().collect();
    let (units, rules) = if unit_ids.is_empty() && seasons.is_empty() {
        (Vec::new(), HashMap::new())
    } else {
        let (units, mut rules) = store::units_and_rules(&mut conn, &unit_ids, &seasons).await?;
        // A unit whose season changed since its grower's page was kept (the
        // triggers mark the page; this read raced the change).
        let missing: Vec<i32> = units.iter().map(|(u, _)| u.season).filter(|s| !rules.contains_key(s)).collect();
        if with_shares && !missing.is_empty() {
            rules.extend(crate::season::rules_for_seasons(&mut conn, &missing).await?);
        }
        (units, rules)
    };

    let mut shares = Vec::new();
    if with_shares {
        let mine: &[i64] = &grower_ids;
        for (unit, kept) in &units {
            let rules = &rules[&unit.season];
            let alloc = match kept.current().and_then(KeptAllocation::decode).filter(|a| a.judged_by(rules)) {
                Some(a) => a,
                None => {
                    let a = KeptAllocation::of(&allocate_unit_under(&mut conn, unit.clone(), rules).await?, rules);
                    to_keep.push((KeepKey::Unit(unit.id), kept.token, a.encode()?));
                    a
                }
            };
            let (seed, share) = alloc
                .shares
                .iter()
                .filter(|(g, _, _)| mine.contains(g))
                .fold((Decimal::ZERO, Decimal::ZERO), |(s, q), (_, sg, qg)| (s + sg, q + qg));
            if seed > Decimal::ZERO {
                shares.push((unit.clone(), seed, share));
            }
        }
    }
    drop(conn);
    keep(&state.db, to_keep).await;

    let mut page = ResultsPage {
        grower_ids,
        units: units.into_iter().map(|(u, _)| u).collect(),
        tickets: Vec::with_capacity(tickets.len()),
        cards: Vec::new(),
        bales: HashMap::new(),
        inspections: HashMap::new(),
        rules,
        shares,
    };
    for KeptTicket(t, card) in tickets {
        let ticket = ticket_row(t);
        if let Some(KeptCard(c, bales)) = card {
            let card = card_row(c);
            let mut rows = Vec::with_capacity(bales.len());
            for (b, i) in bales {
                let bale = bale_row(b);
                page.inspections.insert(bale.barcode.clone(), i.map(inspection_row));
                rows.push(bale);
            }
            page.bales.insert(card.id, rows);
            page.cards.push(card);
        }
        page.tickets.push(ticket);
    }
    Ok(page)
}

enum KeepKey {
    Grower(i64),
    Unit(i64),
}

/// Keeps what this read computed (on the write connection, after the read one is
/// returned to the pool). A failure only costs the next read a recomputation:
/// logged, not answered.
async fn keep(db: &crate::db::DbPool, items: Vec<(KeepKey, i64, String)>) {
    if items.is_empty() {
        return;
    }
    let mut conn: DbConn = match db.write().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = ?e, "myResults: could not keep the computed results");
            return;
        }
    };
    for (key, token, data) in items {
        let kept = match key {
            KeepKey::Grower(g) => store::keep_grower(&mut conn, g, token, &data).await,
            KeepKey::Unit(u) => store::keep_unit(&mut conn, u, token, &data).await,
        };
        if let Err(e) = kept {
            tracing::warn!(error = ?e, "myResults: could not keep the computed results");
        }
    }
}

// ---- the kept encodings (JSON; rows as arrays, decimals as exact strings)

type TicketT = (i64, i64, String, i32, i64, Decimal, Option<Decimal>, Option<Decimal>, Option<Decimal>, Option<Decimal>, Option<i32>, NaiveDateTime, NaiveDateTime, bool, NaiveDateTime);
type CardT = (i64, String, i32, i64, i64, i64, String, i32, Decimal, Decimal, i32, String, i64, NaiveDateTime, Option<String>);
type BaleT = (i64, String, i64, i64, Option<i64>, Decimal, Option<Decimal>, Decimal, bool, bool, NaiveDateTime, i64);
type InspectionT = (i64, String, Option<String>, Option<Decimal>, Option<Decimal>, Option<Decimal>, Option<Decimal>, Option<Decimal>, Option<Decimal>, Option<Decimal>, NaiveDateTime);

fn d(v: Option<Dec>) -> Option<Decimal> {
    v.map(|x| x.0)
}

fn dd(v: Option<Decimal>) -> Option<Dec> {
    v.map(Dec)
}

fn ticket_t(t: TicketRow) -> TicketT {
    (t.id, t.enterprise_id, t.ticket_no, t.season, t.grower_id, t.gross_kg.0, d(t.tare_kg), d(t.moisture_pct), d(t.trash_pct), d(t.lint_yield_pct), t.module_count, t.weighed_at, t.uploaded_at, t.late, t.updated_at)
}

fn ticket_row(t: TicketT) -> TicketRow {
    let (id, enterprise_id, ticket_no, season, grower_id, gross, tare, moisture, trash, lint_yield, module_count, weighed_at, uploaded_at, late, updated_at) = t;
    TicketRow {
        id,
        enterprise_id,
        ticket_no,
        season,
        grower_id,
        gross_kg: Dec(gross),
        tare_kg: dd(tare),
        moisture_pct: dd(moisture),
        trash_pct: dd(trash),
        lint_yield_pct: dd(lint_yield),
        module_count,
        weighed_at,
        uploaded_at,
        late,
        updated_at,
    }
}

fn card_t(c: CardRow) -> CardT {
    (c.id, c.card_no, c.season, c.ticket_id, c.unit_id, c.enterprise_id, c.module_type, c.module_count, c.target_lint_kg.0, c.processed_lint_kg.0, c.processable_bales, c.status, c.printed_by, c.printed_at, c.finished_by)
}

fn card_row(c: CardT) -> CardRow {
    let (id, card_no, season, ticket_id, unit_id, enterprise_id, module_type, module_count, target, processed, processable_bales, status, printed_by, printed_at, finished_by) = c;
    CardRow {
        id,
        card_no,
        season,
        ticket_id,
        unit_id,
        enterprise_id,
        module_type,
        module_count,
        target_lint_kg: Dec(target),
        processed_lint_kg: Dec(processed),
        processable_bales,
        status,
        printed_by,
        printed_at,
        finished_by,
    }
}

fn bale_t(b: BaleRow) -> BaleT {
    (b.id, b.barcode, b.enterprise_id, b.line_id, b.card_id, b.net_kg.0, d(b.moisture_pct), b.conditioned_kg.0, b.traced, b.delay, b.pressed_at, b.seq)
}

fn bale_row(b: BaleT) -> BaleRow {
    let (id, barcode, enterprise_id, line_id, card_id, net, moisture, conditioned, traced, delay, pressed_at, seq) = b;
    BaleRow { id, barcode, enterprise_id, line_id, card_id, net_kg: Dec(net), moisture_pct: dd(moisture), conditioned_kg: Dec(conditioned), traced, delay, pressed_at, seq }
}

fn inspection_t(i: InspectionRow) -> InspectionT {
    (i.id, i.barcode, i.color_grade, d(i.length_mm), d(i.strength), d(i.micronaire), d(i.uniformity_pct), d(i.trash_pct), d(i.moisture_pct), d(i.conditioned_kg), i.imported_at)
}

fn inspection_row(i: InspectionT) -> InspectionRow {
    let (id, barcode, color_grade, length, strength, mic, uniformity, trash, moisture, conditioned, imported_at) = i;
    InspectionRow {
        id,
        barcode,
        color_grade,
        length_mm: dd(length),
        strength: dd(strength),
        micronaire: dd(mic),
        uniformity_pct: dd(uniformity),
        trash_pct: dd(trash),
        moisture_pct: dd(moisture),
        conditioned_kg: dd(conditioned),
        imported_at,
    }
}

#[derive(Serialize, Deserialize)]
struct KeptCard(CardT, Vec<(BaleT, Option<InspectionT>)>);

#[derive(Serialize, Deserialize)]
struct KeptTicket(TicketT, Option<KeptCard>);

/// One grower's page, all seasons.
#[derive(Serialize, Deserialize)]
struct KeptPage {
    v: u32,
    /// (unit, season) of the units holding the grower's live plots.
    units: Vec<(i64, i32)>,
    /// Tickets in id order, each with its card, bales and inspections.
    tickets: Vec<KeptTicket>,
}

impl KeptPage {
    fn decode(text: &str) -> Option<KeptPage> {
        serde_json::from_str::<KeptPage>(text).ok().filter(|p| p.v == FORMAT)
    }

    fn encode(&self) -> AppResult<String> {
        serde_json::to_string(self).map_err(|e| AppError::Internal(format!("myResults encode: {e}")))
    }

    /// The pages of `growers` (in that order) from what the tables hold.
    fn build(growers: &[i64], src: GrowerSources) -> Vec<KeptPage> {
        let mut inspections: HashMap<String, InspectionRow> = src.inspections.into_iter().map(|i| (i.barcode.clone(), i)).collect();
        let mut bales: HashMap<i64, Vec<(BaleT, Option<InspectionT>)>> = HashMap::new();
        for b in src.bales {
            let Some(card) = b.card_id else { continue };
            let i = inspections.remove(&b.barcode).map(inspection_t);
            bales.entry(card).or_default().push((bale_t(b), i));
        }
        let mut cards: HashMap<i64, KeptCard> = HashMap::new();
        for c in src.cards {
            let b = bales.remove(&c.id).unwrap_or_default();
            cards.insert(c.ticket_id, KeptCard(card_t(c), b));
        }
        let mut pages: HashMap<i64, KeptPage> = growers.iter().map(|g| (*g, KeptPage { v: FORMAT, units: Vec::new(), tickets: Vec::new() })).collect();
        for (g, unit, season) in src.units {
            if let Some(p) = pages.get_mut(&g) {
                p.units.push((unit, season));
            }
        }
        for t in src.tickets {
            let card = cards.remove(&t.id);
            if let Some(p) = pages.get_mut(&t.grower_id) {
                p.tickets.push(KeptTicket(ticket_t(t), card));
            }
        }
        growers
            .iter()
            .map(|g| {
                let mut p = pages.remove(g).unwrap_or(KeptPage { v: FORMAT, units: Vec::new(), tickets: Vec::new() });
                p.units.sort_unstable();
                p.units.dedup();
                p
            })
            .collect()
    }
}

/// A unit's premium allocation as kept: what a grower's share needs, and what
/// `premiumAllocation` shows (Q, lint, bale counts, S, the legal person's share).
#[derive(Serialize, Deserialize)]
struct KeptAllocation {
    v: u32,
    /// The premium criteria it was computed under: min length, min strength,
    /// micronaire min and max.
    criteria: [Decimal; 4],
    premium_kg: Decimal,
    lint_kg: Decimal,
    bales: i64,
    premium_bales: i64,
    total_seed_kg: Decimal,
    /// (grower, S_g, share)
    shares: Vec<(i64, Decimal, Decimal)>,
    legal_person_kg: Option<Decimal>,
}

fn criteria(rules: &SeasonRules) -> [Decimal; 4] {
    [rules.premium_min_length_mm, rules.premium_min_strength, rules.premium_mic_min, rules.premium_mic_max]
}

impl KeptAllocation {
    fn of(a: &UnitAllocation, rules: &SeasonRules) -> KeptAllocation {
        KeptAllocation {
            v: FORMAT,
            criteria: criteria(rules),
            premium_kg: a.premium_kg,
            lint_kg: a.lint_kg,
            bales: a.bales,
            premium_bales: a.premium_bales,
            total_seed_kg: a.total_seed_kg,
            shares: a.shares.clone(),
            legal_person_kg: a.legal_person_kg,
        }
    }

    fn judged_by(&self, rules: &SeasonRules) -> bool {
        self.criteria == criteria(rules)
    }

    fn decode(text: &str) -> Option<KeptAllocation> {
        serde_json::from_str::<KeptAllocation>(text).ok().filter(|a| a.v == FORMAT)
    }

    fn encode(&self) -> AppResult<String> {
        serde_json::to_string(self).map_err(|e| AppError::Internal(format!("myResults encode: {e}")))
    }
}

/// Computes and keeps every stale page and allocation (marked since kept, or
/// never kept), `BATCH` growers at a time: what a write that changes many pages
/// at once (an inspection import, the results' publication) runs after its
/// commit, so that the growers who then sign in find their pages ready. Reads
/// stay correct without it (a stale page is computed on read). Returns the
/// number of pages and allocations kept.
pub async fn refresh_stale(db: &crate::db::DbPool) -> AppResult<usize> {
    const BATCH: usize = 100;
    let mut conn = db.read().await?;
    // The tokens first: what is computed after them is at least as new.
    let (growers, units) = store::all_tokens(&mut conn).await?;
    let stale_growers: Vec<(i64, i64)> = growers.into_iter().filter(|(_, t, kept)| t != kept).map(|(g, t, _)| (g, t)).collect();
    let stale_units: HashMap<i64, i64> = units.into_iter().filter(|(_, t, kept)| t != kept).map(|(u, t, _)| (u, t)).collect();
    drop(conn);
    let mut kept = 0;
    for batch in stale_growers.chunks(BATCH) {
        let mut conn = db.read().await?;
        let ids: Vec<i64> = batch.iter().map(|(g, _)| *g).collect();
        let sources = store::grower_sources(&mut conn, &ids).await?;
        drop(conn);
        let mut items = Vec::with_capacity(batch.len());
        for ((g, token), page) in batch.iter().zip(KeptPage::build(&ids, sources)) {
            items.push((KeepKey::Grower(*g), *token, page.encode()?));
        }
        kept += items.len();
        keep(db, items).await;
    }
    let ids: Vec<i64> = stale_units.keys().copied().collect();
    for batch in ids.chunks(BATCH) {
        let mut conn = db.read().await?;
        let (rows, _) = store::units_and_rules(&mut conn, batch, &[]).await?;
        let seasons: Vec<i32> = rows.iter().map(|(u, _)| u.season).collect::<BTreeSet<_>>().into_iter().collect();
        let rules = crate::season::rules_for_seasons(&mut conn, &seasons).await?;
        let mut items = Vec::with_capacity(rows.len());
        for (unit, _) in rows {
            let token = stale_units[&unit.id];
            let r = &rules[&unit.season];
            let a = KeptAllocation::of(&allocate_unit_under(&mut conn, unit.clone(), r).await?, r);
            items.push((KeepKey::Unit(unit.id), token, a.encode()?));
        }
        drop(conn);
        kept += items.len();
        keep(db, items).await;
    }
    Ok(kept)
}

/// [`refresh_stale`] in the background (after the caller's commit); a failure is logged.
pub fn refresh_stale_later(db: &crate::db::DbPool) {
    let db = db.clone();
    tokio::spawn(async move {
        match refresh_stale(&db).await {
            Ok(n) => tracing::debug!(kept = n, "myResults: stale pages refreshed"),
            Err(e) => tracing::warn!(error = ?e, "myResults: refreshing stale pages failed"),
        }
    });
}
