//! keyward-api owns the native API's wire types: every request body, query and
//! response the `/v1/` routes take or give, with serde and OpenAPI schemas
//! (`utoipa`). The server serialises them, `keyward-client` and the console
//! deserialise them, and `/v1/openapi.json` is generated from them, so the three
//! cannot drift apart.
//!
//! It must stay a leaf: no HTTP, no storage, no server logic. Values travel as
//! `SecretString` (zeroized on drop, redacted in `Debug`).

pub mod alerts;
pub mod batch;
pub mod error;
pub mod files;
pub mod identities;
pub mod mfa;
pub mod rotation;
pub mod scan;
pub mod secrets;
pub mod sys;

pub use error::{ErrorBody, ErrorDetail};

/// A resource tag (`key`, `value`), as in AWS.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    pub key: String,
    pub value: String,
}
