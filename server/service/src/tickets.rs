//! Purchase weigh tickets (收购磅单), uploaded by the enterprise right after gross
//! weighing. Upload is idempotent per (enterprise, season, ticket number).


use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use cotton_domain::identity::validate_id_number;
use cotton_domain::weights;
use rust_decimal::Decimal;

use crate::auth::Principal;
use crate::db::{DbConn, DbPool, Dec};
use crate::error::{AppError, AppResult};
use crate::events::{Event, EventBus, EventTopic};
use crate::group_commit::{GroupCommit, TicketCommits};
use crate::rosters::GrowerRow;
use crate::state::AppState;
use crate::tx::{Tx, retry_contended};
use cotton_store::tickets as store;

pub use crate::error::tickets::TicketError;
pub use cotton_store::tickets::{FirstUpload, NewTicket, TicketPlots, TicketRow, TicketStatusFilter, TicketsById};


/// What an upload carries. Optional weights left out keep their earlier value.
#[derive(Debug, Clone)]
pub struct TicketUpload {
    pub ticket_no: String,
    pub season: i32,
    pub grower_id_number: String,
    pub plot_ids: Vec<i64>,
    pub gross_kg: Decimal,
    pub tare_kg: Option<Decimal>,
    pub moisture_pct: Option<Decimal>,
    pub trash_pct: Option<Decimal>,
    pub lint_yield_pct: Option<Decimal>,
    pub module_count: Option<i32>,
    pub weighed_at: DateTime<Utc>,
}

/// A ticket number as stored: trimmed, 1-32 letters, digits, `-` or `_` (VALIDATION otherwise).
pub fn validate_ticket_no(s: &str) -> AppResult<String> {
    let t = s.trim();
    let ok = !t.is_empty() && t.len() <= 32 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(AppError::Validation("磅单号须为1-32位字母、数字、“-”或“_”".into()));
    }
    Ok(t.to_string())
}

/// Checks the weights of an upload (merged with what the ticket had).
fn check_weights(gross: Decimal, tare: Option<Decimal>, moisture: Option<Decimal>, trash: Option<Decimal>, lint_yield: Option<Decimal>) -> AppResult<()> {
    weights::validate_weight_kg(gross, "毛重")?;
    if gross <= Decimal::ZERO {
        return Err(AppError::Validation("毛重必须大于0".into()));
    }
    if let Some(t) = tare {
        weights::validate_weight_kg(t, "皮重")?;
        weights::net_kg(gross, t)?;
    }
    // Percentages are stored to 0.01 (NUMERIC(5,2)): a third decimal is refused
    // rather than rounded differently by each backend.
    let two_places = |v: Decimal, what: &str| -> AppResult<()> { Ok(weights::validate_two_places(v, what).map(|_| ())?) };
    if let Some(m) = moisture {
        weights::validate_moisture_pct(m)?;
        two_places(m, "回潮率")?;
    }
    if let Some(z) = trash {
        weights::validate_trash_pct(z)?;
        two_places(z, "含杂率")?;
    }
    if let Some(y) = lint_yield {
        weights::validate_lint_yield_pct(y)?;
        two_places(y, "公定衣分率")?;
    }
    Ok(())
}

pub async fn find_grower_by_id_number(conn: &mut DbConn, id_number: &str) -> AppResult<GrowerRow> {
    let id_number = validate_id_number(id_number)?;
    cotton_store::rosters::grower_by_id_number(conn, &id_number)
        .await?
        .ok_or_else(|| AppError::NotFound("该身份证号的种植者不在任何连队名册中".into()))
}

pub async fn plot_ids_of(conn: &mut DbConn, ticket_id: i64) -> AppResult<Vec<i64>> {
    Ok(store::plot_ids_of(conn, ticket_id).await?)
}

pub async fn require(conn: &mut DbConn, id: i64) -> AppResult<TicketRow> {
    store::find(conn, id).await?.ok_or_else(|| AppError::NotFound(format!("磅单不存在（编号 {id}）")))
}

pub fn enterprise_of(me: &Principal) -> AppResult<i64> {
    me.scope.enterprise()
}

/// Uploads (or re-sends) a ticket. Re-sending the same content changes nothing.
/// A resend may add or correct tare, moisture, trash, lint yield and module
/// count, and correct the plots, until a card is printed (then TICKET_CARDED);
/// it may never change the grower, the gross weight or the weighing time
/// (CONFLICT). Lateness is judged once, on the first upload.
pub async fn upload(state: &AppState, me: &Principal, up: TicketUpload) -> AppResult<TicketRow> {
    let up = &up;
    retry_contended(|| upload_once(state, me, up)).await
}

/// One attempt of [`upload`]: `Contended` when a concurrent first upload of the
/// same ticket won the race (the next attempt is then a resend).
async fn upload_once(state: &AppState, me: &Principal, up: &TicketUpload) -> AppResult<TicketRow> {
    let enterprise_id = enterprise_of(me)?;
    let ticket_no = validate_ticket_no(&up.ticket_no)?;
    let season = cotton_domain::season::validate_season(up.season)?;
    let now = Utc::now();
    if up.weighed_at > now + chrono::Duration::minutes(5) {
        return Err(AppError::Validation("称重时间不能晚于当前时间".into()));
    }
    if let Some(m) = up.module_count {
        if !(0..=10_000).contains(&m) {
            return Err(AppError::Validation("棉膜件数须在0到10000之间".into()));
        }
    }
    let plot_ids: Vec<i64> = up.plot_ids.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
    if plot_ids.is_empty() {
        return Err(AppError::Validation("请选择籽棉来源地块".into()));
    }
    let found = {
        let mut conn = state.db.read().await?;
        lookup(&mut conn, &up.grower_id_number, &plot_ids, season).await?
    };
    let Some((grower, regiment_id)) = found.grower else {
        return Err(AppError::NotFound("该身份证号的种植者不在任何连队名册中".into()));
    };
    let plots = found.plots;
    for id in &plot_ids {
        match plots.iter().find(|p| p.id == *id) {
            None => return Err(AppError::NotFound(format!("地块不存在（编号 {id}）"))),
            Some(p) if p.grower_id != grower.id => {
                return Err(AppError::Validation(format!("地块 {} 不属于种植者 {}", p.code, grower.name)));
            }
            Some(p) if p.season != season => {
                return Err(AppError::Validation(format!("地块 {} 属于 {} 年度，不是 {} 年度", p.code, p.season, season)));
            }
            Some(_) => {}
        }
    }
    let rules = found.rules;
    let window = chrono::Duration::minutes(rules.realtime_window_minutes as i64);
    let weighed_at = up.weighed_at.naive_utc();
    let mut event = Event::new(EventTopic::TicketUploaded);
    event.enterprise_id = Some(enterprise_id);
    event.region_id = regiment_id;
    event.ticket_no = Some(ticket_no.clone());

    // The common case, a first upload, in one INSERT that yields to an existing
    // ticket (ON CONFLICT DO NOTHING); only a resend reads the old ticket.
    check_weights(up.gross_kg, up.tare_kg, up.moisture_pct, up.trash_pct, up.lint_yield_pct)?;
    let first = NewTicket {
        enterprise_id,
        ticket_no: ticket_no.clone(),
        season,
        grower_id: grower.id,
        gross_kg: Dec(up.gross_kg),
        tare_kg: up.tare_kg.map(Dec),
        moisture_pct: up.moisture_pct.map(Dec),
        trash_pct: up.trash_pct.map(Dec),
        lint_yield_pct: up.lint_yield_pct.map(Dec),
        module_count: up.module_count,
        weighed_at,
        uploaded_at: now.naive_utc(),
        late: now.naive_utc() > weighed_at + window,
        updated_at: now.naive_utc(),
    };
    let first_upload = FirstUpload { ticket: first, plot_ids: plot_ids.clone(), event: crate::events::outbox_row(&event) };
    if let Some(row) = state.ticket_commits.submit(first_upload).await?? {
        return Ok(row);
    }
    let mut conn = state.db.write().await?;

    let existing = store::find_by_no(&mut conn, enterprise_id, season, &ticket_no).await?;
    // Optional fields not sent keep what an earlier upload gave.
    let keep = |new: Option<Decimal>, old: Option<Dec>| new.or(old.map(|d| d.0));
    let tare = keep(up.tare_kg, existing.as_ref().and_then(|t| t.tare_kg));
    let moisture = keep(up.moisture_pct, existing.as_ref().and_then(|t| t.moisture_pct));
    let trash = keep(up.trash_pct, existing.as_ref().and_then(|t| t.trash_pct));
    let lint_yield = keep(up.lint_yield_pct, existing.as_ref().and_then(|t| t.lint_yield_pct));
    let module_count = up.module_count.or(existing.as_ref().and_then(|t| t.module_count));
    check_weights(up.gross_kg, tare, moisture, trash, lint_yield)?;

    if let Some(old) = &existing {
        // What the weighbridge fixed at the first upload stays: a resend may not
        // change the grower, the gross weight or the weighing time (a late ticket
        // would otherwise be made on time, manual 第二部分 一).
        refuse_changed_identity(old, &grower, up.gross_kg, weighed_at, &ticket_no)?;
        let old_plots = plot_ids_of(&mut conn, old.id).await?;
        let unchanged = old_plots == plot_ids
            && old.tare_kg.map(|d| d.0) == tare
            && old.moisture_pct.map(|d| d.0) == moisture
            && old.trash_pct.map(|d| d.0) == trash
            && old.lint_yield_pct.map(|d| d.0) == lint_yield
            && old.module_count == module_count;
        if unchanged {
            return Ok(old.clone());
        }
        if store::card_count(&mut conn, old.id).await? > 0 {
            return Err(TicketError::Carded { ticket_no: ticket_no.to_string() }.into());
        }
    }
    // Lateness is judged on the first upload, once.
    let uploaded_at = existing.as_ref().map(|t| t.uploaded_at).unwrap_or(now.naive_utc());
    let late = existing.as_ref().map(|t| t.late).unwrap_or(uploaded_at > weighed_at + window);
    let weighed_at = existing.as_ref().map(|t| t.weighed_at).unwrap_or(weighed_at);
    let existing_id = existing.as_ref().map(|t| t.id);
    let values = NewTicket {
        enterprise_id,
        ticket_no: ticket_no.clone(),
        season,
        grower_id: grower.id,
        gross_kg: Dec(up.gross_kg),
        tare_kg: tare.map(Dec),
        moisture_pct: moisture.map(Dec),
        trash_pct: trash.map(Dec),
        lint_yield_pct: lint_yield.map(Dec),
        module_count,
        weighed_at,
        uploaded_at,
        late,
        updated_at: now.naive_utc(),
    };
    let mut tx = Tx::begin(state, &mut conn).await?;
    let outcome = async {
        let row: TicketRow = match existing_id {
            None => store::insert(tx.conn(), &values).await?,
            Some(id) => {
                // Only a ticket without a card may change (checked again here, in the transaction).
                if store::card_count(tx.conn(), id).await? > 0 {
                    return Err(TicketError::Carded { ticket_no: ticket_no.to_string() }.into());
                }
                store::delete_plots(tx.conn(), id).await?;
                store::update(tx.conn(), id, &values).await?
            }
        };
        store::insert_plots_each(tx.conn(), row.id, &plot_ids).await?;
        tx.emit(event).await?;
        Ok(row)
    }
    .await;
    tx.finish(outcome).await.map_err(|e| {
        // A concurrent first upload of the same ticket won: the next attempt is a resend.
        if e.is_unique_violation() { AppError::Contended(format!("磅单 {ticket_no} 正在被同时上传，请稍后重试")) } else { e }
    })
}

/// A resend names the same grower, gross weight and weighing time as the first
/// upload, else CONFLICT naming the field (and nothing changes).
fn refuse_changed_identity(old: &TicketRow, grower: &GrowerRow, gross_kg: Decimal, weighed_at: NaiveDateTime, ticket_no: &str) -> AppResult<()> {
    use chrono::SubsecRound;
    let refuse = |field: &str, was: String, now: String| {
        Err(AppError::Conflict(format!("磅单 {ticket_no} 已上传，重发不能修改{field}（原为{was}，本次为{now}）")))
    };
    if old.grower_id != grower.id {
        return Err(AppError::Conflict(format!("磅单 {ticket_no} 已上传，重发不能修改种植者（本次为{}）", grower.name)));
    }
    if old.gross_kg.0 != gross_kg {
        return refuse("毛重", format!("{:.2}千克", old.gross_kg.0), format!("{:.2}千克", gross_kg));
    }
    // PostgreSQL keeps microseconds: compare at that precision.
    if old.weighed_at.trunc_subsecs(6) != weighed_at.trunc_subsecs(6) {
        let beijing = |t: NaiveDateTime| {
            t.and_utc().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%Y-%m-%d %H:%M:%S").to_string()
        };
        return refuse("称重时间", beijing(old.weighed_at), beijing(weighed_at));
    }
    Ok(())
}

/// What an upload checks against: the grower (with the regiment of its company,
/// for the event), the plots named, and the season's rules.
struct Lookup {
    grower: Option<(GrowerRow, Option<i64>)>,
    plots: Vec<crate::rosters::PlotRow>,
    rules: cotton_domain::season::SeasonRules,
}

async fn lookup(conn: &mut DbConn, id_number: &str, plot_ids: &[i64], season: i32) -> AppResult<Lookup> {
    let id_number = validate_id_number(id_number)?;
    let found = store::upload_lookup(conn, &id_number, plot_ids, season).await?;
    Ok(Lookup { grower: found.grower, plots: found.plots, rules: crate::season::rules_or_defaults(found.rules, season) })
}

/// Most tickets in one transaction.
const MAX_BATCH: usize = 256;

/// First uploads of tickets in group commit (docs/decisions.md "Group commit"):
/// concurrent `uploadTicket` calls whose ticket is new are written together,
/// one transaction per batch, each answered after that commit. SQLite has one
/// writer, so one committer; PostgreSQL a few, so a batch fills while the
/// previous one commits.
pub fn start_commits(db: DbPool, bus: EventBus) -> TicketCommits {
    let committers = match db {
        DbPool::Sqlite { .. } => 1,
        DbPool::Postgres { .. } => 4,
    };
    GroupCommit::start(committers, MAX_BATCH, move |batch| {
        let (db, bus) = (db.clone(), bus.clone());
        async move { write_first_uploads(&db, &bus, batch).await }
    })
}

/// Writes a batch of first uploads in one transaction. Should the batch fail
/// (a plot removed meanwhile, the database going away), each is written alone,
/// so one ticket's failure is its own answer and not the others'.
async fn write_first_uploads(db: &DbPool, bus: &EventBus, batch: Vec<FirstUpload>) -> Vec<AppResult<Option<TicketRow>>> {
    if batch.len() > 1 {
        match write_batch(db, bus, &batch).await {
            Ok(rows) => return rows.into_iter().map(Ok).collect(),
            Err(e) => tracing::info!(error = ?e, tickets = batch.len(), "a group commit failed; writing its tickets one by one"),
        }
    }
    let mut answers = Vec::with_capacity(batch.len());
    for one in batch.chunks(1) {
        answers.push(write_batch(db, bus, one).await.map(|mut rows| rows.pop().flatten()));
    }
    answers
}

async fn write_batch(db: &DbPool, bus: &EventBus, batch: &[FirstUpload]) -> AppResult<Vec<Option<TicketRow>>> {
    let mut conn = db.write().await?;
    let mut tx = Tx::begin_on(bus, &mut conn).await?;
    let written = store::insert_first_many(tx.conn(), batch).await.map_err(AppError::from);
    if let Ok(rows) = &written {
        tx.emitted_by_store(rows.iter().flatten().count());
    }
    tx.finish(written).await
}

/// For printing: the grower of an ID number and the enterprise's uploaded,
/// not-yet-carded tickets of theirs in `season`.
pub async fn uncarded_of_grower(state: &AppState, enterprise_id: i64, id_number: &str, season: i32) -> AppResult<(GrowerRow, Vec<TicketRow>)> {
    let mut conn = state.db.read().await?;
    let grower = find_grower_by_id_number(&mut conn, id_number).await?;
    let rows = store::uncarded_of_grower(&mut conn, enterprise_id, grower.id, season).await?;
    Ok((grower, rows))
}

/// Longest `search` of [`enterprise_tickets`] (a ticket number is at most 32).
const SEARCH_MAX_CHARS: usize = 32;

/// `Query.tickets`: the enterprise's own tickets of a season for its print
/// screen, by status and by part of the ticket number or grower's name, newest
/// first; with the count of all that match.
pub async fn enterprise_tickets(
    state: &AppState,
    me: &Principal,
    season: i32,
    status: Option<TicketStatusFilter>,
    search: Option<&str>,
    window: cotton_store::page::Window,
) -> AppResult<(i64, cotton_store::page::Fetched<TicketRow>)> {
    let enterprise_id = enterprise_of(me)?;
    let season = cotton_domain::season::validate_season(season)?;
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = search {
        if s.chars().count() > SEARCH_MAX_CHARS {
            return Err(AppError::Validation(format!("搜索内容不能超过{SEARCH_MAX_CHARS}个字符")));
        }
    }
    // LIKE's wildcards are searched for as nothing (a ticket number has neither).
    let search = search.map(|s| s.replace(['%', '_', '\\'], "")).filter(|s| !s.is_empty());
    let mut conn = state.db.read().await?;
    Ok(store::enterprise_page(&mut conn, enterprise_id, season, status, search.as_deref(), window).await?)
}
