//! Card labels through the printer plugins: picks the driver (the operator's
//! choice, the enterprise's default, the platform's PDF) and builds the print job.

use chrono::{DateTime, Utc};
use cotton_domain::processing::ModuleType;
use cotton_plugin_host::Printer;
use cotton_plugin_host::abi::wire::{PrintCard, PrintJob};

use crate::auth::Principal;
use crate::files::RenderedFile;
use cotton_store::cards::CardRow;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tickets::TicketRow;

/// Printer model used when neither the operator nor the enterprise names one, if loaded.
pub const PREFERRED_PRINTER: &str = "PDF";

pub struct ResolvedPrinter {
    model: String,
    printer: Printer,
}

/// The printer models the loaded plugins serve, in load order. Models are
/// case-sensitive ("PDF", "ZPL", "TSPL").
pub fn loaded_models(state: &AppState) -> Vec<String> {
    state
        .plugins
        .list()
        .into_iter()
        .filter(|p| p.kind == cotton_plugin_host::abi::wire::PluginKind::Printer)
        .map(|p| p.model.clone())
        .collect()
}

/// "PDF、TSPL、ZPL" (sorted, for a stable message), or a note that none is loaded.
fn models_list(models: &[String]) -> String {
    if models.is_empty() {
        return "（没有加载任何打印机插件）".into();
    }
    let mut sorted = models.to_vec();
    sorted.sort();
    sorted.join("、")
}

/// The refusal of a model no loaded plugin serves: VALIDATION (the operator typed
/// it), naming the loaded models and, for a case slip ("zpl"), the model meant.
fn unknown_model(model: &str, models: &[String]) -> AppError {
    let hint = models
        .iter()
        .find(|m| m.eq_ignore_ascii_case(model))
        .map(|m| format!("，是否为“{m}”"))
        .unwrap_or_default();
    AppError::Validation(format!(
        "没有加载型号为“{model}”的打印机插件{hint}（型号区分大小写）。已加载的打印机型号：{}",
        models_list(models)
    ))
}

/// A model the operator typed: trimmed, and served by a loaded plugin (VALIDATION otherwise).
fn require_named(state: &AppState, model: &str) -> AppResult<ResolvedPrinter> {
    let model = model.trim();
    let models = loaded_models(state);
    if model.is_empty() {
        return Err(AppError::Validation(format!("请填写打印机型号。已加载的打印机型号：{}", models_list(&models))));
    }
    if !models.iter().any(|m| m == model) {
        return Err(unknown_model(model, &models));
    }
    let printer = state.plugins.require_printer(model).map_err(AppError::from)?;
    Ok(ResolvedPrinter { model: model.to_string(), printer })
}

/// The platform's fallback: PDF when loaded, else the first loaded printer; with
/// no printer plugin at all, PLUGIN (the server is set up without one).
fn fallback(state: &AppState) -> AppResult<ResolvedPrinter> {
    let models = loaded_models(state);
    let model = models
        .iter()
        .find(|m| m.as_str() == PREFERRED_PRINTER)
        .or(models.first())
        .cloned()
        .ok_or_else(|| AppError::Plugin("没有加载任何打印机插件，请检查插件目录".into()))?;
    let printer = state.plugins.require_printer(&model).map_err(AppError::from)?;
    Ok(ResolvedPrinter { model, printer })
}

/// The printer plugin of `model` (VALIDATION when none serves it), or the
/// platform's fallback when no model is named. No enterprise setting applies.
pub fn resolve(state: &AppState, model: Option<&str>) -> AppResult<ResolvedPrinter> {
    match model.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => require_named(state, m),
        None => fallback(state),
    }
}

/// The enterprise's default printer model, if it set one.
pub async fn default_of(conn: &mut DbConn, enterprise_id: i64) -> AppResult<Option<String>> {
    Ok(cotton_store::printing::default_model(conn, enterprise_id).await?)
}

/// The stored default, which must still be loaded. A default whose plugin is gone
/// (removed from the plugins folder, or refused at start) is PLUGIN: printing
/// silently on another printer would put the wrong label format in the operator's
/// hands, so the message says how to go on.
fn stored_default(state: &AppState, model: &str) -> AppResult<ResolvedPrinter> {
    let models = loaded_models(state);
    if !models.iter().any(|m| m == model) {
        return Err(AppError::Plugin(format!(
            "本企业的默认打印机“{model}”的插件当前未加载。已加载的打印机型号：{}。请重新设置默认打印机，或打印时指定打印机",
            models_list(&models)
        )));
    }
    let printer = state.plugins.require_printer(model).map_err(AppError::from)?;
    Ok(ResolvedPrinter { model: model.to_string(), printer })
}

/// The printer of a print for `enterprise_id`: the one the operator named, else
/// the enterprise's default, else the platform's fallback (PDF).
pub async fn resolve_for_enterprise(
    state: &AppState,
    conn: &mut DbConn,
    enterprise_id: i64,
    requested: Option<&str>,
) -> AppResult<ResolvedPrinter> {
    if let Some(m) = requested.map(str::trim).filter(|m| !m.is_empty()) {
        return require_named(state, m);
    }
    match default_of(conn, enterprise_id).await? {
        Some(model) => stored_default(state, &model),
        None => fallback(state),
    }
}

/// The printer of a reprint (which names none): the enterprise's default when it
/// set one (the printer at its desk now), else the printer of the card's last
/// print if still loaded, else the platform's fallback.
pub async fn resolve_for_reprint(
    state: &AppState,
    conn: &mut DbConn,
    enterprise_id: i64,
    last_used: Option<&str>,
) -> AppResult<ResolvedPrinter> {
    if let Some(model) = default_of(conn, enterprise_id).await? {
        return stored_default(state, &model);
    }
    match last_used.filter(|m| loaded_models(state).iter().any(|l| l == m)) {
        Some(m) => require_named(state, m),
        None => fallback(state),
    }
}

/// setDefaultPrinter: the enterprise's own setting only (FORBIDDEN for any other
/// account); the model must be served by a loaded plugin, exactly as spelled
/// (VALIDATION naming the loaded models). Answers the model stored.
pub async fn set_default(state: &AppState, me: &Principal, model: &str) -> AppResult<String> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let model = require_named(state, model)?.model;
    let now = Utc::now().naive_utc();
    let mut conn = state.db.write().await?;
    let stored = cotton_store::printing::set_default_model(&mut conn, enterprise_id, &model, me.account_id, now).await?;
    Ok(stored)
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
        // PrintJob::new rounds the weights and percentages to 2 decimals (the
        // stored value keeps the scale the client typed on SQLite), computes the
        // net and fills in the label's title and lines: the same constructor the
        // conformance kit builds its sample jobs with.
        let tare = ticket.tare_kg.map(|d| d.0).unwrap_or_default();
        let job = PrintJob::new(
            PrintCard {
                card_no: card.card_no.clone(),
                season: card.season,
                ticket_no: ticket.ticket_no.clone(),
                grower_name: grower_name.to_string(),
                unit_name: unit_name.to_string(),
                gross_kg: ticket.gross_kg.0,
                tare_kg: tare,
                net_kg: ticket.gross_kg.0 - tare,
                lint_yield_pct: ticket.lint_yield_pct.map(|d| d.0),
                target_lint_kg: card.target_lint_kg.0,
                processable_bales: card.processable_bales.max(0) as u32,
                module_type: module_type_of(card),
                module_count: card.module_count.max(0) as u32,
            },
            enterprise_name.to_string(),
            copies,
            reprint,
            at,
        );
        let out = self.printer.render(&job).map_err(AppError::from)?;
        Ok(RenderedFile { file_name: out.file_name, mime_type: out.mime_type, bytes: out.bytes })
    }
}
