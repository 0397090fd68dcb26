/// What a storage operation can fail with. Messages name records by name or id,
/// never by value.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{kind} not found: {name}")]
    NotFound { kind: &'static str, name: String },
    #[error("{kind} already exists: {name}")]
    AlreadyExists { kind: &'static str, name: String },
    /// The same idempotency token was used with a different value.
    #[error("version {version_id} already exists with a different value")]
    VersionConflict { version_id: String },
    #[error("conflict: {0}")]
    Conflict(String),
    /// An optimistic write found that another writer changed the record after the
    /// caller read it (e.g. [`crate::Store::add_version_after`]); nothing was
    /// written. Read again and retry.
    #[error(
        "{kind} {name} was changed by another writer since it was read; read it again and retry"
    )]
    Stale { kind: &'static str, name: String },
    #[error("the database is corrupt or was edited outside keyward: {0}")]
    Corrupt(String),
    /// The database exists but holds no keyward store (empty file, no schema).
    #[error("not an initialised keyward database: {0}")]
    Uninitialised(String),
    #[error("storage backend error: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn not_found(kind: &'static str, name: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            name: name.into(),
        }
    }
    pub fn already_exists(kind: &'static str, name: impl Into<String>) -> Self {
        Self::AlreadyExists {
            kind,
            name: name.into(),
        }
    }
}
