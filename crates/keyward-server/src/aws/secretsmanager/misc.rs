//! GetRandomPassword and resource policies.

use super::replication::not_replica;
use super::{opt_bool, opt_i64, opt_str, req_str, secret_id};
use crate::action::Action;
use crate::aws::{AwsCtx, invalid_param};
use crate::ctx::Audit;
use crate::error::ApiError;
use keyward_crypto::{GenError, PasswordPolicy, generate_password};
use keyward_policy::PolicyKind;
use keyward_store::SecretPatch;
use serde_json::{Value, json};

pub fn random_password(ctx: &AwsCtx<'_>, input: &Value) -> Result<Value, ApiError> {
    ctx.authorize(Action::GetRandomPassword, "*", None)?;
    let length = opt_i64(input, "PasswordLength")?.unwrap_or(32);
    if length > 4096 {
        return Err(ApiError::Aws {
            status: 400,
            aws_type: "InvalidParameterValue",
            message: format!(
                "1 validation error detected: Value '{length}' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to 4096"
            ),
        });
    }
    if length < 1 {
        return Err(super::validation(format!(
            "1 validation error detected: Value '{length}' at 'passwordLength' failed to satisfy constraint: Member must have value greater than or equal to 1"
        )));
    }
    let exclude = opt_str(input, "ExcludeCharacters")?.unwrap_or("");
    if exclude.chars().count() > 4096 {
        return Err(invalid_param(
            "ExcludeCharacters must be at most 4096 characters.",
        ));
    }
    let flag = |f: &str| opt_bool(input, f).map(|b| b.unwrap_or(false));
    let policy = PasswordPolicy {
        length: length as usize,
        exclude_characters: exclude.to_string(),
        exclude_numbers: flag("ExcludeNumbers")?,
        exclude_punctuation: flag("ExcludePunctuation")?,
        exclude_uppercase: flag("ExcludeUppercase")?,
        exclude_lowercase: flag("ExcludeLowercase")?,
        include_space: flag("IncludeSpace")?,
        require_each_included_type: opt_bool(input, "RequireEachIncludedType")?.unwrap_or(true),
    };
    let pw = generate_password(&policy).map_err(|e| match e {
        GenError::TooShortForPolicy { .. } => {
            invalid_param("Password length is too short based on the required types.")
        }
        GenError::EmptyAlphabet => invalid_param(
            "The password policy excludes every character: nothing is left to generate a password from.",
        ),
        other => invalid_param(other.to_string()),
    })?;
    Ok(json!({"RandomPassword": pw.expose()}))
}

// ---- resource policies ----------------------------------------------------------

fn malformed(message: String) -> ApiError {
    ApiError::Aws {
        status: 400,
        aws_type: "MalformedPolicyDocumentException",
        message,
    }
}

/// Validates a resource policy; the findings as AWS's `ValidationErrors`.
fn check_policy(doc: &str) -> Result<keyward_policy::ValidationReport, ApiError> {
    if doc.is_empty() || doc.len() > 20480 {
        return Err(invalid_param("ResourcePolicy must be 1-20480 characters."));
    }
    keyward_policy::validate_str(doc, PolicyKind::Resource)
        .map_err(|e| malformed(format!("This resource policy contains a syntax error: {e}")))
}

pub async fn put_policy(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let doc = req_str(input, "ResourcePolicy")?;
    let block_public = opt_bool(input, "BlockPublicPolicy")?.unwrap_or(false);
    let secret = ctx.lookup(audit, Action::PutResourcePolicy, id).await?;
    not_replica(&secret)?;
    let report = check_policy(doc)?;
    if let Some(f) = report.errors().next() {
        return Err(malformed(format!("This resource policy is not valid: {f}")));
    }
    if block_public && report.broad_access {
        return Err(ApiError::Aws {
            status: 400,
            aws_type: "PublicPolicyException",
            message: "This resource policy grants broad access to the secret (a wildcard principal without a condition naming the caller); BlockPublicPolicy refuses it".into(),
        });
    }
    ctx.st
        .write(audit, async |w| {
            ctx.st
                .store
                .update_secret(
                    secret.id,
                    SecretPatch {
                        resource_policy: Some(Some(doc.to_string())),
                        ..Default::default()
                    },
                    w,
                )
                .await
        })
        .await?;
    Ok(json!({"ARN": secret.arn, "Name": secret.name}))
}

pub async fn get_policy(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let secret = ctx.lookup(audit, Action::GetResourcePolicy, id).await?;
    not_replica(&secret)?;
    let mut out = json!({"ARN": secret.arn, "Name": secret.name});
    if let Some(p) = &secret.resource_policy {
        out["ResourcePolicy"] = json!(p);
    }
    Ok(out)
}

pub async fn delete_policy(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let secret = ctx.lookup(audit, Action::DeleteResourcePolicy, id).await?;
    not_replica(&secret)?;
    if secret.resource_policy.is_some() {
        ctx.st
            .write(audit, async |w| {
                ctx.st
                    .store
                    .update_secret(
                        secret.id,
                        SecretPatch {
                            resource_policy: Some(None),
                            ..Default::default()
                        },
                        w,
                    )
                    .await
            })
            .await?;
    }
    Ok(json!({"ARN": secret.arn, "Name": secret.name}))
}

pub async fn validate_policy(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let doc = req_str(input, "ResourcePolicy")?;
    match opt_str(input, "SecretId")? {
        Some(id) => {
            ctx.lookup(audit, Action::ValidateResourcePolicy, id)
                .await?;
        }
        None => ctx.authorize(Action::ValidateResourcePolicy, "*", None)?,
    }
    let report = check_policy(doc)?;
    let errors: Vec<Value> = report
        .findings
        .iter()
        .map(|f| json!({"CheckName": f.field, "ErrorMessage": f.to_string()}))
        .collect();
    Ok(json!({
        "PolicyValidationPassed": report.is_valid() && !report.broad_access,
        "ValidationErrors": errors,
    }))
}
