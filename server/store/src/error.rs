//! What a store call can fail with, classified once so that the layers above
//! never look inside a diesel error (they map each kind to the contract's code).

use diesel::result::{DatabaseErrorKind, Error};

pub type StoreResult<T> = Result<T, StoreError>;

/// Deliberately not `Display` (nor `std::error::Error`), like the API's
/// `AppError`: async-graphql turns any `Display` error met by `?` in a resolver
/// into an error without `extensions.code`, so a store error must go through
/// the API's conversion, which always sets one.
#[derive(Debug)]
pub enum StoreError {
    /// The pool could not hand out a connection, or the database went away
    /// under this one (restarted, network): the caller may retry.
    Unavailable(String),
    /// A unique key refused the row; `constraint` names it where the backend says.
    UniqueViolation { constraint: Option<String> },
    /// A foreign key refused the row (a referenced row is gone, or still referenced).
    ForeignKeyViolation { constraint: Option<String> },
    /// PostgreSQL could not serialize this transaction with a concurrent one,
    /// or chose it as the victim of a deadlock (40P01): running it again works.
    SerializationFailure,
    /// Anything else: a bug or a broken invariant, logged and reported as INTERNAL.
    Query(Error),
}

impl StoreError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::UniqueViolation { .. })
    }

    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(self, StoreError::ForeignKeyViolation { .. })
    }

    /// Worth running the same transaction again (one bounded retry, the caller's).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::SerializationFailure)
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _)
            | Error::BrokenTransactionManager => StoreError::Unavailable("数据库连接中断，请稍后重试".into()),
            // PostgreSQL shutting down under a running statement (SQLSTATE 57P01,
            // which diesel reports only by its message).
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info) if info.message().starts_with("terminating connection") => {
                StoreError::Unavailable("数据库连接中断，请稍后重试".into())
            }
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::UniqueViolation { constraint: info.constraint_name().map(str::to_string) }
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                StoreError::ForeignKeyViolation { constraint: info.constraint_name().map(str::to_string) }
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => StoreError::SerializationFailure,
            // Deadlock (SQLSTATE 40P01, which diesel reports only by its message):
            // two group-commit batches locking a shared row (a unit, a card) in
            // opposite orders; the victim runs again.
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info) if info.message().starts_with("deadlock detected") => {
                StoreError::SerializationFailure
            }
            e => StoreError::Query(e),
        }
    }
}
