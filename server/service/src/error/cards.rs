//! Why a ticket cannot get a trace card.

/// Why a ticket cannot get a trace card (`AppError::Card`, codes in `error/mod.rs`).
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// TICKET_LATE: not uploaded within the season's real-time window.
    #[error("磅单 {ticket_no} 未在称重后 {window_minutes} 分钟内实时上传，不能打印追溯卡")]
    Late { ticket_no: String, window_minutes: i32 },
    /// UNIT_NOT_APPROVED: a plot of the ticket is in no live unit.
    #[error("地块 {plot_code} 未加入任何追溯单元，不能打印追溯卡")]
    PlotOutsideUnits { plot_code: String },
    /// UNIT_NOT_APPROVED: the ticket's plots lie in more than one unit.
    #[error("磅单的地块分属多个追溯单元，请按追溯单元分别过磅")]
    PlotsInSeveralUnits,
    /// UNIT_NOT_APPROVED: the unit is not (or no longer) approved.
    #[error("追溯单元 {unit_name} 当前为{status}，审核通过后才能打印追溯卡")]
    UnitNotApproved { unit_name: String, status: &'static str },
}
