//! The processing API: `lineState`, `scanCards`, `enterDelayBales`, `recordBale`,
//! `endCurrentCard`, `reprocessCard` (online VI lines), `uploadProcessingFile`
//! (IV/V files), `setVerificationAccount`; the `Bale` and `LineState` types.

use crate::graphql::{Batch, Loader};
use cotton_service::ids::LineId;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use cotton_service::domain::line::{LineState as DomainLineState, ScanOutcome as DomainOutcome};

use cotton_service::processing::{BaleRow, CardsByNo};
use cotton_service::cards::CardRow;
use crate::graphql::cards::TraceCard;
use crate::graphql::scalars::GqlDecimal;
use crate::graphql::{CtxExt, typed};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOutcome {
    NotFound,
    Finished,
    NeedDelay,
    InProgress,
    Queued,
    Started,
}

impl From<DomainOutcome> for ScanOutcome {
    fn from(o: DomainOutcome) -> Self {
        match o {
            DomainOutcome::NotFound => ScanOutcome::NotFound,
            DomainOutcome::Finished => ScanOutcome::Finished,
            DomainOutcome::NeedDelay => ScanOutcome::NeedDelay,
            DomainOutcome::InProgress => ScanOutcome::InProgress,
            DomainOutcome::Queued => ScanOutcome::Queued,
            DomainOutcome::Started => ScanOutcome::Started,
        }
    }
}

#[derive(SimpleObject)]
pub struct ScanResult {
    card_no: String,
    outcome: ScanOutcome,
    /// The manual's prompt for the operator, verbatim.
    message: Option<String>,
}

pub struct Bale(pub BaleRow);

#[Object]
impl Bale {
    async fn barcode(&self) -> &str {
        &self.0.barcode
    }
    async fn net_kg(&self) -> GqlDecimal {
        self.0.net_kg.0.into()
    }
    async fn moisture_pct(&self) -> Option<GqlDecimal> {
        self.0.moisture_pct.map(|d| d.0.into())
    }
    /// GB 1103.1 conditioned weight (trash unknown at the press: Z = Z0).
    async fn conditioned_kg(&self) -> GqlDecimal {
        self.0.conditioned_kg.0.into()
    }
    /// Did the bale take part in tracing (assigned to a card)?
    async fn traced(&self) -> bool {
        self.0.traced
    }
    /// A delay bale (counted against a card's delay, not traced).
    async fn delay(&self) -> bool {
        self.0.delay
    }
    /// The production line that pressed it.
    async fn line(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::lines::ProductionLine>> {
        Ok(ctx.data_unchecked::<Batch<cotton_service::lines::LinesById>>().load_one(self.0.line_id).await?.map(crate::graphql::lines::ProductionLine))
    }
    async fn card(&self, ctx: &Context<'_>) -> Result<Option<TraceCard>> {
        let Some(id) = self.0.card_id else { return Ok(None) };
        Ok(ctx.data_unchecked::<Loader<crate::graphql::CardLoader>>().load_one(id).await?.map(TraceCard))
    }
    async fn pressed_at(&self) -> DateTime<Utc> {
        self.0.pressed_at.and_utc()
    }
    /// The official inspection (公检) of this bale, judged by its card's season.
    async fn inspection(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::quality::Inspection>> {
        let season = match self.0.card_id {
            Some(id) => ctx
                .data_unchecked::<Loader<crate::graphql::CardLoader>>()
                .load_one(id)
                .await?
                .map(|c| c.season)
                .unwrap_or_else(cotton_service::season::current_season),
            None => cotton_service::season::current_season(),
        };
        crate::graphql::quality::load_inspection(ctx, &self.0.barcode, season).await
    }
}

pub struct QueuedCard {
    card: CardRow,
    delay_bales: i32,
}

#[Object]
impl QueuedCard {
    async fn card(&self) -> TraceCard {
        TraceCard(self.card.clone())
    }
    async fn delay_bales(&self) -> i32 {
        self.delay_bales
    }
}

/// A line's state as the API shows it.
pub struct LineState {
    state: DomainLineState,
    enterprise_id: i64,
}

#[Object]
impl LineState {
    /// The queue; the head is being processed.
    async fn queue(&self, ctx: &Context<'_>) -> Result<Vec<QueuedCard>> {
        let nos: Vec<(i64, String)> = self.state.queue.iter().map(|q| (self.enterprise_id, q.card_no.clone())).collect();
        let cards = ctx.data_unchecked::<Batch<CardsByNo>>().load_many(nos.iter().cloned()).await?;
        Ok(self
            .state
            .queue
            .iter()
            .filter_map(|q| {
                cards.get(&(self.enterprise_id, q.card_no.clone())).map(|c| QueuedCard { card: c.clone(), delay_bales: q.delay_bales as i32 })
            })
            .collect())
    }
    /// Did the last pressed bale take part in tracing?
    async fn tracing(&self) -> bool {
        self.state.tracing
    }
    /// Bales still to pass untraced before the head card takes bales.
    async fn pending_delay(&self) -> i32 {
        self.state.pending_delay() as i32
    }
}

pub fn line_state(state: DomainLineState, enterprise_id: i64) -> LineState {
    LineState { state, enterprise_id }
}

/// The bales of each card, in press order: the store's batched lookup, under
/// the name the cards' API loads it by (`Loader<BalesByCardLoader>`).
pub type BalesByCardLoader = crate::graphql::StoreLoader<cotton_service::processing::BalesByCard>;

pub async fn stored_line_state(ctx: &Context<'_>, line_id: i64, enterprise_id: i64) -> Result<LineState> {
    let state = cotton_service::processing::stored_line_state(ctx.state(), line_id).await?;
    Ok(line_state(state, enterprise_id))
}

#[derive(SimpleObject)]
pub struct BaleResult {
    bale: Bale,
    /// The card this bale finished (it reached its target), if any.
    finished_card: Option<TraceCard>,
    state: LineState,
}

#[derive(SimpleObject)]
pub struct UploadReport {
    accepted: i32,
    duplicates: i32,
    rejected: i32,
    errors: Vec<String>,
}

#[derive(Default)]
pub struct ProcessingQuery;

#[Object]
impl ProcessingQuery {
    /// A bale by barcode — traced, delay and untraced bales alike — for its
    /// enterprise, the regiment of its card's unit, and the admin; null when no
    /// bale has that barcode.
    async fn bale(&self, ctx: &Context<'_>, barcode: String) -> Result<Option<Bale>> {
        let me = ctx.principal()?;
        Ok(cotton_service::processing::bale(ctx.state(), me, &barcode).await?.map(Bale))
    }

    async fn line_state(&self, ctx: &Context<'_>, line_id: ID) -> Result<LineState> {
        let me = ctx.principal()?;
        let line_id = typed::<LineId>(&line_id)?;
        let (line, state) = cotton_service::processing::own_line_state(ctx.state(), me, line_id).await?;
        Ok(line_state(state, line.enterprise_id))
    }
}

#[derive(Default)]
pub struct ProcessingMutation;

#[Object]
impl ProcessingMutation {
    /// VI line: scan up to 20 card numbers, judged in order with the manual's prompts.
    async fn scan_cards(&self, ctx: &Context<'_>, line_id: ID, card_nos: Vec<String>) -> Result<Vec<ScanResult>> {
        let me = ctx.principal()?;
        let results = cotton_service::processing::scan_cards(ctx.state(), me, typed::<LineId>(&line_id)?, &card_nos).await?;
        Ok(results
            .into_iter()
            .map(|(card_no, o)| ScanResult { card_no, outcome: o.into(), message: o.prompt().map(str::to_string) })
            .collect())
    }

    /// VI line: the delay bale count entered for a card (queues it).
    async fn enter_delay_bales(&self, ctx: &Context<'_>, line_id: ID, card_no: String, count: i32) -> Result<LineState> {
        let me = ctx.principal()?;
        let (line, state) = cotton_service::processing::enter_delay_bales(ctx.state(), me, typed::<LineId>(&line_id)?, &card_no, count).await?;
        Ok(line_state(state, line.enterprise_id))
    }

    /// VI line: a bale off the press (barcode, net kg, moisture).
    async fn record_bale(
        &self,
        ctx: &Context<'_>,
        line_id: ID,
        barcode: String,
        net_kg: GqlDecimal,
        moisture_pct: Option<GqlDecimal>,
        pressed_at: DateTime<Utc>,
    ) -> Result<BaleResult> {
        let me = ctx.principal()?;
        let (line, bale, finished, state) =
            cotton_service::processing::record_bale(ctx.state(), me, typed::<LineId>(&line_id)?, &barcode, net_kg.0, moisture_pct.map(|m| m.0), pressed_at).await?;
        let finished_card = match finished {
            Some(no) => ctx
                .data_unchecked::<Batch<CardsByNo>>()
                .load_one((line.enterprise_id, no))
                .await?
                .map(TraceCard),
            None => None,
        };
        Ok(BaleResult { bale: Bale(bale), finished_card, state: line_state(state, line.enterprise_id) })
    }

    /// VI line: "结束" — ends the head card by hand.
    async fn end_current_card(&self, ctx: &Context<'_>, line_id: ID) -> Result<LineState> {
        let me = ctx.principal()?;
        let (line, state) = cotton_service::processing::end_current_card(ctx.state(), me, typed::<LineId>(&line_id)?).await?;
        Ok(line_state(state, line.enterprise_id))
    }

    /// VI line: re-process a finished card with the enterprise's verification account.
    async fn reprocess_card(
        &self,
        ctx: &Context<'_>,
        line_id: ID,
        card_no: String,
        verifier_username: String,
        verifier_password: String,
    ) -> Result<LineState> {
        let me = ctx.principal()?;
        let (line, state) =
            cotton_service::processing::reprocess_card(ctx.state(), me, typed::<LineId>(&line_id)?, &card_no, &verifier_username, &verifier_password).await?;
        Ok(line_state(state, line.enterprise_id))
    }

    /// IV/V line: the device's signed upload file; applied once per record.
    async fn upload_processing_file(&self, ctx: &Context<'_>, line_id: ID, file: Upload) -> Result<UploadReport> {
        let me = ctx.principal()?;
        let (_, bytes) = crate::upload::read_upload(ctx, &file)?;
        let s = cotton_service::processing::upload_file(ctx.state(), me, typed::<LineId>(&line_id)?, &bytes).await?;
        Ok(UploadReport { accepted: s.accepted, duplicates: s.duplicates, rejected: s.rejected, errors: s.errors })
    }

    /// The enterprise's verification account (校验账号) for re-processing finished cards.
    async fn set_verification_account(&self, ctx: &Context<'_>, username: String, password: String) -> Result<bool> {
        let me = ctx.principal()?;
        cotton_service::processing::set_verifier(ctx.state(), me, &username, &password).await?;
        Ok(true)
    }
}
