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
mod write;

use super::AwsCtx;
use crate::action::Action;
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::ops::AWSCURRENT;
use base64::Engine;
use keyward_store::{Namespace, Secret, Version, VersionSelector};
use rules::{ParamMeta, Selector};
use serde_json::{Value, json};

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

fn not_null(field: &str) -> ApiError {
    verr(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        lower_first(field)
    ))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

// ---- input fields

pub fn req_str<'a>(input: &'a Value, field: &str) -> Result<&'a str, ApiError> {
    opt_str(input, field)?.ok_or_else(|| not_null(field))
}

pub fn opt_str<'a>(input: &'a Value, field: &str) -> Result<Option<&'a str>, ApiError> {
    super::opt_str(input, field, verr)
}

pub fn opt_bool(input: &Value, field: &str) -> Result<bool, ApiError> {
    Ok(super::opt_bool(input, field, verr)?.unwrap_or(false))
}

pub fn opt_i64(input: &Value, field: &str) -> Result<Option<i64>, ApiError> {
    super::opt_i64(input, field, verr)
}

pub fn str_list(input: &Value, field: &str) -> Result<Option<Vec<String>>, ApiError> {
    super::opt_str_list(input, field, verr)
}

/// `MaxResults` within `1..=max`, or `default`. AWS words the error slightly
/// differently per operation (`quoted`: the value in quotes, with a full stop).
pub fn max_results(
    input: &Value,
    max: i64,
    default: usize,
    quoted: bool,
) -> Result<usize, ApiError> {
    match opt_i64(input, "MaxResults")? {
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
/// JSON array (the field is then left out).
fn policies_json(meta: &ParamMeta) -> Option<Value> {
    let Some(text) = meta.policies.as_deref() else {
        return Some(json!([]));
    };
    let items: Vec<Value> = serde_json::from_str(text).ok()?;
    Some(Value::Array(
        items
            .iter()
            .map(|p| match p {
                Value::String(s) => json!({
                    "PolicyText": s,
                    "PolicyType": s,
                    "PolicyStatus": "Finished",
                }),
                other => json!({
                    "PolicyText": other.to_string(),
                    "PolicyType": other.get("Type").and_then(Value::as_str).unwrap_or(""),
                    "PolicyStatus": "Pending",
                }),
            })
            .collect(),
    ))
}

/// The `Parameter` shape of GetParameter(s) and GetParametersByPath.
pub fn parameter_json(
    ctx: &AwsCtx<'_>,
    secret: &Secret,
    version: &Version,
    selector: Option<&Selector>,
    decrypt: bool,
) -> Result<Value, ApiError> {
    let meta = version_meta(secret, version);
    let mut out = json!({
        "Name": display_name(secret, &meta),
        "Type": meta.ptype,
        "Value": shown_value(ctx, secret, version, &meta, decrypt)?,
        "Version": version_number(version),
        "LastModifiedDate": super::epoch(version.created_at),
        "ARN": secret.arn,
        "DataType": meta.data_type,
    });
    if let Some(s) = selector {
        out["Selector"] = json!(s.render());
    }
    Ok(out)
}

/// The `ParameterHistory` shape of GetParameterHistory.
pub fn history_json(
    ctx: &AwsCtx<'_>,
    secret: &Secret,
    version: &Version,
    decrypt: bool,
) -> Result<Value, ApiError> {
    let meta = version_meta(secret, version);
    let mut out = json!({
        "Name": display_name(secret, &meta),
        "Type": meta.ptype,
        "LastModifiedDate": super::epoch(version.created_at),
        "LastModifiedUser": version.created_by.clone().unwrap_or_default(),
        "Value": shown_value(ctx, secret, version, &meta, decrypt)?,
        "Version": version_number(version),
        "Labels": rules::user_labels(&version.stages),
        "Tier": meta.tier,
        "DataType": meta.data_type,
    });
    add_optional(&mut out, &meta);
    Ok(out)
}

/// The `ParameterMetadata` shape of DescribeParameters.
pub fn metadata_json(secret: &Secret) -> Value {
    let meta = ParamMeta::from_json(&secret.metadata).unwrap_or_default();
    let mut out = json!({
        "Name": display_name(secret, &meta),
        "ARN": secret.arn,
        "Type": meta.ptype,
        "LastModifiedDate": meta.last_modified.map(|t| json!(t)).unwrap_or_else(|| super::epoch(secret.updated_at)),
        "LastModifiedUser": meta.last_modified_user.clone().unwrap_or_default(),
        "Version": meta.version.unwrap_or(1),
        "Tier": meta.tier,
        "DataType": meta.data_type,
    });
    add_optional(&mut out, &meta);
    out
}

/// Description, AllowedPattern, KeyId and Policies, when the parameter has them.
fn add_optional(out: &mut Value, meta: &ParamMeta) {
    if let Some(d) = &meta.description {
        out["Description"] = json!(d);
    }
    if let Some(p) = &meta.allowed_pattern {
        out["AllowedPattern"] = json!(p);
    }
    if let Some(k) = &meta.key_id {
        out["KeyId"] = json!(k);
    }
    if let Some(p) = policies_json(meta) {
        out["Policies"] = p;
    }
}

/// The `Names` list of GetParameters / DeleteParameters: 1–10 names, as AWS checks it.
fn names_1_to_10(input: &Value) -> Result<Vec<String>, ApiError> {
    let names = str_list(input, "Names")?.ok_or_else(|| not_null("Names"))?;
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
