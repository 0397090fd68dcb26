//! CreateSecret, GetSecretValue, BatchGetSecretValue, PutSecretValue, UpdateSecret.

use super::{
    client_token, decode_token, default_stages, encode_token, marked_deleted, same_value,
    secret_id, secret_value, short_out, tags, value_out, wire,
};
use crate::action::Action;
use crate::aws::wire::{answer, required};
use crate::aws::{AwsCtx, invalid_param};
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::names::validate_secret_name;
use crate::ops::AWSCURRENT;
use keyward_store::{AddVersionOutcome, Namespace, Secret, SecretPatch, Version, VersionSelector};
use serde_json::{Value, json};

fn description(d: Option<String>) -> Result<Option<String>, ApiError> {
    if let Some(d) = &d
        && d.chars().count() > 2048
    {
        return Err(invalid_param(
            "Description must be at most 2048 characters.",
        ));
    }
    Ok(d)
}

fn kms_key(k: Option<String>) -> Result<Option<String>, ApiError> {
    if let Some(k) = &k
        && (k.is_empty() || k.len() > 2048)
    {
        return Err(invalid_param("KmsKeyId must be 1-2048 characters."));
    }
    Ok(k)
}

fn token_in_use(token: &str, secret: &Secret) -> ApiError {
    ApiError::AlreadyExists(format!(
        "You can't use ClientRequestToken {token} because that value is already in use for a version of secret {}.",
        secret.arn
    ))
}

/// A replayed `ClientRequestToken`: `Some(version)` when it names an existing
/// version with the same value (idempotent replay), an error when the value differs.
async fn replayed(
    ctx: &AwsCtx<'_>,
    secret: &Secret,
    token: &str,
    value: Option<&crate::ops::Value>,
) -> Result<Option<Version>, ApiError> {
    let existing = ctx
        .st
        .store
        .get_version(secret.id, &VersionSelector::Id(token.to_string()))
        .await
        .map_err(ApiError::from)?;
    match (existing, value) {
        // A rotation's pending version with no value yet: this call fills it.
        (Some(v), _) if v.is_placeholder() => Ok(None),
        (Some(v), Some(value)) if same_value(ctx, secret, &v, value)? => Ok(Some(v)),
        (Some(_), _) => Err(token_in_use(token, secret)),
        (None, _) => Ok(None),
    }
}

pub async fn create(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let req: wire::CreateSecretRequest = wire::parse(input)?;
    let name = required(req.Name.as_deref(), "Name")?;
    validate_secret_name(name)?;
    let value = secret_value(req.SecretString, req.SecretBinary)?;
    let token = client_token(req.ClientRequestToken)?;
    let description = description(req.Description)?;
    let kms = kms_key(req.KmsKeyId)?;
    let tags = tags(req.Tags)?.unwrap_or_default();
    let replica_regions = super::replication::replica_regions(req.AddReplicaRegions)?;
    let force_overwrite = req.ForceOverwriteReplicaSecret.unwrap_or(false);
    if replica_regions.iter().any(|r| r.0 == ctx.region) {
        return Err(invalid_param("Invalid replica region."));
    }

    let existing = ctx.lookup_opt(audit, Action::CreateSecret, name).await?;
    if let Some(secret) = existing {
        if secret.deleted_at.is_some() {
            return Err(ApiError::InvalidRequest(
                "You can't create this secret because a secret with this name is already scheduled for deletion.".into(),
            ));
        }
        let Some(token) = token else {
            return Err(ApiError::AlreadyExists(
                "A resource with the ID you requested already exists.".into(),
            ));
        };
        return match replayed(ctx, &secret, &token, value.as_ref()).await? {
            Some(v) => {
                audit.version(v.version_id.clone());
                Ok(short_out(&secret, Some(&v.version_id)))
            }
            None => Err(ApiError::AlreadyExists(format!(
                "The operation failed because the secret {name} already exists."
            ))),
        };
    }
    if tags.iter().any(|t| t.key.starts_with("aws:")) {
        return Err(invalid_param(
            "Tag keys starting with aws: are reserved for AWS use.",
        ));
    }
    let arn = ctx.st.secret_arn(&ctx.region, name);
    // The replica side is authorized before anything is created.
    let plans =
        super::replication::plan_replicas(ctx, name, &arn, &replica_regions, force_overwrite)
            .await?;
    let version_id = token.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let (secret, version) = ctx
        .st
        .create_secret(
            ctx.caller,
            audit,
            Namespace::Secrets,
            &ctx.region,
            name,
            arn,
            value.as_ref().map(|v| (v, version_id)),
            description,
            kms,
            tags,
            json!({}),
        )
        .await?;
    let secret = if plans.is_empty() {
        secret
    } else {
        super::replication::apply_replicas(ctx, audit, &secret, plans, force_overwrite).await?
    };
    Ok(short_out(
        &secret,
        version.as_ref().map(|v| v.version_id.as_str()),
    ))
}

pub async fn get(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let req: wire::GetSecretValueRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let secret = ctx.lookup(audit, Action::GetSecretValue, id).await?;
    let out = read(
        ctx,
        audit,
        &secret,
        req.VersionId.as_deref(),
        req.VersionStage.as_deref(),
    )
    .await?;
    Ok(answer(&out))
}

async fn read(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    secret: &Secret,
    version_id: Option<&str>,
    stage: Option<&str>,
) -> Result<wire::GetSecretValueResponse, ApiError> {
    if secret.deleted_at.is_some() {
        return Err(marked_deleted());
    }
    let selector = match (version_id, stage) {
        (Some(id), _) => VersionSelector::Id(id.to_string()),
        (None, Some(s)) => VersionSelector::Stage(s.to_string()),
        (None, None) => VersionSelector::Stage(AWSCURRENT.to_string()),
    };
    let (version, value) = ctx.st.read_version(audit, secret, &selector).await?;
    if let (Some(_), Some(s)) = (version_id, stage)
        && !version.stages.iter().any(|v| v == s)
    {
        return Err(ApiError::InvalidRequest(
            "You provided a VersionStage that is not associated to the provided VersionId.".into(),
        ));
    }
    Ok(value_out(secret, &version, &value))
}

pub async fn batch_get(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::BatchGetSecretValueRequest = wire::parse(input)?;
    let ids = req.SecretIdList.unwrap_or_default();
    let filters = super::list::filters(req.Filters)?;
    let max = req.MaxResults;
    let offset = decode_token(req.NextToken.as_deref())?;
    if !ids.is_empty() && !filters.is_empty() {
        return Err(invalid_param(
            "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
        ));
    }
    if max.is_some() && filters.is_empty() {
        return Err(invalid_param(
            "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
        ));
    }
    if ids.len() > 20 {
        return Err(invalid_param(
            "SecretIdList can contain at most 20 secret ids.",
        ));
    }
    let max = match max {
        None => 20,
        Some(m) if (1..=20).contains(&m) => m as usize,
        Some(_) => return Err(invalid_param("MaxResults must be between 1 and 20.")),
    };
    // The batch itself is authorized as BatchGetSecretValue; each secret read is
    // authorized as GetSecretValue and audited as a record of its own.
    ctx.authorize(Action::BatchGetSecretValue, "*", None)?;
    let mut next = None;
    let by_filter = ids.is_empty();
    // Filters enumerate secrets (a denied one is still named in `Errors`), so, as
    // AWS requires, they need ListSecrets too.
    if by_filter {
        ctx.authorize(Action::ListSecrets, "*", None)?;
    }
    let targets: Vec<String> = if !by_filter {
        ids
    } else {
        let all = super::list::matching(ctx, &filters, false).await?;
        let page: Vec<&Secret> = all.iter().skip(offset).take(max).collect();
        if offset + page.len() < all.len() {
            next = Some(encode_token(offset + page.len()));
        }
        page.into_iter().map(|s| s.arn.clone()).collect()
    };
    // As AWS does, a secret that cannot be read (denied, missing, deleted) is
    // reported in `Errors` and the others are still returned.
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for id in &targets {
        match read_one(ctx, audit, id).await {
            Ok(v) => values.push(v),
            Err(e) if matches!(e, ApiError::Internal { .. } | ApiError::Sealed(_)) => {
                return Err(e);
            }
            // A secret the filters found exists, so "not found" means it has no
            // value yet: the whole batch fails with ResourceNotFoundException, as
            // AWS answers (denials still go to `Errors`, naming nothing more).
            Err(e @ ApiError::NotFound(_)) if by_filter => return Err(e),
            Err(e) => errors.push(wire::APIErrorType {
                SecretId: id.clone(),
                ErrorCode: e.aws_type().to_string(),
                Message: e.to_string(),
            }),
        }
    }
    Ok(answer(&wire::BatchGetSecretValueResponse {
        SecretValues: values,
        NextToken: next,
        Errors: errors,
    }))
}

/// One secret of a batch read, with its own audit record.
async fn read_one(
    ctx: &AwsCtx<'_>,
    batch: &Audit,
    id: &str,
) -> Result<wire::GetSecretValueResponse, ApiError> {
    let mut audit = batch.clone();
    audit.set_action(Action::GetSecretValue);
    audit.event.resource = None;
    audit.event.version_id = None;
    let result = async {
        let secret = ctx.lookup(&mut audit, Action::GetSecretValue, id).await?;
        read(ctx, &mut audit, &secret, None, None).await
    }
    .await;
    match &result {
        Ok(_) => audit.event.outcome = keyward_store::Outcome::Success,
        Err(e) => {
            audit.event.outcome = e.outcome();
            audit.event.error_code = Some(e.aws_type().to_string());
        }
    }
    let keys = ctx.st.keys()?;
    keys.audit.record(audit.event).await.map_err(|e| {
        tracing::error!(request_id = ctx.request_id(), error = %e, "could not store an audit record");
        ApiError::Internal {
            request_id: ctx.request_id().to_string(),
        }
    })?;
    result
}

pub async fn put(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let req: wire::PutSecretValueRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let value = secret_value(req.SecretString, req.SecretBinary)?;
    let token = client_token(req.ClientRequestToken)?;
    let stages = req.VersionStages.unwrap_or_else(default_stages);
    if stages.len() > 20 || stages.iter().any(|s| s.is_empty() || s.len() > 256) {
        return Err(invalid_param(
            "VersionStages can hold at most 20 labels of 1-256 characters.",
        ));
    }
    let Some(value) = value else {
        return Err(ApiError::InvalidRequest(
            "You must provide either SecretString or SecretBinary.".into(),
        ));
    };
    let secret = ctx.lookup(audit, Action::PutSecretValue, id).await?;
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    if secret.deleted_at.is_some() {
        return Err(super::marked_for_deletion());
    }
    if let Some(t) = &token
        && let Some(v) = replayed(ctx, &secret, t, Some(&value)).await?
    {
        audit.version(v.version_id.clone());
        return Ok(put_json(&secret, &v));
    }
    let mut stages = dedup(stages);
    if !stages.iter().any(|s| s == AWSCURRENT) && ctx.versions(&secret).await?.is_empty() {
        // The first version of a secret is always current.
        stages.push(AWSCURRENT.to_string());
    }
    let out = ctx
        .st
        .put_value(ctx.caller, audit, &secret, &value, token, stages.clone())
        .await
        .map_err(|e| match e {
            ApiError::AlreadyExists(_) => {
                token_in_use(audit.event.version_id.as_deref().unwrap_or(""), &secret)
            }
            e => e,
        })?;
    Ok(match out {
        // Answer with the labels in the order they were asked for.
        AddVersionOutcome::Created(v) => answer(&wire::PutSecretValueResponse {
            ARN: secret.arn,
            Name: secret.name,
            VersionId: v.version_id,
            VersionStages: dedup(stages),
        }),
        AddVersionOutcome::AlreadyExisted(v) => put_json(&secret, &v),
    })
}

fn dedup(stages: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(stages.len());
    for s in stages {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn put_json(secret: &Secret, version: &Version) -> Value {
    answer(&wire::PutSecretValueResponse {
        ARN: secret.arn.clone(),
        Name: secret.name.clone(),
        VersionId: version.version_id.clone(),
        VersionStages: version.stages.clone(),
    })
}

pub async fn update(ctx: &AwsCtx<'_>, audit: &mut Audit, input: &Value) -> Result<Value, ApiError> {
    let req: wire::UpdateSecretRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let value = secret_value(req.SecretString, req.SecretBinary)?;
    let token = client_token(req.ClientRequestToken)?;
    let description = description(req.Description)?;
    let kms = kms_key(req.KmsKeyId)?;
    let secret = ctx.lookup(audit, Action::UpdateSecret, id).await?;
    if super::primary_region(&secret).is_some() {
        return Err(super::replication::replica_error());
    }
    if let (Some(t), Some(v)) = (&token, &value)
        && let Some(existing) = replayed(ctx, &secret, t, Some(v)).await?
    {
        audit.version(existing.version_id.clone());
        return Ok(short_out(&secret, Some(&existing.version_id)));
    }
    if secret.deleted_at.is_some() {
        return Err(super::marked_for_deletion());
    }
    let patch = SecretPatch {
        description: description.map(Some),
        kms_key_id: kms.map(Some),
        ..Default::default()
    };
    let secret = if patch.description.is_some() || patch.kms_key_id.is_some() {
        ctx.st
            .write(audit, async |w| {
                ctx.st.store.update_secret(secret.id, patch, w).await
            })
            .await?
    } else {
        secret
    };
    let Some(value) = value else {
        return Ok(short_out(&secret, None));
    };
    let out = ctx
        .st
        .put_value(ctx.caller, audit, &secret, &value, token, default_stages())
        .await
        .map_err(|e| match e {
            ApiError::AlreadyExists(_) => {
                token_in_use(audit.event.version_id.as_deref().unwrap_or(""), &secret)
            }
            e => e,
        })?;
    Ok(short_out(&secret, Some(&out.version().version_id)))
}
