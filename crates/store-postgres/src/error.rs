//! Where Diesel's and the pool's errors stop: each is sorted into "the database is not
//! there" (a 503 for the caller) or "something unexpected" (an opaque 500), and known
//! constraint violations become the domain's not-found variants at the call site.

use std::error::Error as StdError;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;

pub type Cause = Box<dyn StdError + Send + Sync>;

/// Every failure of a store call, before it is given its port's error type.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection: {0}")]
    Unavailable(#[source] Cause),
    #[error(transparent)]
    Query(DieselError),
    #[error(transparent)]
    Corrupt(#[from] crate::rows::UnknownValue),
    /// What an insert was to create exists: the transaction is rolled back, and the caller
    /// says what that means.
    #[error("already stored")]
    AlreadyThere,
}

impl From<PoolError> for DbError {
    fn from(error: PoolError) -> Self {
        Self::Unavailable(Box::new(error))
    }
}

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        if lost_connection(&error) {
            Self::Unavailable(Box::new(error))
        } else {
            Self::Query(error)
        }
    }
}

impl DbError {
    /// The name of the violated constraint, when a foreign key or a unique index is what
    /// refused the write.
    pub fn violated(&self) -> Option<&str> {
        match self {
            Self::Query(DieselError::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation | DatabaseErrorKind::UniqueViolation,
                info,
            )) => info.constraint_name(),
            _ => None,
        }
    }

    pub fn into_cause(self) -> Cause {
        match self {
            Self::Unavailable(cause) => cause,
            Self::Query(error) => Box::new(error),
            Self::Corrupt(error) => Box::new(error),
            error @ Self::AlreadyThere => Box::new(error),
        }
    }
}

/// Errors that mean the server went away or is restarting, not that the query was wrong.
/// Diesel gives no SQLSTATE, so the server's shutdown messages are matched by text.
fn lost_connection(error: &DieselError) -> bool {
    match error {
        DieselError::BrokenTransactionManager => true,
        DieselError::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => true,
            DatabaseErrorKind::Unknown => {
                let message = info.message();
                message.starts_with("terminating connection")
                    || message.starts_with("the database system is")
                    || message.contains("connection closed")
                    // The server's `statement_timeout`: the database did not answer in time.
                    || message.starts_with("canceling statement due to statement timeout")
            }
            _ => false,
        },
        _ => false,
    }
}

/// Every store port shares the same unavailable/unexpected split.
macro_rules! into_port_error {
    ($port_error:ty) => {
        impl From<DbError> for $port_error {
            fn from(error: DbError) -> Self {
                match error {
                    DbError::Unavailable(cause) => Self::Unavailable(cause),
                    other => Self::Unexpected(other.into_cause()),
                }
            }
        }
    };
}

into_port_error!(domain::ports::ChatStoreError);
into_port_error!(domain::ports::EventStoreError);
into_port_error!(domain::ports::ShareStoreError);
