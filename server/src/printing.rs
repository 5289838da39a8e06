//! Card labels through the printer plugins: picks the driver and builds the print job.

use chrono::{DateTime, Utc};
use cotton_domain::processing::ModuleType;
use cotton_plugin_host::Printer;
use cotton_plugin_host::abi::wire::{PrintCard, PrintJob};

use crate::cards::{CardRow, RenderedFile};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tickets::TicketRow;

/// Printer model used when the operator names none, if it is loaded.
pub const PREFERRED_PRINTER: &str = "PDF";

pub struct ResolvedPrinter {
    model: String,
    printer: Printer,
}

/// The printer plugin of `model`, or the preferred/first loaded one.
pub fn resolve(state: &AppState, model: Option<&str>) -> AppResult<ResolvedPrinter> {
    let registry = &state.plugins;
    let model = match model.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => {
            let printers: Vec<String> = registry
                .list()
                .into_iter()
                .filter(|p| p.kind == cotton_plugin_host::abi::wire::PluginKind::Printer)
                .map(|p| p.model.clone())
                .collect();
            printers
                .iter()
                .find(|m| m.as_str() == PREFERRED_PRINTER)
                .or(printers.first())
                .cloned()
                .ok_or_else(|| AppError::Plugin("没有加载任何打印机插件，请检查插件目录".into()))?
        }
    };
    let printer = registry.require_printer(&model).map_err(AppError::from)?;
    Ok(ResolvedPrinter { model, printer })
}

pub fn module_type_of(card: &CardRow) -> ModuleType {
    match card.module_type.as_str() {
        "ROUND_MODULE" => ModuleType::RoundModule,
        "RECTANGULAR_MODULE" => ModuleType::RectangularModule,
        _ => ModuleType::Loose,
    }
}

impl ResolvedPrinter {
    pub fn model(&self) -> String {
        self.model.clone()
    }

    #[allow(clippy::too_many_arguments)]
    pub fn render(
        &self,
        card: &CardRow,
        ticket: &TicketRow,
        grower_name: &str,
        unit_name: &str,
        enterprise_name: &str,
        copies: u32,
        reprint: bool,
        at: DateTime<Utc>,
    ) -> AppResult<RenderedFile> {
        // The job's weights and percentages carry 2 decimals, as every output does
        // (the stored value keeps the scale the client typed on SQLite).
        let q = |d: rust_decimal::Decimal| crate::graphql::scalars::with_scale(d, crate::graphql::scalars::QUANTITY_SCALE);
        let tare = ticket.tare_kg.map(|d| d.0).unwrap_or_default();
        let job = PrintJob {
            card: PrintCard {
                card_no: card.card_no.clone(),
                season: card.season,
                ticket_no: ticket.ticket_no.clone(),
                grower_name: grower_name.to_string(),
                unit_name: unit_name.to_string(),
                gross_kg: q(ticket.gross_kg.0),
                tare_kg: q(tare),
                net_kg: q(ticket.gross_kg.0 - tare),
                lint_yield_pct: ticket.lint_yield_pct.map(|d| q(d.0)),
                target_lint_kg: q(card.target_lint_kg.0),
                processable_bales: card.processable_bales.max(0) as u32,
                module_type: module_type_of(card),
                module_count: card.module_count.max(0) as u32,
            },
            enterprise_name: enterprise_name.to_string(),
            copies,
            reprint,
            printed_at: at,
        };
        let out = self.printer.render(&job).map_err(AppError::from)?;
        Ok(RenderedFile { file_name: out.file_name, mime_type: out.mime_type, bytes: out.bytes })
    }
}
