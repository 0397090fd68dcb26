//! `/v1/scan/fingerprints` and `/v1/scan/leaks`: what `keyward scan --managed`
//! needs to find stored values in files without ever receiving them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /v1/scan/fingerprints` (may be empty).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FingerprintRequest {
    /// Only secrets whose names start with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// Keyed fingerprints of the current values, under a key made for this request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Fingerprints {
    /// The per-request fingerprint key, hex.
    pub key: String,
    pub fingerprints: Vec<Fingerprint>,
    /// Secrets the caller may not fingerprint.
    pub skipped: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Fingerprint {
    /// 32 bytes, hex.
    pub fingerprint: String,
    /// The value's length in bytes, so the scanner can skip spans of other lengths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// The secret's name, with `#field` for a field of a JSON secret.
    pub name: String,
}

/// Body of `POST /v1/scan/leaks`: the managed secrets a scan found (names and
/// counts only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeakReport {
    pub found: Vec<LeakFound>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeakFound {
    /// The secret's name (a `#field` suffix is dropped).
    pub secret: String,
    pub hits: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaksRecorded {
    pub recorded: u64,
    /// Names the caller may not report (unknown or not allowed).
    pub skipped: u64,
}
