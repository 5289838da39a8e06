//! The trace units' own refusals.

/// The trace units' own refusals (`AppError::Unit`, code in `error/mod.rs`); the
/// editing rules' refusals are the domain's `RuleError`.
#[derive(Debug, thiserror::Error)]
pub enum UnitError {
    /// PLOT_TAKEN: the plot is in another live unit.
    #[error("地块 {plot_code} 已在追溯单元 {unit_name}（{unit_code}）中，同一地块只能参加一个组团")]
    PlotTaken { plot_code: String, unit_name: String, unit_code: String },
    /// PLOT_TAKEN: a concurrent save took one of the plots first (the database's
    /// one-live-unit index refused this one).
    #[error("所选地块已被其他追溯单元占用")]
    PlotTakenConcurrently,
}
