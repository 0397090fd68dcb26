//! GetRandomPassword and resource policies.

use super::replication::not_replica;
use super::{secret_id, wire};
use crate::action::Action;
use crate::aws::wire::{answer, required};
use crate::aws::{AwsCtx, invalid_param};
use crate::ctx::Audit;
use crate::error::ApiError;
use keyward_crypto::{GenError, PasswordPolicy, generate_password};
use keyward_policy::PolicyKind;
use keyward_store::SecretPatch;
use serde_json::Value;

pub fn random_password(ctx: &AwsCtx<'_>, input: &Value) -> Result<Value, ApiError> {
    ctx.authorize(Action::GetRandomPassword, "*", None)?;
    // Parsed after authorizing: a denied caller learns nothing, whatever it sent.
    let req: wire::GetRandomPasswordRequest = wire::parse(input)?;
    let length = req.PasswordLength.unwrap_or(32);
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
    let exclude = req.ExcludeCharacters.unwrap_or_default();
    if exclude.chars().count() > 4096 {
        return Err(invalid_param(
            "ExcludeCharacters must be at most 4096 characters.",
        ));
    }
    let policy = PasswordPolicy {
        length: length as usize,
        exclude_characters: exclude,
        exclude_numbers: req.ExcludeNumbers.unwrap_or(false),
        exclude_punctuation: req.ExcludePunctuation.unwrap_or(false),
        exclude_uppercase: req.ExcludeUppercase.unwrap_or(false),
        exclude_lowercase: req.ExcludeLowercase.unwrap_or(false),
        include_space: req.IncludeSpace.unwrap_or(false),
        require_each_included_type: req.RequireEachIncludedType.unwrap_or(true),
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
    Ok(answer(&wire::GetRandomPasswordResponse {
        RandomPassword: pw,
    }))
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
    let req: wire::PutResourcePolicyRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let doc = required(req.ResourcePolicy.as_deref(), "ResourcePolicy")?;
    let block_public = req.BlockPublicPolicy.unwrap_or(false);
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
    ctx.st.clear_auth_cache();
    Ok(super::arn_name(&secret))
}

pub async fn get_policy(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::GetResourcePolicyRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let secret = ctx.lookup(audit, Action::GetResourcePolicy, id).await?;
    not_replica(&secret)?;
    Ok(answer(&wire::GetResourcePolicyResponse {
        ARN: secret.arn,
        Name: secret.name,
        ResourcePolicy: secret.resource_policy,
    }))
}

pub async fn delete_policy(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::DeleteResourcePolicyRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
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
    Ok(super::arn_name(&secret))
}

pub async fn validate_policy(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::ValidateResourcePolicyRequest = wire::parse(input)?;
    let doc = required(req.ResourcePolicy.as_deref(), "ResourcePolicy")?;
    match req.SecretId.as_deref() {
        Some(id) => {
            ctx.lookup(audit, Action::ValidateResourcePolicy, id)
                .await?;
        }
        None => ctx.authorize(Action::ValidateResourcePolicy, "*", None)?,
    }
    let report = check_policy(doc)?;
    let errors = report
        .findings
        .iter()
        .map(|f| wire::ValidationErrorsEntry {
            CheckName: f.field.clone(),
            ErrorMessage: f.to_string(),
        })
        .collect();
    Ok(answer(&wire::ValidateResourcePolicyResponse {
        PolicyValidationPassed: report.is_valid() && !report.broad_access,
        ValidationErrors: errors,
    }))
}
