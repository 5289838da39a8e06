//! `tickets`: row types and queries.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::prelude::*;
use crate::schema::*;
use crate::Dec;
use cotton_domain::weights;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct TicketRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub ticket_no: String,
    pub season: i32,
    pub grower_id: i64,
    pub gross_kg: Dec,
    pub tare_kg: Option<Dec>,
    pub moisture_pct: Option<Dec>,
    pub trash_pct: Option<Dec>,
    pub lint_yield_pct: Option<Dec>,
    pub module_count: Option<i32>,
    pub weighed_at: NaiveDateTime,
    pub uploaded_at: NaiveDateTime,
    pub late: bool,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub struct NewTicket {
    pub enterprise_id: i64,
    pub ticket_no: String,
    pub season: i32,
    pub grower_id: i64,
    pub gross_kg: Dec,
    pub tare_kg: Option<Dec>,
    pub moisture_pct: Option<Dec>,
    pub trash_pct: Option<Dec>,
    pub lint_yield_pct: Option<Dec>,
    pub module_count: Option<i32>,
    pub weighed_at: NaiveDateTime,
    pub uploaded_at: NaiveDateTime,
    pub late: bool,
    pub updated_at: NaiveDateTime,
}

impl TicketRow {
    pub fn net_kg(&self) -> Option<Decimal> {
        self.tare_kg.map(|t| self.gross_kg.0 - t.0)
    }

    /// 折皮棉公定重量 = net × 公定衣分率 / 100, once both are known.
    pub fn lint_target_kg(&self) -> Option<Decimal> {
        Some(weights::lint_target_kg(self.net_kg()?, self.lint_yield_pct?.0))
    }
}

use std::collections::HashMap;

use crate::batch::BatchLookup;
use crate::rosters::{GrowerRow, PlotRow};
use crate::season::SeasonRulesRow;
use crate::{DbConn, PgConn, SqliteConn, StoreResult};

/// The columns of a ticket as a resend writes them (insert or update), in the
/// order of [`NewTicket`].
macro_rules! ticket_values {
    ($t:expr) => {{
        let t: &NewTicket = $t;
        (
            tickets::enterprise_id.eq(t.enterprise_id),
            tickets::ticket_no.eq(t.ticket_no.clone()),
            tickets::season.eq(t.season),
            tickets::grower_id.eq(t.grower_id),
            tickets::gross_kg.eq(t.gross_kg),
            tickets::tare_kg.eq(t.tare_kg),
            tickets::moisture_pct.eq(t.moisture_pct),
            tickets::trash_pct.eq(t.trash_pct),
            tickets::lint_yield_pct.eq(t.lint_yield_pct),
            tickets::module_count.eq(t.module_count),
            tickets::weighed_at.eq(t.weighed_at),
            tickets::uploaded_at.eq(t.uploaded_at),
            tickets::late.eq(t.late),
            tickets::updated_at.eq(t.updated_at),
        )
    }};
}

/// The plots of a ticket, by plot id.
pub async fn plot_ids_of(conn: &mut DbConn, ticket_id: i64) -> StoreResult<Vec<i64>> {
    Ok(db_run!(conn: {
        ticket_plots::table
            .filter(ticket_plots::ticket_id.eq(ticket_id))
            .order(ticket_plots::plot_id)
            .select(ticket_plots::plot_id)
            .load(conn)
            .await?
    }))
}

pub async fn find(conn: &mut DbConn, id: i64) -> StoreResult<Option<TicketRow>> {
    Ok(db_run!(conn: {
        tickets::table.find(id).select(TicketRow::as_select()).first(conn).await.optional()?
    }))
}

/// The ticket of an enterprise's season with this number.
pub async fn find_by_no(conn: &mut DbConn, enterprise_id: i64, season: i32, ticket_no: &str) -> StoreResult<Option<TicketRow>> {
    Ok(db_run!(conn: {
        tickets::table
            .filter(tickets::enterprise_id.eq(enterprise_id))
            .filter(tickets::season.eq(season))
            .filter(tickets::ticket_no.eq(ticket_no))
            .select(TicketRow::as_select())
            .first(conn)
            .await
            .optional()?
    }))
}

/// How many trace cards a ticket has (0 or 1).
pub async fn card_count(conn: &mut DbConn, ticket_id: i64) -> StoreResult<i64> {
    Ok(db_run!(conn: {
        trace_cards::table.filter(trace_cards::ticket_id.eq(ticket_id)).count().get_result(conn).await?
    }))
}

/// Inserts a ticket (a resend of a ticket that was not there after all).
pub async fn insert(conn: &mut DbConn, ticket: &NewTicket) -> StoreResult<TicketRow> {
    Ok(db_run!(conn: {
        diesel::insert_into(tickets::table)
            .values(ticket_values!(ticket))
            .returning(TicketRow::as_returning())
            .get_result(conn)
            .await?
    }))
}

/// Overwrites ticket `id` with `ticket`.
pub async fn update(conn: &mut DbConn, id: i64, ticket: &NewTicket) -> StoreResult<TicketRow> {
    Ok(db_run!(conn: {
        diesel::update(tickets::table.find(id))
            .set(ticket_values!(ticket))
            .returning(TicketRow::as_returning())
            .get_result(conn)
            .await?
    }))
}

pub async fn delete_plots(conn: &mut DbConn, ticket_id: i64) -> StoreResult<()> {
    db_run!(conn: {
        diesel::delete(ticket_plots::table.filter(ticket_plots::ticket_id.eq(ticket_id))).execute(conn).await?;
    });
    Ok(())
}

/// Links the ticket to its plots, one INSERT per plot.
pub async fn insert_plots_each(conn: &mut DbConn, ticket_id: i64, plot_ids: &[i64]) -> StoreResult<()> {
    for p in plot_ids {
        db_run!(conn: {
            diesel::insert_into(ticket_plots::table)
                .values((ticket_plots::ticket_id.eq(ticket_id), ticket_plots::plot_id.eq(*p)))
                .execute(conn)
                .await?;
        });
    }
    Ok(())
}

/// What an upload checks against: the grower of the ID number with the regiment
/// of its company, the plots named, and the season's stored rules.
pub struct UploadLookup {
    pub grower: Option<(GrowerRow, Option<i64>)>,
    pub plots: Vec<PlotRow>,
    pub rules: Option<SeasonRulesRow>,
}

/// The three independent lookups of an upload; on PostgreSQL pipelined on one
/// connection (one round trip).
pub async fn upload_lookup(conn: &mut DbConn, id_number: &str, plot_ids: &[i64], season: i32) -> StoreResult<UploadLookup> {
    let ids = plot_ids.to_vec();
    let (grower, plots, rules) = match conn {
        DbConn::Postgres(c) => {
            use diesel_async::RunQueryDsl;
            let c: &PgConn = c;
            let g = growers::table
                .inner_join(orgs::table.on(orgs::id.eq(growers::company_id)))
                .filter(growers::id_number.eq(id_number))
                .select((GrowerRow::as_select(), orgs::regiment_id))
                .first::<(GrowerRow, Option<i64>)>(&mut &*c);
            let p = plots::table.filter(plots::id.eq_any(&ids)).select(PlotRow::as_select()).load(&mut &*c);
            let r = season_rules::table.find(season).select(SeasonRulesRow::as_select()).first::<SeasonRulesRow>(&mut &*c);
            let (g, p, r) = futures_util::join!(g, p, r);
            (g.optional()?, p?, r.optional()?)
        }
        DbConn::Sqlite(c) => {
            use diesel_async::RunQueryDsl;
            let c: &mut SqliteConn = c;
            let g = growers::table
                .inner_join(orgs::table.on(orgs::id.eq(growers::company_id)))
                .filter(growers::id_number.eq(id_number))
                .select((GrowerRow::as_select(), orgs::regiment_id))
                .first::<(GrowerRow, Option<i64>)>(c)
                .await
                .optional()?;
            let p = plots::table.filter(plots::id.eq_any(&ids)).select(PlotRow::as_select()).load(c).await?;
            let r = season_rules::table.find(season).select(SeasonRulesRow::as_select()).first::<SeasonRulesRow>(c).await.optional()?;
            (g, p, r)
        }
    };
    Ok(UploadLookup { grower, plots, rules })
}

/// Inside the caller's transaction: inserts a ticket never uploaded before, its
/// plots and its event's outbox row (on PostgreSQL the last two pipelined, one
/// round trip). `None`, and nothing written, when the ticket already exists.
pub async fn insert_first(conn: &mut DbConn, ticket: &NewTicket, plot_ids: &[i64], event: &crate::events::NewEvent) -> StoreResult<Option<TicketRow>> {
    let row: Option<TicketRow> = db_run!(conn: {
        diesel::insert_into(tickets::table)
            .values(ticket)
            .on_conflict((tickets::enterprise_id, tickets::season, tickets::ticket_no))
            .do_nothing()
            .returning(TicketRow::as_returning())
            .get_result(conn)
            .await
            .optional()?
    });
    let Some(row) = row else { return Ok(None) };
    let plot_rows: Vec<_> = plot_ids.iter().map(|p| (ticket_plots::ticket_id.eq(row.id), ticket_plots::plot_id.eq(*p))).collect();
    match conn {
        DbConn::Postgres(c) => {
            // The plots and the event pipelined: one round trip.
            use diesel_async::RunQueryDsl;
            let c: &PgConn = c;
            let plots = diesel::insert_into(ticket_plots::table).values(plot_rows).execute(&mut &*c);
            let outbox = crate::events::insert_one_pg(c, event);
            let (p, n) = futures_util::join!(plots, outbox);
            p?;
            n?;
        }
        DbConn::Sqlite(c) => {
            use diesel_async::RunQueryDsl;
            let c: &mut SqliteConn = c;
            for values in plot_rows {
                diesel::insert_into(ticket_plots::table).values(values).execute(c).await?;
            }
        }
    }
    if let DbConn::Sqlite(_) = conn {
        crate::events::insert(conn, std::slice::from_ref(event)).await?;
    }
    Ok(Some(row))
}

/// Which of an enterprise's tickets a listing wants (`Query.tickets`): those
/// that may still get a card, those that have one, those too late for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStatusFilter {
    Uncarded,
    Carded,
    Late,
}

/// A page of an enterprise's tickets of a season, newest first, with the count
/// of all that match; `search` (already bounded and stripped of LIKE's
/// wildcards by the caller) matches part of the ticket number or of the
/// grower's name.
pub async fn enterprise_page(
    conn: &mut DbConn,
    enterprise_id: i64,
    season: i32,
    status: Option<TicketStatusFilter>,
    search: Option<&str>,
    window: crate::page::Window,
) -> StoreResult<(i64, crate::page::Fetched<TicketRow>)> {
    use diesel::dsl::{exists, not};
    let like = search.map(|s| format!("%{s}%"));
    // One filter, built for the count and the page, so they always agree.
    macro_rules! filtered {
        () => {{
            let mut q = tickets::table.filter(tickets::enterprise_id.eq(enterprise_id)).filter(tickets::season.eq(season)).into_boxed();
            let carded = exists(trace_cards::table.filter(trace_cards::ticket_id.eq(tickets::id)));
            q = match status {
                None => q,
                Some(TicketStatusFilter::Uncarded) => q.filter(tickets::late.eq(false)).filter(not(carded)),
                Some(TicketStatusFilter::Carded) => q.filter(carded),
                Some(TicketStatusFilter::Late) => q.filter(tickets::late.eq(true)),
            };
            if let Some(like) = &like {
                q = q.filter(
                    tickets::ticket_no
                        .like(like.clone())
                        .or(exists(growers::table.filter(growers::id.eq(tickets::grower_id)).filter(growers::name.like(like.clone())))),
                );
            }
            q
        }};
    }
    Ok(db_run!(conn: {
        let total = filtered!().count().get_result(conn).await?;
        (total, crate::page_query!(conn, filtered, tickets::id, desc, window, TicketRow::as_select()))
    }))
}

/// One ticket of a group-commit batch: the ticket, its plots, its event's outbox row.
pub struct FirstUpload {
    pub ticket: NewTicket,
    pub plot_ids: Vec<i64>,
    pub event: crate::events::NewEvent,
}

/// Inside the caller's transaction: [`insert_first`] for a batch of tickets,
/// answered in order (`None`: the ticket existed, or an earlier one of the batch
/// has its number; nothing written for it). On PostgreSQL three statements for
/// the whole batch (the tickets, then their plots and events pipelined).
pub async fn insert_first_many(conn: &mut DbConn, batch: &[FirstUpload]) -> StoreResult<Vec<Option<TicketRow>>> {
    let key = |t: &NewTicket| (t.enterprise_id, t.season, t.ticket_no.clone());
    // The first of a number in the batch goes in; a later one is a resend.
    let mut first_of: std::collections::HashMap<(i64, i32, String), usize> = std::collections::HashMap::new();
    let is_first: Vec<bool> = (0..batch.len()).map(|i| *first_of.entry(key(&batch[i].ticket)).or_insert(i) == i).collect();
    let DbConn::Postgres(c) = conn else {
        let mut out = Vec::with_capacity(batch.len());
        for (i, up) in batch.iter().enumerate() {
            out.push(if is_first[i] { insert_first(conn, &up.ticket, &up.plot_ids, &up.event).await? } else { None });
        }
        return Ok(out);
    };
    use diesel_async::RunQueryDsl;
    let c: &mut PgConn = c;
    let tickets: Vec<&NewTicket> = batch.iter().zip(&is_first).filter(|(_, f)| **f).map(|(up, _)| &up.ticket).collect();
    let inserted: Vec<TicketRow> = diesel::insert_into(tickets::table)
        .values(tickets)
        .on_conflict((tickets::enterprise_id, tickets::season, tickets::ticket_no))
        .do_nothing()
        .returning(TicketRow::as_returning())
        .get_results(c)
        .await?;
    let mut by_key: std::collections::HashMap<(i64, i32, String), TicketRow> =
        inserted.into_iter().map(|r| ((r.enterprise_id, r.season, r.ticket_no.clone()), r)).collect();
    let mut out: Vec<Option<TicketRow>> = Vec::with_capacity(batch.len());
    let mut plot_rows = Vec::new();
    let mut events = Vec::new();
    for (i, up) in batch.iter().enumerate() {
        let row = if is_first[i] { by_key.remove(&key(&up.ticket)) } else { None };
        if let Some(r) = &row {
            plot_rows.extend(up.plot_ids.iter().map(|p| (ticket_plots::ticket_id.eq(r.id), ticket_plots::plot_id.eq(*p))));
            events.push(up.event.clone());
        }
        out.push(row);
    }
    if !plot_rows.is_empty() {
        let c: &PgConn = c;
        let plots = diesel::insert_into(ticket_plots::table).values(plot_rows).execute(&mut &*c);
        let outbox = diesel::insert_into(crate::schema::events::table).values(events).execute(&mut &*c);
        let (p, e) = futures_util::join!(plots, outbox);
        p?;
        e?;
    }
    Ok(out)
}

/// An enterprise's tickets of a grower in a season that have no card yet, by weighing time.
pub async fn uncarded_of_grower(conn: &mut DbConn, enterprise_id: i64, grower_id: i64, season: i32) -> StoreResult<Vec<TicketRow>> {
    Ok(db_run!(conn: {
        tickets::table
            .filter(tickets::enterprise_id.eq(enterprise_id))
            .filter(tickets::grower_id.eq(grower_id))
            .filter(tickets::season.eq(season))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                trace_cards::table.filter(trace_cards::ticket_id.eq(tickets::id)),
            )))
            .order(tickets::weighed_at)
            .select(TicketRow::as_select())
            .load(conn)
            .await?
    }))
}

/// Tickets by id (a card's ticket).
pub struct TicketsById;

impl BatchLookup for TicketsById {
    type Key = i64;
    type Value = TicketRow;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, TicketRow>> {
        let rows: Vec<TicketRow> = db_run!(conn: {
            tickets::table.filter(tickets::id.eq_any(keys)).select(TicketRow::as_select()).load(conn).await?
        });
        Ok(rows.into_iter().map(|t| (t.id, t)).collect())
    }
}

/// The plot ids of each ticket (every key present, a ticket without plots empty).
pub struct TicketPlots;

impl BatchLookup for TicketPlots {
    type Key = i64;
    type Value = Vec<i64>;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, Vec<i64>>> {
        let rows: Vec<(i64, i64)> = db_run!(conn: {
            ticket_plots::table
                .filter(ticket_plots::ticket_id.eq_any(keys))
                .order((ticket_plots::ticket_id, ticket_plots::plot_id))
                .select((ticket_plots::ticket_id, ticket_plots::plot_id))
                .load(conn)
                .await?
        });
        let mut out: HashMap<i64, Vec<i64>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (t, p) in rows {
            out.entry(t).or_default().push(p);
        }
        Ok(out)
    }
}
