//! The weigh tickets' own refusals.

/// The weigh tickets' own refusals (`AppError::Ticket`, code in `error/mod.rs`).
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    /// TICKET_CARDED: a ticket with a trace card never changes.
    #[error("磅单 {ticket_no} 已打印追溯卡，不能再修改")]
    Carded { ticket_no: String },
}
