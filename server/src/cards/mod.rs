//! Trace cards (追溯卡): printed for a complete, real-time ticket whose plots lie in
//! one approved unit; one card per ticket; every print and reprint is recorded.

pub mod graphql;

use std::collections::HashMap;

use chrono::Utc;
use cotton_domain::card_no::{format_card_no, parse_card_no};
use cotton_domain::units::UnitStatus;
use cotton_domain::weights;

use crate::auth::Principal;
use crate::db::prelude::*;
use crate::db::schema::{print_records, trace_cards, unit_plots};
use crate::db::{DbConn, DbPool, Dec};
use crate::error::{AppError, AppResult};
use crate::events::{Event, EventTopic, StageEvent};
use crate::state::AppState;

pub use cotton_store::cards::{CardRow, PrintRecordRow};

/// A rendered label file.
#[derive(Debug, Clone)]
pub struct RenderedFile {
    pub file_name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

pub const MAX_COPIES: i32 = 100;

/// Finds a card by number; a mistyped number (wrong check digit) is CARD_CHECKSUM.
pub async fn find_by_card_no(conn: &mut DbConn, card_no: &str) -> AppResult<Option<CardRow>> {
    let (season, serial) = parse_card_no(card_no)?;
    let canonical = format_card_no(season, serial);
    Ok(db_run!(conn: {
        trace_cards::table.filter(trace_cards::card_no.eq(&canonical)).select(CardRow::as_select()).first(conn).await.optional()?
    }))
}

/// [`find_by_card_no`] with the card's unit, in one statement.
pub async fn find_by_card_no_with_unit(conn: &mut DbConn, card_no: &str) -> AppResult<Option<(CardRow, crate::units::UnitRow)>> {
    use crate::db::schema::trace_units;
    let (season, serial) = parse_card_no(card_no)?;
    let canonical = format_card_no(season, serial);
    Ok(db_run!(conn: {
        trace_cards::table
            .inner_join(trace_units::table.on(trace_units::id.eq(trace_cards::unit_id)))
            .filter(trace_cards::card_no.eq(&canonical))
            .select((CardRow::as_select(), crate::units::UnitRow::as_select()))
            .first(conn)
            .await
            .optional()?
    }))
}

fn check_copies(copies: i32) -> AppResult<u32> {
    if !(1..=MAX_COPIES).contains(&copies) {
        return Err(AppError::Validation(format!("打印份数须在1到{MAX_COPIES}之间")));
    }
    Ok(copies as u32)
}

/// Prints the card of a ticket on `printer`, else the enterprise's default printer,
/// else PDF. Refusals: not this enterprise's ticket (FORBIDDEN), late
/// (TICKET_LATE), incomplete (VALIDATION), plots not all in one approved unit
/// (UNIT_NOT_APPROVED), already carded (CONFLICT), a printer model no plugin
/// serves (VALIDATION), a default printer no longer loaded (PLUGIN).
pub async fn print(
    state: &AppState,
    me: &Principal,
    ticket_id: i64,
    module_type: &str,
    module_count: i32,
    copies: i32,
    printer: Option<&str>,
) -> AppResult<(CardRow, PrintRecordRow, RenderedFile)> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let copies = check_copies(copies)?;
    if !(0..=10_000).contains(&module_count) {
        return Err(AppError::Validation("棉膜件数须在0到10000之间".into()));
    }
    let mut conn = state.db.write().await?;
    let ticket = crate::tickets::require(&mut conn, ticket_id).await?;
    if ticket.enterprise_id != enterprise_id {
        return Err(AppError::Forbidden("只能为本企业的磅单打印追溯卡".into()));
    }
    let carded: Option<String> = db_run!(conn: {
        trace_cards::table.filter(trace_cards::ticket_id.eq(ticket_id)).select(trace_cards::card_no).first(conn).await.optional()?
    });
    if let Some(no) = carded {
        return Err(AppError::Conflict(format!("该磅单已打印追溯卡 {no}，如需再打请使用补打")));
    }
    if ticket.late {
        let rules = crate::season::rules_for(&mut conn, ticket.season).await?;
        return Err(AppError::TicketLate(format!(
            "磅单 {} 未在称重后 {} 分钟内实时上传，不能打印追溯卡",
            ticket.ticket_no, rules.realtime_window_minutes
        )));
    }
    let (Some(net), Some(lint_yield)) = (ticket.net_kg(), ticket.lint_yield_pct) else {
        return Err(AppError::Validation(format!("磅单 {} 缺少皮重或公定衣分率，请补传后再打印", ticket.ticket_no)));
    };
    let unit = approved_unit_of_ticket(&mut conn, &ticket).await?;
    let rules = crate::season::rules_for(&mut conn, ticket.season).await?;
    let target = weights::lint_target_kg(net, lint_yield.0);
    let bales = weights::processable_bales(target, rules.nominal_bale_kg);
    let grower = crate::rosters::growers_by_ids(&mut conn, &[ticket.grower_id]).await?.pop().ok_or_else(|| AppError::internal("grower missing"))?;
    let enterprise = crate::orgs::require(&mut conn, enterprise_id).await?;
    let printer = crate::printing::resolve_for_enterprise(state, &mut conn, enterprise_id, printer).await?;
    let now = Utc::now();
    let placeholder = format!("TMP-{}", crate::auth::random_token(16));
    let values = (
        trace_cards::card_no.eq(placeholder),
        trace_cards::season.eq(ticket.season),
        trace_cards::ticket_id.eq(ticket.id),
        trace_cards::unit_id.eq(unit.id),
        trace_cards::enterprise_id.eq(enterprise_id),
        trace_cards::module_type.eq(module_type.to_string()),
        trace_cards::module_count.eq(module_count),
        trace_cards::target_lint_kg.eq(Dec(target)),
        trace_cards::processed_lint_kg.eq(Dec(rust_decimal::Decimal::ZERO)),
        trace_cards::processable_bales.eq(bales as i32),
        trace_cards::status.eq("PRINTED"),
        trace_cards::printed_by.eq(me.account_id),
        trace_cards::printed_at.eq(now.naive_utc()),
    );
    let season = ticket.season;
    let result: AppResult<(CardRow, PrintRecordRow, RenderedFile, Event)> = db_run!(conn: {
        conn.transaction(async |conn| {
            let id: i64 = diesel::insert_into(trace_cards::table).values(values).returning(trace_cards::id).get_result(conn).await?;
            // The card number: TC + season + serial (the row id) + check digit.
            let card: CardRow = diesel::update(trace_cards::table.find(id))
                .set(trace_cards::card_no.eq(format_card_no(season, id as u64)))
                .returning(CardRow::as_returning())
                .get_result(conn)
                .await?;
            let record: PrintRecordRow = diesel::insert_into(print_records::table)
                .values((
                    print_records::card_id.eq(id),
                    print_records::copies.eq(copies as i32),
                    print_records::reprint.eq(false),
                    print_records::printer.eq(printer.model()),
                    print_records::by_account.eq(me.account_id),
                    print_records::at.eq(now.naive_utc()),
                ))
                .returning(PrintRecordRow::as_returning())
                .get_result(conn)
                .await?;
            // Rendered inside the transaction: a printer failure leaves no card behind.
            let file = printer.render(&card, &ticket, &grower.name, &unit.name, &enterprise.name, copies, false, now)?;
            let mut event = Event::new(EventTopic::CardPrinted);
            event.enterprise_id = Some(enterprise_id);
            event.region_id = Some(unit.regiment_id);
            event.unit_id = Some(unit.id);
            event.card_no = Some(card.card_no.clone());
            event.ticket_no = Some(ticket.ticket_no.clone());
            conn.stage_event(&event).await?;
            Ok::<_, AppError>((card, record, file, event))
        })
        .await
    });
    let (card, record, file, event) = result.map_err(|e| {
        if e.is_unique_violation() { AppError::Conflict("该磅单已打印追溯卡，如需再打请使用补打".into()) } else { e }
    })?;
    state.bus.committed(event);
    Ok((card, record, file))
}

/// The unit all of a ticket's plots lie in, which must be APPROVED.
async fn approved_unit_of_ticket(conn: &mut DbConn, ticket: &crate::tickets::TicketRow) -> AppResult<crate::units::UnitRow> {
    let plot_ids = crate::tickets::plot_ids_of(conn, ticket.id).await?;
    let holders: Vec<(i64, i64)> = db_run!(conn: {
        unit_plots::table
            .filter(unit_plots::plot_id.eq_any(&plot_ids))
            .filter(unit_plots::released_at.is_null())
            .select((unit_plots::plot_id, unit_plots::unit_id))
            .load(conn)
            .await?
    });
    if let Some(free) = plot_ids.iter().find(|p| !holders.iter().any(|(h, _)| h == *p)) {
        let code = crate::rosters::plots_by_ids(conn, &[*free]).await?.pop().map(|p| p.code).unwrap_or_default();
        return Err(AppError::UnitNotApproved(format!("地块 {code} 未加入任何追溯单元，不能打印追溯卡")));
    }
    let mut units: Vec<i64> = holders.iter().map(|(_, u)| *u).collect();
    units.sort_unstable();
    units.dedup();
    if units.len() > 1 {
        return Err(AppError::UnitNotApproved("磅单的地块分属多个追溯单元，请按追溯单元分别过磅".into()));
    }
    let unit = crate::units::service::require_unit(conn, units[0]).await?;
    if unit.status() != UnitStatus::Approved {
        return Err(AppError::UnitNotApproved(format!(
            "追溯单元 {} 当前为{}，审核通过后才能打印追溯卡",
            unit.name,
            unit.status().label_zh()
        )));
    }
    Ok(unit)
}

/// 补打: same card number, a new record marked reprint, on the enterprise's
/// default printer (else the card's last printer, else PDF).
pub async fn reprint(state: &AppState, me: &Principal, card_no: &str, copies: i32) -> AppResult<(CardRow, PrintRecordRow, RenderedFile)> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let copies = check_copies(copies)?;
    let mut conn = state.db.write().await?;
    let card = find_by_card_no(&mut conn, card_no)
        .await?
        .filter(|c| c.enterprise_id == enterprise_id)
        .ok_or_else(|| AppError::NotFound(format!("本企业没有追溯卡 {}", card_no.trim())))?;
    let ticket = crate::tickets::require(&mut conn, card.ticket_id).await?;
    let unit = crate::units::service::require_unit(&mut conn, card.unit_id).await?;
    let grower = crate::rosters::growers_by_ids(&mut conn, &[ticket.grower_id]).await?.pop().ok_or_else(|| AppError::internal("grower missing"))?;
    let enterprise = crate::orgs::require(&mut conn, enterprise_id).await?;
    let last_printer: Option<String> = db_run!(conn: {
        print_records::table
            .filter(print_records::card_id.eq(card.id))
            .order(print_records::id.desc())
            .select(print_records::printer)
            .first(conn)
            .await
            .optional()?
    });
    let printer = crate::printing::resolve_for_reprint(state, &mut conn, enterprise_id, last_printer.as_deref()).await?;
    let now = Utc::now();
    let file = printer.render(&card, &ticket, &grower.name, &unit.name, &enterprise.name, copies, true, now)?;
    let record: PrintRecordRow = db_run!(conn: {
        diesel::insert_into(print_records::table)
            .values((
                print_records::card_id.eq(card.id),
                print_records::copies.eq(copies as i32),
                print_records::reprint.eq(true),
                print_records::printer.eq(printer.model()),
                print_records::by_account.eq(me.account_id),
                print_records::at.eq(now.naive_utc()),
            ))
            .returning(PrintRecordRow::as_returning())
            .get_result(conn)
            .await?
    });
    Ok((card, record, file))
}

pub struct CardByTicketLoader {
    pub db: DbPool,
}

impl async_graphql::dataloader::Loader<i64> for CardByTicketLoader {
    type Value = CardRow;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, CardRow>, Self::Error> {
        let mut conn = self.db.read().await?;
        let keys = keys.to_vec();
        let rows: Vec<CardRow> = db_run!(conn: {
            trace_cards::table.filter(trace_cards::ticket_id.eq_any(&keys)).select(CardRow::as_select()).load(conn).await.map_err(AppError::from)?
        });
        Ok(rows.into_iter().map(|c| (c.ticket_id, c)).collect())
    }
}

pub struct CardLoader {
    pub db: DbPool,
}

impl async_graphql::dataloader::Loader<i64> for CardLoader {
    type Value = CardRow;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, CardRow>, Self::Error> {
        let mut conn = self.db.read().await?;
        let keys = keys.to_vec();
        let rows: Vec<CardRow> = db_run!(conn: {
            trace_cards::table.filter(trace_cards::id.eq_any(&keys)).select(CardRow::as_select()).load(conn).await.map_err(AppError::from)?
        });
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}
