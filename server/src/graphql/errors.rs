//! The `errorCodes` query.

use cotton_service::error::ErrorCode;

/// `errorCodes`: the codes a refusal can carry, so that introspection and code
/// generators see the `ErrorCode` enum (no other field returns it).
#[derive(Default)]
pub struct ErrorQuery;

#[async_graphql::Object]
impl ErrorQuery {
    /// Every `ErrorCode` a refused operation can carry in `extensions.code`, in
    /// declaration order (public; each value's description says what it means).
    async fn error_codes(&self) -> Vec<ErrorCode> {
        ErrorCode::ALL.to_vec()
    }
}
