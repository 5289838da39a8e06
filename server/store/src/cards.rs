//! `cards`: row types and queries.

use chrono::NaiveDateTime;

use crate::page_query;
use crate::prelude::*;
use crate::schema::*;
use crate::Dec;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = trace_cards)]
pub struct CardRow {
    pub id: i64,
    pub card_no: String,
    pub season: i32,
    pub ticket_id: i64,
    pub unit_id: i64,
    pub enterprise_id: i64,
    pub module_type: String,
    pub module_count: i32,
    pub target_lint_kg: Dec,
    pub processed_lint_kg: Dec,
    pub processable_bales: i32,
    pub status: String,
    pub printed_by: i64,
    pub printed_at: NaiveDateTime,
    /// `AUTO` or `MANUAL` once FINISHED (a CHECK ties it to the status).
    pub finished_by: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = print_records)]
pub struct PrintRecordRow {
    pub id: i64,
    pub card_id: i64,
    pub copies: i32,
    pub reprint: bool,
    pub printer: String,
    pub by_account: i64,
    pub at: NaiveDateTime,
}

impl CardRow {
    pub fn finish_kind(&self) -> Option<cotton_domain::line::FinishKind> {
        self.finished_by.as_deref().and_then(cotton_domain::line::FinishKind::parse)
    }
}

use std::collections::HashMap;

use crate::batch::BatchLookup;
use crate::units::UnitRow;
use crate::{DbConn, StoreResult};

pub use crate::page::{Fetched as Page, Window as PageWindow};


/// A card as printing inserts it (its number a placeholder until the row id is known).
pub struct NewCard<'a> {
    pub card_no: String,
    pub season: i32,
    pub ticket_id: i64,
    pub unit_id: i64,
    pub enterprise_id: i64,
    pub module_type: &'a str,
    pub module_count: i32,
    pub target_lint_kg: Dec,
    pub processed_lint_kg: Dec,
    pub processable_bales: i32,
    pub status: &'a str,
    pub printed_by: i64,
    pub printed_at: NaiveDateTime,
}

pub struct NewPrintRecord<'a> {
    pub card_id: i64,
    pub copies: i32,
    pub reprint: bool,
    pub printer: &'a str,
    pub by_account: i64,
    pub at: NaiveDateTime,
}

pub async fn find_by_card_no(conn: &mut DbConn, canonical: &str) -> StoreResult<Option<CardRow>> {
    Ok(db_run!(conn: {
        trace_cards::table.filter(trace_cards::card_no.eq(canonical)).select(CardRow::as_select()).first(conn).await.optional()?
    }))
}

/// [`find_by_card_no`] with the card's unit, in one statement.
pub async fn find_by_card_no_with_unit(conn: &mut DbConn, canonical: &str) -> StoreResult<Option<(CardRow, UnitRow)>> {
    Ok(db_run!(conn: {
        trace_cards::table
            .inner_join(trace_units::table.on(trace_units::id.eq(trace_cards::unit_id)))
            .filter(trace_cards::card_no.eq(canonical))
            .select((CardRow::as_select(), UnitRow::as_select()))
            .first(conn)
            .await
            .optional()?
    }))
}

/// The number of the card printed for a ticket, if any.
pub async fn card_no_of_ticket(conn: &mut DbConn, ticket_id: i64) -> StoreResult<Option<String>> {
    Ok(db_run!(conn: {
        trace_cards::table.filter(trace_cards::ticket_id.eq(ticket_id)).select(trace_cards::card_no).first(conn).await.optional()?
    }))
}

/// Inserts a printed card; answers its id.
pub async fn insert(conn: &mut DbConn, new: &NewCard<'_>) -> StoreResult<i64> {
    let values = (
        trace_cards::card_no.eq(new.card_no.clone()),
        trace_cards::season.eq(new.season),
        trace_cards::ticket_id.eq(new.ticket_id),
        trace_cards::unit_id.eq(new.unit_id),
        trace_cards::enterprise_id.eq(new.enterprise_id),
        trace_cards::module_type.eq(new.module_type.to_string()),
        trace_cards::module_count.eq(new.module_count),
        trace_cards::target_lint_kg.eq(new.target_lint_kg),
        trace_cards::processed_lint_kg.eq(new.processed_lint_kg),
        trace_cards::processable_bales.eq(new.processable_bales),
        trace_cards::status.eq(new.status),
        trace_cards::printed_by.eq(new.printed_by),
        trace_cards::printed_at.eq(new.printed_at),
    );
    Ok(db_run!(conn: {
        diesel::insert_into(trace_cards::table).values(values).returning(trace_cards::id).get_result(conn).await?
    }))
}

/// Gives card `id` its number.
pub async fn set_card_no(conn: &mut DbConn, id: i64, card_no: &str) -> StoreResult<CardRow> {
    Ok(db_run!(conn: {
        diesel::update(trace_cards::table.find(id))
            .set(trace_cards::card_no.eq(card_no))
            .returning(CardRow::as_returning())
            .get_result(conn)
            .await?
    }))
}

pub async fn insert_print_record(conn: &mut DbConn, new: &NewPrintRecord<'_>) -> StoreResult<PrintRecordRow> {
    Ok(db_run!(conn: {
        diesel::insert_into(print_records::table)
            .values((
                print_records::card_id.eq(new.card_id),
                print_records::copies.eq(new.copies),
                print_records::reprint.eq(new.reprint),
                print_records::printer.eq(new.printer),
                print_records::by_account.eq(new.by_account),
                print_records::at.eq(new.at),
            ))
            .returning(PrintRecordRow::as_returning())
            .get_result(conn)
            .await?
    }))
}

/// The printer model of the card's latest print.
pub async fn last_printer(conn: &mut DbConn, card_id: i64) -> StoreResult<Option<String>> {
    Ok(db_run!(conn: {
        print_records::table
            .filter(print_records::card_id.eq(card_id))
            .order(print_records::id.desc())
            .select(print_records::printer)
            .first(conn)
            .await
            .optional()?
    }))
}

/// The filters of an enterprise's print records (each `None` filters nothing;
/// numbers already canonical).
pub struct PrintRecordFilter {
    pub enterprise_id: i64,
    pub season: Option<i32>,
    pub card_no: Option<String>,
    pub grower_id_number: Option<String>,
    pub ticket_no: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// The count of all filtered print records and the window's page of them, newest first.
pub async fn print_records_page(conn: &mut DbConn, f: &PrintRecordFilter, window: PageWindow) -> StoreResult<(i64, Page<PrintRecordRow>)> {
    macro_rules! filtered {
        () => {{
            let mut q = print_records::table
                .inner_join(trace_cards::table.inner_join(tickets::table.inner_join(growers::table)))
                .filter(trace_cards::enterprise_id.eq(f.enterprise_id))
                .into_boxed();
            if let Some(s) = f.season {
                q = q.filter(trace_cards::season.eq(s));
            }
            if let Some(c) = &f.card_no {
                q = q.filter(trace_cards::card_no.eq(c.clone()));
            }
            if let Some(i) = &f.grower_id_number {
                q = q.filter(growers::id_number.eq(i.clone()));
            }
            if let Some(t) = &f.ticket_no {
                q = q.filter(tickets::ticket_no.eq(t.clone()));
            }
            if let Some(from) = f.from {
                q = q.filter(print_records::at.ge(from));
            }
            if let Some(to) = f.to {
                q = q.filter(print_records::at.le(to));
            }
            q
        }};
    }
    Ok(db_run!(conn: {
        let total = filtered!().count().get_result(conn).await?;
        (total, page_query!(conn, filtered, print_records::id, desc, window, PrintRecordRow::as_select()))
    }))
}

/// An enterprise's cards of a season counted by status.
pub async fn count_by_status(conn: &mut DbConn, enterprise_id: i64, season: i32) -> StoreResult<Vec<(String, i64)>> {
    Ok(db_run!(conn: {
        trace_cards::table
            .filter(trace_cards::enterprise_id.eq(enterprise_id))
            .filter(trace_cards::season.eq(season))
            .group_by(trace_cards::status)
            .select((trace_cards::status, diesel::dsl::count_star()))
            .load(conn)
            .await?
    }))
}

/// Cards by ticket id (a ticket's card).
pub struct CardsByTicket;

impl BatchLookup for CardsByTicket {
    type Key = i64;
    type Value = CardRow;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, CardRow>> {
        let rows: Vec<CardRow> = db_run!(conn: {
            trace_cards::table.filter(trace_cards::ticket_id.eq_any(keys)).select(CardRow::as_select()).load(conn).await?
        });
        Ok(rows.into_iter().map(|c| (c.ticket_id, c)).collect())
    }
}

/// Cards by id.
pub struct CardsById;

impl BatchLookup for CardsById {
    type Key = i64;
    type Value = CardRow;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, CardRow>> {
        let rows: Vec<CardRow> = db_run!(conn: {
            trace_cards::table.filter(trace_cards::id.eq_any(keys)).select(CardRow::as_select()).load(conn).await?
        });
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}
