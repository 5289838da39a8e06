//! `TraceCard`, `PrintRecord`, `traceCard`, `printRecords`, `cardUsage`,
//! `printTraceCard`, `reprintTraceCard`, `setDefaultPrinter`.

use crate::graphql::{Batch, Loader};
use cotton_service::ids::TicketId;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use base64::Engine;
use chrono::{DateTime, Utc};

use cotton_service::cards::{CardRow, CardsById, PrintRecordRow, RenderedFile};
use crate::graphql::accounts::Account;
use cotton_service::error::AppError;
use crate::graphql::relay::{self, PageInfo};
use crate::graphql::scalars::GqlDecimal;
use crate::graphql::{CtxExt, typed};
use crate::graphql::tickets::Ticket;
use cotton_service::tickets::TicketsById;
use crate::graphql::units::{TraceUnit, load_unit};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleType {
    RoundModule,
    RectangularModule,
    Loose,
}

impl ModuleType {
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleType::RoundModule => "ROUND_MODULE",
            ModuleType::RectangularModule => "RECTANGULAR_MODULE",
            ModuleType::Loose => "LOOSE",
        }
    }
    fn parse(s: &str) -> ModuleType {
        match s {
            "ROUND_MODULE" => ModuleType::RoundModule,
            "RECTANGULAR_MODULE" => ModuleType::RectangularModule,
            _ => ModuleType::Loose,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardStatus {
    Printed,
    Exported,
    Processing,
    Finished,
}

impl CardStatus {
    fn parse(s: &str) -> CardStatus {
        match s {
            "EXPORTED" => CardStatus::Exported,
            "PROCESSING" => CardStatus::Processing,
            "FINISHED" => CardStatus::Finished,
            _ => CardStatus::Printed,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishKind {
    Auto,
    Manual,
}

impl From<cotton_service::domain::line::FinishKind> for FinishKind {
    fn from(k: cotton_service::domain::line::FinishKind) -> Self {
        match k {
            cotton_service::domain::line::FinishKind::Auto => FinishKind::Auto,
            cotton_service::domain::line::FinishKind::Manual => FinishKind::Manual,
        }
    }
}

pub struct TraceCard(pub CardRow);

#[Object]
impl TraceCard {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `TC` + season (2 digits) + serial (10 digits) + Damm check digit.
    async fn card_no(&self) -> &str {
        &self.0.card_no
    }
    async fn season(&self) -> i32 {
        self.0.season
    }
    async fn ticket(&self, ctx: &Context<'_>) -> Result<Ticket> {
        ctx.data_unchecked::<Batch<TicketsById>>()
            .load_one(self.0.ticket_id)
            .await?
            .map(Ticket)
            .ok_or_else(|| AppError::NotFound("磅单不存在".into()).into())
    }
    async fn trace_unit(&self, ctx: &Context<'_>) -> Result<TraceUnit> {
        load_unit(ctx, self.0.unit_id).await?.ok_or_else(|| AppError::NotFound("追溯单元不存在".into()).into())
    }
    async fn module_type(&self) -> ModuleType {
        ModuleType::parse(&self.0.module_type)
    }
    async fn module_count(&self) -> i32 {
        self.0.module_count
    }
    /// 折皮棉公定重量: the lint this card may receive, kg.
    async fn target_lint_kg(&self) -> GqlDecimal {
        self.0.target_lint_kg.0.into()
    }
    /// Conditioned lint weight of the bales assigned so far, kg.
    async fn processed_lint_kg(&self) -> GqlDecimal {
        self.0.processed_lint_kg.0.into()
    }
    /// ceil(target / the season's nominal bale weight).
    async fn processable_bales(&self) -> i32 {
        self.0.processable_bales
    }
    async fn status(&self) -> CardStatus {
        CardStatus::parse(&self.0.status)
    }
    /// How a FINISHED card finished: AUTO when its processed weight reached the
    /// target (never processed again), MANUAL when 结束 ended it (re-processable
    /// with the verification account); null while not finished.
    async fn finished_by(&self) -> Option<FinishKind> {
        self.0.finish_kind().map(Into::into)
    }
    async fn printed_at(&self) -> DateTime<Utc> {
        self.0.printed_at.and_utc()
    }
    /// The lint bales linked to this card, in press order.
    async fn bales(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::processing::Bale>> {
        let rows = ctx
            .data_unchecked::<Loader<crate::graphql::processing::BalesByCardLoader>>()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(crate::graphql::processing::Bale).collect())
    }
}

pub struct PrintRecord(pub PrintRecordRow);

#[Object]
impl PrintRecord {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn card(&self, ctx: &Context<'_>) -> Result<TraceCard> {
        ctx.data_unchecked::<Batch<CardsById>>()
            .load_one(self.0.card_id)
            .await?
            .map(TraceCard)
            .ok_or_else(|| AppError::NotFound("追溯卡不存在".into()).into())
    }
    async fn copies(&self) -> i32 {
        self.0.copies
    }
    /// 补打 (a reprint keeps the card number).
    async fn reprint(&self) -> bool {
        self.0.reprint
    }
    /// The printer plugin model used.
    async fn printer(&self) -> &str {
        &self.0.printer
    }
    async fn by(&self, ctx: &Context<'_>) -> Result<Account> {
        crate::graphql::accounts::load_account(ctx, self.0.by_account).await
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at.and_utc()
    }
}

#[derive(SimpleObject)]
pub struct FileOutput {
    file_name: String,
    mime_type: String,
    base64: String,
}

impl From<RenderedFile> for FileOutput {
    fn from(f: RenderedFile) -> Self {
        FileOutput {
            file_name: f.file_name,
            mime_type: f.mime_type,
            base64: base64::engine::general_purpose::STANDARD.encode(&f.bytes),
        }
    }
}

#[derive(SimpleObject)]
pub struct PrintResult {
    card: TraceCard,
    record: PrintRecord,
    output: FileOutput,
}

#[derive(SimpleObject)]
pub struct PrintRecordEdge {
    cursor: String,
    node: PrintRecord,
}

#[derive(SimpleObject)]
pub struct PrintRecordConnection {
    edges: Vec<PrintRecordEdge>,
    page_info: PageInfo,
    total_count: i32,
}

#[derive(SimpleObject, Default)]
pub struct CardUsage {
    printed: i32,
    exported: i32,
    processing: i32,
    finished: i32,
}

impl From<cotton_service::cards::CardCounts> for CardUsage {
    fn from(c: cotton_service::cards::CardCounts) -> Self {
        CardUsage { printed: c.printed, exported: c.exported, processing: c.processing, finished: c.finished }
    }
}

#[derive(Default)]
pub struct CardQuery;

#[Object]
impl CardQuery {
    /// A card by number; a mistyped number is CARD_CHECKSUM.
    async fn trace_card(&self, ctx: &Context<'_>, card_no: String) -> Result<Option<TraceCard>> {
        let me = ctx.principal()?;
        // The card with its unit in one statement when the unit is asked for (or
        // needed to check a regiment's access); the unit then primes the loader.
        let want_unit = ctx.look_ahead().field("traceUnit").exists();
        let Some((card, unit)) = cotton_service::cards::visible_card(ctx.state(), me, &card_no, want_unit).await? else { return Ok(None) };
        if let Some(unit) = unit {
            ctx.data_unchecked::<Loader<crate::graphql::UnitLoader>>().feed_one(unit.id, unit).await;
        }
        Ok(Some(TraceCard(card)))
    }

    /// The enterprise's print records, newest first, searchable by season, card
    /// number, grower ID number, ticket number (exact, as uploaded) and time range;
    /// the filters combine.
    #[allow(clippy::too_many_arguments)]
    async fn print_records(
        &self,
        ctx: &Context<'_>,
        season: Option<i32>,
        card_no: Option<String>,
        grower_id_number: Option<String>,
        ticket_no: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PrintRecordConnection> {
        let me = ctx.principal()?;
        let enterprise_id = cotton_service::tickets::enterprise_of(me)?;
        let window = relay::window(first, after.as_deref(), last, before.as_deref())?;
        let card_no = card_no
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                let (s, n) = cotton_service::domain::card_no::parse_card_no(c)?;
                Ok::<_, AppError>(cotton_service::domain::card_no::format_card_no(s, n))
            })
            .transpose()?;
        let id_number = grower_id_number
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(cotton_service::domain::identity::validate_id_number)
            .transpose()?;
        // Checked as uploadTicket stores it (trimmed): a number no ticket can have
        // is VALIDATION, as a mistyped card or ID number is refused above.
        let ticket_no = ticket_no
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(cotton_service::tickets::validate_ticket_no)
            .transpose()?;
        let (from, to) = (from.map(|f| f.naive_utc()), to.map(|t| t.naive_utc()));
        let filter = cotton_service::cards::PrintRecordFilter { enterprise_id, season, card_no, grower_id_number: id_number, ticket_no, from, to };
        let (total, fetched) = cotton_service::cards::print_records(ctx.state(), &filter, window).await?;
        let (edges, page_info) = relay::page(fetched, |r| r.id);
        Ok(PrintRecordConnection {
            edges: edges.into_iter().map(|(cursor, r)| PrintRecordEdge { cursor, node: PrintRecord(r) }).collect(),
            page_info,
            total_count: total as i32,
        })
    }

    /// The enterprise's trace-code usage in a season.
    async fn card_usage(&self, ctx: &Context<'_>, season: i32) -> Result<CardUsage> {
        let me = ctx.principal()?;
        Ok(cotton_service::cards::usage(ctx.state(), me, season).await?.into())
    }
}

#[derive(Default)]
pub struct CardMutation;

#[Object]
impl CardMutation {
    /// Prints the trace card of a ticket through a printer plugin: `printer` (a
    /// loaded model, case-sensitive: "PDF", "ZPL", "TSPL"; another is VALIDATION
    /// listing the loaded ones), else the enterprise's default printer
    /// (setDefaultPrinter; PLUGIN when its plugin is no longer loaded), else PDF.
    async fn print_trace_card(
        &self,
        ctx: &Context<'_>,
        ticket_id: ID,
        module_type: ModuleType,
        module_count: i32,
        #[graphql(default = 1)] copies: Option<i32>,
        #[graphql(
            desc = "The printer model, exactly as a loaded printer plugin names it: case-sensitive (\"PDF\", \"ZPL\", \"TSPL\"; \"zpl\" is not ZPL). A model no loaded plugin serves is VALIDATION, its message listing the loaded models. Absent: the enterprise's default printer, else PDF."
        )]
        printer: Option<String>,
    ) -> Result<PrintResult> {
        let me = ctx.principal()?;
        let ticket_id = typed::<TicketId>(&ticket_id)?;
        let (card, record, file) =
            cotton_service::cards::print(ctx.state(), me, ticket_id, module_type.as_str(), module_count, copies.unwrap_or(1), printer.as_deref())
                .await?;
        Ok(PrintResult { card: TraceCard(card), record: PrintRecord(record), output: file.into() })
    }

    /// 补打: prints the same card again, recorded as a reprint, on the enterprise's
    /// default printer (else the printer of the card's last print, else PDF).
    async fn reprint_trace_card(&self, ctx: &Context<'_>, card_no: String, copies: i32) -> Result<PrintResult> {
        let me = ctx.principal()?;
        let (card, record, file) = cotton_service::cards::reprint(ctx.state(), me, &card_no, copies).await?;
        Ok(PrintResult { card: TraceCard(card), record: PrintRecord(record), output: file.into() })
    }

    /// The printer model the enterprise's cards print on when printTraceCard names
    /// none (and reprints use). Only the enterprise itself sets it. The model must
    /// be one a loaded printer plugin serves, spelled exactly (case-sensitive:
    /// "PDF", "ZPL", "TSPL"); another is VALIDATION listing the loaded models.
    /// Answers the model stored.
    async fn set_default_printer(&self, ctx: &Context<'_>, model: String) -> Result<String> {
        let me = ctx.principal()?;
        Ok(cotton_service::printing::set_default(ctx.state(), me, &model).await?)
    }
}
