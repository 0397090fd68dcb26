//! SSM Parameter Store operations (`X-Amz-Target: AmazonSSM.<Op>`).
//!
//! A parameter is a secret in `Namespace::Parameters`, keyed by its canonical name
//! (`foo` and `/foo` are one parameter, as in SSM). Every value is sealed at rest,
//! whatever its type. Versions are "1", "2", ...; the latest holds the internal
//! `AWSCURRENT` stage (so finding it is one indexed read, moved atomically with each
//! write), and SSM labels are the other stages. Each version carries its own
//! attributes (type, tier, description, ...) in `Version.metadata`; the secret's
//! `metadata` mirrors the latest ones for DescribeParameters.

mod describe;
mod filters;
mod read;
mod rules;
mod tags;
pub mod wire;
mod write;

use super::AwsCtx;
use super::wire::{Timestamp, required};
use crate::action::Action;
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::ops::AWSCURRENT;
use base64::Engine;
use keyward_store::{Namespace, Secret, Version, VersionSelector};
use rules::{ParamMeta, Selector};
use serde_json::Value;

pub async fn dispatch(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    action: Action,
    input: &Value,
) -> Result<Value, ApiError> {
    use Action as A;
    match action {
        A::PutParameter => write::put_parameter(ctx, audit, input).await,
        A::DeleteParameter => write::delete_parameter(ctx, audit, input).await,
        A::DeleteParameters => write::delete_parameters(ctx, audit, input).await,
        A::LabelParameterVersion => write::label_parameter_version(ctx, audit, input).await,
        A::UnlabelParameterVersion => write::unlabel_parameter_version(ctx, audit, input).await,
        A::GetParameter => read::get_parameter(ctx, audit, input).await,
        A::GetParameters => read::get_parameters(ctx, audit, input).await,
        A::GetParametersByPath => read::get_parameters_by_path(ctx, audit, input).await,
        A::GetParameterHistory => read::get_parameter_history(ctx, audit, input).await,
        A::DescribeParameters => describe::describe_parameters(ctx, audit, input).await,
        A::AddTagsToResource => tags::add_tags(ctx, audit, input).await,
        A::RemoveTagsFromResource => tags::remove_tags(ctx, audit, input).await,
        A::ListTagsForResource => tags::list_tags(ctx, audit, input).await,
        // `Action::from_aws` resolves only the operations above for this service.
        other => Err(ApiError::Aws {
            status: 400,
            aws_type: "InvalidAction",
            message: format!(
                "Unknown operation AmazonSSM.{}",
                other.aws_operation().unwrap_or_default()
            ),
        }),
    }
}

/// An SSM error of `aws_type` (all SSM errors are HTTP 400).
pub fn err(aws_type: &'static str, message: String) -> ApiError {
    ApiError::Aws {
        status: 400,
        aws_type,
        message,
    }
}

fn verr(message: String) -> ApiError {
    err("ValidationException", message)
}

/// `MaxResults` within `1..=max`, or `default`. AWS words the error slightly
/// differently per operation (`quoted`: the value in quotes, with a full stop).
pub fn max_results(
    given: Option<i64>,
    max: i64,
    default: usize,
    quoted: bool,
) -> Result<usize, ApiError> {
    match given {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(usize::try_from(n).unwrap_or(default)),
        Some(n) => {
            let (v, end) = if quoted {
                (format!("'{n}'"), ".")
            } else {
                (n.to_string(), "")
            };
            let bound = if n < 1 {
                "greater than or equal to 1".to_string()
            } else {
                format!("less than or equal to {max}")
            };
            Err(verr(format!(
                "1 validation error detected: Value {v} at 'maxResults' failed to satisfy constraint: Member must have value {bound}{end}"
            )))
        }
    }
}

// ---- parameters in the store

pub fn param_arn(ctx: &AwsCtx<'_>, key: &str) -> String {
    ctx.st.would_be_arn(Namespace::Parameters, &ctx.region, key)
}

/// The parameter stored under canonical name `key`, if any.
pub async fn lookup(ctx: &AwsCtx<'_>, key: &str) -> Result<Option<Secret>, ApiError> {
    ctx.st
        .store
        .get_secret(Namespace::Parameters, &ctx.region, key)
        .await
        .map_err(ApiError::from)
}

pub fn not_found(name: &str) -> ApiError {
    err("ParameterNotFound", format!("Parameter {name} not found."))
}

pub fn version_not_found(name: &str, what: &str) -> ApiError {
    err(
        "ParameterVersionNotFound",
        format!(
            "Systems Manager could not find version {what} of {name}. Verify the version and try again."
        ),
    )
}

/// The latest version of a parameter.
pub async fn current_version(ctx: &AwsCtx<'_>, secret: &Secret) -> Result<Version, ApiError> {
    let store = &ctx.st.store;
    if let Some(v) = store
        .get_version(secret.id, &VersionSelector::Stage(AWSCURRENT.into()))
        .await
        .map_err(ApiError::from)?
    {
        return Ok(v);
    }
    store
        .list_versions(secret.id)
        .await
        .map_err(ApiError::from)?
        .pop()
        .ok_or_else(|| {
            tracing::error!(parameter = %secret.name, "parameter has no versions");
            ApiError::Internal {
                request_id: ctx.request_id().to_string(),
            }
        })
}

/// The version a selector names (the latest without one).
pub async fn select_version(
    ctx: &AwsCtx<'_>,
    secret: &Secret,
    selector: Option<&Selector>,
    name: &str,
) -> Result<Version, ApiError> {
    let sel = match selector {
        None => return current_version(ctx, secret).await,
        Some(Selector::Version(n)) => VersionSelector::Id(n.to_string()),
        Some(Selector::Label(l)) if rules::is_internal_stage(l) => {
            return Err(version_not_found(name, l));
        }
        Some(Selector::Label(l)) => VersionSelector::Stage(l.clone()),
    };
    ctx.st
        .store
        .get_version(secret.id, &sel)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| {
            let what = match selector {
                Some(Selector::Version(n)) => n.to_string(),
                Some(Selector::Label(l)) => l.clone(),
                None => String::new(),
            };
            version_not_found(name, &what)
        })
}

/// A version's attributes: its own, else the parameter's current ones.
pub fn version_meta(secret: &Secret, version: &Version) -> ParamMeta {
    ParamMeta::from_json(&version.metadata)
        .or_else(|| ParamMeta::from_json(&secret.metadata))
        .unwrap_or_else(|| ParamMeta {
            name: secret.name.clone(),
            ptype: "String".into(),
            tier: "Standard".into(),
            data_type: "text".into(),
            ..Default::default()
        })
}

pub fn version_number(v: &Version) -> i64 {
    v.version_id.parse().unwrap_or(v.seq)
}

/// The value as a response shows it: SecureString values stay sealed (base64 of
/// the stored blob, as AWS returns the KMS ciphertext) unless decryption is asked for.
pub fn shown_value(
    ctx: &AwsCtx<'_>,
    secret: &Secret,
    version: &Version,
    meta: &ParamMeta,
    decrypt: bool,
) -> Result<String, ApiError> {
    if meta.ptype == "SecureString" && !decrypt {
        return Ok(base64::engine::general_purpose::STANDARD.encode(&version.sealed));
    }
    let v = ctx.st.open_value(secret, version)?;
    Ok(String::from_utf8_lossy(v.bytes.expose()).into_owned())
}

fn display_name(secret: &Secret, meta: &ParamMeta) -> String {
    if meta.name.is_empty() {
        secret.name.clone()
    } else {
        meta.name.clone()
    }
}

/// Parameter policies as responses list them; `None` when the stored text isn't a
/// JSON array (the member is then left out).
fn policies_out(meta: &ParamMeta) -> Option<Vec<wire::ParameterInlinePolicy>> {
    let Some(text) = meta.policies.as_deref() else {
        return Some(Vec::new());
    };
    let items: Vec<Value> = serde_json::from_str(text).ok()?;
    Some(
        items
            .iter()
            .map(|p| match p {
                Value::String(s) => wire::ParameterInlinePolicy {
                    PolicyText: s.clone(),
                    PolicyType: s.clone(),
                    PolicyStatus: "Finished".into(),
                },
                other => wire::ParameterInlinePolicy {
                    PolicyText: other.to_string(),
                    PolicyType: other
                        .get("Type")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .into(),
                    PolicyStatus: "Pending".into(),
                },
            })
            .collect(),
    )
}

/// The `Parameter` shape of GetParameter(s) and GetParametersByPath.
pub fn parameter_out(
    ctx: &AwsCtx<'_>,
    secret: &Secret,
    version: &Version,
    selector: Option<&Selector>,
    decrypt: bool,
) -> Result<wire::Parameter, ApiError> {
    let meta = version_meta(secret, version);
    Ok(wire::Parameter {
        Name: display_name(secret, &meta),
        Value: shown_value(ctx, secret, version, &meta, decrypt)?.into(),
        Type: meta.ptype,
        Version: version_number(version),
        Selector: selector.map(Selector::render),
        SourceResult: None,
        LastModifiedDate: Timestamp(version.created_at),
        ARN: secret.arn.clone(),
        DataType: meta.data_type,
    })
}

/// The `ParameterHistory` shape of GetParameterHistory.
pub fn history_out(
    ctx: &AwsCtx<'_>,
    secret: &Secret,
    version: &Version,
    decrypt: bool,
) -> Result<wire::ParameterHistory, ApiError> {
    let meta = version_meta(secret, version);
    Ok(wire::ParameterHistory {
        Name: display_name(secret, &meta),
        LastModifiedDate: Timestamp(version.created_at).seconds(),
        LastModifiedUser: version.created_by.clone().unwrap_or_default(),
        Value: Some(shown_value(ctx, secret, version, &meta, decrypt)?.into()),
        Version: version_number(version),
        Labels: Some(rules::user_labels(&version.stages)),
        Policies: policies_out(&meta),
        Type: meta.ptype,
        Tier: meta.tier,
        DataType: meta.data_type,
        Description: meta.description,
        AllowedPattern: meta.allowed_pattern,
        KeyId: meta.key_id,
        ARN: None,
    })
}

/// The `ParameterMetadata` shape of DescribeParameters.
pub fn metadata_out(secret: &Secret) -> wire::ParameterHistory {
    let meta = ParamMeta::from_json(&secret.metadata).unwrap_or_default();
    wire::ParameterHistory {
        Name: display_name(secret, &meta),
        ARN: Some(secret.arn.clone()),
        LastModifiedDate: meta
            .last_modified
            .unwrap_or_else(|| Timestamp(secret.updated_at).seconds()),
        LastModifiedUser: meta.last_modified_user.clone().unwrap_or_default(),
        Version: meta.version.unwrap_or(1),
        Policies: policies_out(&meta),
        Value: None,
        Labels: None,
        Type: meta.ptype,
        Tier: meta.tier,
        DataType: meta.data_type,
        Description: meta.description,
        AllowedPattern: meta.allowed_pattern,
        KeyId: meta.key_id,
    }
}

/// The `Names` list of GetParameters / DeleteParameters: 1–10 names, as AWS checks it.
fn names_1_to_10(names: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let names = required(names, "Names")?;
    if names.is_empty() || names.len() > 10 {
        return Err(verr(format!(
            "1 validation error detected: Value '[{}]' at 'names' failed to satisfy constraint: Member must have length {}.",
            names.join(", "),
            if names.is_empty() {
                "greater than or equal to 1"
            } else {
                "less than or equal to 10"
            }
        )));
    }
    Ok(names)
}
