//! The error body every native route answers with on failure.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `access_denied`.
    pub code: String,
    /// What went wrong and how to fix it; never contains a secret value.
    pub message: String,
}
