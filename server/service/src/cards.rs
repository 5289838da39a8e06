//! Trace cards (追溯卡): printed for a complete, real-time ticket whose plots lie in
//! one approved unit; one card per ticket; every print and reprint is recorded.

use chrono::Utc;
use cotton_domain::card_no::{format_card_no, parse_card_no};
use cotton_domain::units::UnitStatus;
use cotton_domain::weights;

use crate::auth::Principal;
use crate::db::{DbConn, Dec};
use crate::error::{AppError, AppResult};
use crate::events::{Event, EventTopic};
use crate::state::AppState;
use crate::tx::Tx;
use cotton_store::cards::{self as store, NewCard, NewPrintRecord};

pub use crate::error::cards::CardError;
pub use cotton_store::cards::{CardRow, CardsById, CardsByTicket, PrintRecordRow};
pub use crate::files::RenderedFile;


pub const MAX_COPIES: i32 = 100;

/// Finds a card by number; a mistyped number (wrong check digit) is CARD_CHECKSUM.
pub async fn find_by_card_no(conn: &mut DbConn, card_no: &str) -> AppResult<Option<CardRow>> {
    let (season, serial) = parse_card_no(card_no)?;
    let canonical = format_card_no(season, serial);
    Ok(store::find_by_card_no(conn, &canonical).await?)
}

/// [`find_by_card_no`] with the card's unit, in one statement.
pub async fn find_by_card_no_with_unit(conn: &mut DbConn, card_no: &str) -> AppResult<Option<(CardRow, crate::units::UnitRow)>> {
    let (season, serial) = parse_card_no(card_no)?;
    let canonical = format_card_no(season, serial);
    Ok(store::find_by_card_no_with_unit(conn, &canonical).await?)
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
    ticket_id: crate::ids::TicketId,
    module_type: &str,
    module_count: i32,
    copies: i32,
    printer: Option<&str>,
) -> AppResult<(CardRow, PrintRecordRow, RenderedFile)> {
    let ticket_id = crate::ids::TypedId::get(ticket_id);
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
    if let Some(no) = store::card_no_of_ticket(&mut conn, ticket_id).await? {
        return Err(AppError::Conflict(format!("该磅单已打印追溯卡 {no}，如需再打请使用补打")));
    }
    if ticket.late {
        let rules = crate::season::rules_for(&mut conn, ticket.season).await?;
        return Err(CardError::Late { ticket_no: ticket.ticket_no.clone(), window_minutes: rules.realtime_window_minutes }.into());
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
    let new = NewCard {
        card_no: placeholder,
        season: ticket.season,
        ticket_id: ticket.id,
        unit_id: unit.id,
        enterprise_id,
        module_type,
        module_count,
        target_lint_kg: Dec(target),
        processed_lint_kg: Dec(rust_decimal::Decimal::ZERO),
        processable_bales: bales as i32,
        status: "PRINTED",
        printed_by: me.account_id,
        printed_at: now.naive_utc(),
    };
    let season = ticket.season;
    let mut tx = Tx::begin(state, &mut conn).await?;
    let outcome = async {
        let id = store::insert(tx.conn(), &new).await?;
        // The card number: TC + season + serial (the row id) + check digit.
        let card = store::set_card_no(tx.conn(), id, &format_card_no(season, id as u64)).await?;
        let record = store::insert_print_record(
            tx.conn(),
            &NewPrintRecord { card_id: id, copies: copies as i32, reprint: false, printer: &printer.model(), by_account: me.account_id, at: now.naive_utc() },
        )
        .await?;
        // Rendered inside the transaction: a printer failure leaves no card behind.
        let file = printer.render(&card, &ticket, &grower.name, &unit.name, &enterprise.name, copies, false, now)?;
        let mut event = Event::new(EventTopic::CardPrinted);
        event.enterprise_id = Some(enterprise_id);
        event.region_id = Some(unit.regiment_id);
        event.unit_id = Some(unit.id);
        event.card_no = Some(card.card_no.clone());
        event.ticket_no = Some(ticket.ticket_no.clone());
        tx.emit(event).await?;
        Ok((card, record, file))
    }
    .await;
    tx.finish(outcome).await.map_err(|e| {
        if e.is_unique_violation() { AppError::Conflict("该磅单已打印追溯卡，如需再打请使用补打".into()) } else { e }
    })
}

/// The unit all of a ticket's plots lie in, which must be APPROVED.
async fn approved_unit_of_ticket(conn: &mut DbConn, ticket: &crate::tickets::TicketRow) -> AppResult<crate::units::UnitRow> {
    let plot_ids = crate::tickets::plot_ids_of(conn, ticket.id).await?;
    let holders = cotton_store::rosters::live_units_of_plots(conn, &plot_ids).await?;
    if let Some(free) = plot_ids.iter().find(|p| !holders.iter().any(|(h, _)| h == *p)) {
        let code = crate::rosters::plots_by_ids(conn, &[*free]).await?.pop().map(|p| p.code).unwrap_or_default();
        return Err(CardError::PlotOutsideUnits { plot_code: code }.into());
    }
    let mut units: Vec<i64> = holders.iter().map(|(_, u)| *u).collect();
    units.sort_unstable();
    units.dedup();
    if units.len() > 1 {
        return Err(CardError::PlotsInSeveralUnits.into());
    }
    let unit = crate::units::service::require_unit(conn, units[0]).await?;
    if unit.status() != UnitStatus::Approved {
        return Err(CardError::UnitNotApproved { unit_name: unit.name.clone(), status: unit.status().label_zh() }.into());
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
    let last_printer = store::last_printer(&mut conn, card.id).await?;
    let printer = crate::printing::resolve_for_reprint(state, &mut conn, enterprise_id, last_printer.as_deref()).await?;
    let now = Utc::now();
    let file = printer.render(&card, &ticket, &grower.name, &unit.name, &enterprise.name, copies, true, now)?;
    let record = store::insert_print_record(
        &mut conn,
        &NewPrintRecord { card_id: card.id, copies: copies as i32, reprint: true, printer: &printer.model(), by_account: me.account_id, at: now.naive_utc() },
    )
    .await?;
    Ok((card, record, file))
}

pub use cotton_store::cards::PrintRecordFilter;

/// The print records of `filter` (one enterprise's, already resolved by the
/// caller) in `window`, with the count of all.
pub async fn print_records(state: &AppState, filter: &PrintRecordFilter, window: cotton_store::page::Window) -> AppResult<(i64, cotton_store::page::Fetched<PrintRecordRow>)> {
    let mut conn = state.db.read().await?;
    Ok(store::print_records_page(&mut conn, filter, window).await?)
}

/// Trace cards counted by status (an enterprise's trace-code usage, a regiment
/// area's cards).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CardCounts {
    pub printed: i32,
    pub exported: i32,
    pub processing: i32,
    pub finished: i32,
}

impl CardCounts {
    /// From (status, count) rows as the store groups them.
    pub fn from_rows(rows: &[(String, i64)]) -> CardCounts {
        let get = |s: &str| rows.iter().filter(|(k, _)| k == s).map(|(_, n)| *n as i32).sum();
        CardCounts { printed: get("PRINTED"), exported: get("EXPORTED"), processing: get("PROCESSING"), finished: get("FINISHED") }
    }
}

/// The enterprise's cards of `season` by status.
pub async fn usage_of(conn: &mut DbConn, enterprise_id: i64, season: i32) -> AppResult<CardCounts> {
    Ok(CardCounts::from_rows(&store::count_by_status(conn, enterprise_id, season).await?))
}

/// `cardUsage`: the calling enterprise's trace-code usage in a season.
pub async fn usage(state: &AppState, me: &Principal, season: i32) -> AppResult<CardCounts> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let mut conn = state.db.read().await?;
    usage_of(&mut conn, enterprise_id, season).await
}

/// May `me` see `card`? The admin, its enterprise, the regiment of its unit
/// (`unit`, read with the card), the grower of its ticket (by mobile).
async fn can_view(conn: &mut DbConn, me: &Principal, card: &CardRow, unit: Option<&crate::units::UnitRow>) -> AppResult<bool> {
    use crate::auth::Scope;
    Ok(match &me.scope {
        Scope::Admin => true,
        Scope::Enterprise { enterprise_id, .. } => *enterprise_id == card.enterprise_id,
        Scope::Regiment { regiment_id } => {
            let unit = unit.ok_or_else(|| AppError::NotFound("追溯单元不存在".into()))?;
            *regiment_id == unit.regiment_id
        }
        Scope::Grower { phone } => {
            let ticket = crate::tickets::require(conn, card.ticket_id).await?;
            let grower = crate::rosters::growers_by_ids(conn, &[ticket.grower_id]).await?.pop();
            grower.is_some_and(|g| g.phone.as_deref() == Some(phone.as_str()))
        }
        _ => false,
    })
}

/// `traceCard`: a card by number (a mistyped number is CARD_CHECKSUM), with its
/// unit in the same statement when `want_unit` (or a regiment's access needs it);
/// FORBIDDEN when `me` may not see it.
pub async fn visible_card(state: &AppState, me: &Principal, card_no: &str, want_unit: bool) -> AppResult<Option<(CardRow, Option<crate::units::UnitRow>)>> {
    let with_unit = want_unit || me.role == cotton_domain::orgs::Role::Regiment;
    let mut conn = state.db.read().await?;
    let found = if with_unit {
        find_by_card_no_with_unit(&mut conn, card_no).await?.map(|(c, u)| (c, Some(u)))
    } else {
        find_by_card_no(&mut conn, card_no).await?.map(|c| (c, None))
    };
    let Some((card, unit)) = found else { return Ok(None) };
    if !can_view(&mut conn, me, &card, unit.as_ref()).await? {
        return Err(AppError::Forbidden("无权查看该追溯卡".into()));
    }
    Ok(Some((card, unit)))
}
