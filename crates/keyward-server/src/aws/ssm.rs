//! SSM Parameter Store operations (`X-Amz-Target: AmazonSSM.<Op>`).

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
        aws_type: "InvalidAction",
        message: format!("Unknown operation AmazonSSM.{op}"),
    })
}
