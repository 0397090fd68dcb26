//! Change notifications for `keyward run --watch` and client caches: every write to a
//! secret publishes an event (names and version ids only, never values).

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ChangeEvent {
    pub name: String,
    pub namespace: &'static str,
    pub region: String,
    /// `put`, `stage`, `delete`, `restore`, `rotate`.
    pub kind: &'static str,
    pub version_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub time: time::OffsetDateTime,
}
