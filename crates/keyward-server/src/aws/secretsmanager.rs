//! Secrets Manager operations (`X-Amz-Target: secretsmanager.<Op>`).

use super::AwsCtx;
use crate::ctx::Audit;
use crate::error::ApiError;
use serde_json::Value;

pub async fn dispatch(
    _ctx: &AwsCtx<'_>,
    _audit: &mut Audit,
    op: &str,
    _input: &Value,
) -> Result<Value, ApiError> {
    Err(ApiError::Aws {
        status: 400,
        aws_type: "UnknownOperationException",
        message: format!("Unknown operation secretsmanager.{op}"),
    })
}
