//! The backend's internal error: SQLite errors are classified into a
//! [`StoreError`] as they are raised (`?` converts both), and the trait methods
//! hand the `StoreError` out.

use keyward_store::StoreError;

/// A [`StoreError`] on its way out of the backend. (A type of this crate's own,
/// because `From<rusqlite::Error>` cannot be implemented for a foreign type here.)
#[derive(Debug)]
pub(crate) struct DbError(pub(crate) StoreError);

pub(crate) type Result<T> = std::result::Result<T, DbError>;

impl From<StoreError> for DbError {
    fn from(e: StoreError) -> Self {
        Self(e)
    }
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        e.0
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        Self(match e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound {
                kind: "record",
                name: String::new(),
            },
            other => StoreError::Backend(other.to_string()),
        })
    }
}
