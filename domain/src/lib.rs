//! Cotton Trace domain rules: pure functions with no I/O, randomness or clocks.
//!
//! Shared by the server and the collector client. Every rule violation is a
//! [`RuleError`] with a Chinese message for the operator.
//!
//! | module | what |
//! |---|---|
//! | [`identity`] | resident ID numbers, unified social credit codes, mobiles |
//! | [`orgs`] | org tree, roles, codes, names, usernames, passwords |
//! | [`season`] | per-season rules (rules §5) |
//! | [`units`] | trace-unit kinds, statuses, lifecycle, plot/unit areas (rules §4) |
//! | [`weights`] | weigh-ticket and bale weights (rules §6) |
//! | [`allocation`] | premium-cotton allocation by largest remainder (rules §9) |
//! | [`card_no`] | trace card numbers with a check digit (rules §7) |
//! | [`line`] | the gin line state machine: scans, delay, bales, finish, end, reprocess (rules §8) |
//! | [`processing`] | the processing interface: exported cards, processing records (rules §7–§8) |

pub mod allocation;
pub mod card_no;
pub mod error;
pub mod identity;
pub mod line;
pub mod orgs;
pub mod processing;
pub mod season;
pub mod units;
pub mod weights;

pub use error::RuleError;

/// Number of decimal places a value really has (trailing zeros ignored).
pub(crate) fn decimal_places(d: rust_decimal::Decimal) -> u32 {
    d.normalize().scale()
}
