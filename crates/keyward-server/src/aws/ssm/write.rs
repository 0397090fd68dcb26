//! PutParameter, DeleteParameter(s), LabelParameterVersion, UnlabelParameterVersion.

use super::rules::{self, DEFAULT_KEY_ID, MAX_LABELS_PER_VERSION, MAX_VERSIONS, ParamMeta};
use super::{
    AwsCtx, current_version, err, lookup, not_found, param_arn, verr, version_meta,
    version_not_found, version_number, wire,
};
use crate::action::Action;
use crate::aws::wire::{Timestamp, answer, required};
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::names::{validate_parameter_name, validate_parameter_name_syntax};
use crate::ops::{AWSCURRENT, Value as PlainValue};
use keyward_crypto::{SecretBytes, SecretString};
use keyward_store::{
    AuditedWrite, Namespace, NewSecret, Secret, SecretPatch, StoreError, Tag, ValueKind, Version,
    VersionLimit, VersionSelector,
};
use serde_json::Value;

/// How often a PutParameter that lost a race to another writer (on this or
/// another server) reads the parameter again and retries before it answers
/// `TooManyUpdates`. Each retry waits a random moment first (see `put_parameter`),
/// so this many losses in a row takes sustained contention.
const PUT_ATTEMPTS: u32 = 32;

/// Runs one store write that another writer may have overtaken since this
/// request read the record (it changed, appeared or went): `Ok(None)` then, and
/// nothing was written, so the caller reads again or answers as if the other
/// write had come first.
async fn unless_overtaken<T>(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    write: impl AsyncFnOnce(AuditedWrite) -> Result<T, StoreError>,
) -> Result<Option<T>, ApiError> {
    let mut overtaken = false;
    let out = ctx
        .st
        .write(audit, async |w| {
            let out = write(w).await;
            overtaken = matches!(
                &out,
                Err(StoreError::Stale { .. }
                    | StoreError::AlreadyExists { .. }
                    | StoreError::NotFound { .. }
                    | StoreError::Conflict(_))
            );
            out
        })
        .await;
    match out {
        Err(_) if overtaken => Ok(None),
        other => other.map(Some),
    }
}

/// The request's attributes, before they are merged with the parameter's current ones.
#[derive(Debug)]
struct PutInput<'a> {
    name: &'a str,
    /// Redacted in `Debug`, as every value is.
    value: &'a SecretString,
    ptype: Option<&'static str>,
    description: Option<&'a str>,
    allowed_pattern: Option<&'a str>,
    key_id: Option<&'a str>,
    tier: Option<&'a str>,
    data_type: Option<&'static str>,
    policies: Option<&'a str>,
}

fn parse_put(req: &wire::PutParameterRequest) -> Result<PutInput<'_>, ApiError> {
    let name = required(req.Name.as_deref(), "Name")?;
    let value = required(req.Value.as_ref(), "Value")?;
    if value.is_empty() {
        return Err(verr("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.".into()));
    }
    let description = req.Description.as_deref();
    if description.is_some_and(|d| d.chars().count() > 1024) {
        return Err(verr("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024".into()));
    }
    let allowed_pattern = req.AllowedPattern.as_deref();
    if allowed_pattern.is_some_and(|p| p.chars().count() > 1024) {
        return Err(verr("1 validation error detected: Value at 'allowedPattern' failed to satisfy constraint: Member must have length less than or equal to 1024".into()));
    }
    let key_id = req.KeyId.as_deref();
    // Parameter policies are kept as given; only a JSON array of them needs the
    // advanced tier (see `has_policies`).
    let policies = req.Policies.as_deref();
    Ok(PutInput {
        name,
        value,
        ptype: req.Type.as_deref().map(rules::parse_type).transpose()?,
        description,
        allowed_pattern,
        key_id,
        tier: req.Tier.as_deref(),
        data_type: req
            .DataType
            .as_deref()
            .map(rules::parse_data_type)
            .transpose()?,
        policies,
    })
}

/// The attributes of the new version: the request's, else the previous version's.
fn merge(req: &PutInput<'_>, prev: Option<&ParamMeta>) -> Result<ParamMeta, ApiError> {
    let ptype = match (req.ptype, prev) {
        (Some(t), _) => t.to_string(),
        (None, Some(p)) => p.ptype.clone(),
        (None, None) => {
            return Err(verr(
                "A parameter type is required when you create a parameter.".into(),
            ));
        }
    };
    let pick = |new: Option<&str>, old: Option<&String>| new.map(str::to_string).or(old.cloned());
    if let Some(k) = req.key_id {
        rules::check_key_id(k, ptype == "SecureString")?;
    }
    // A SecureString keeps the key it was sealed under until the caller names
    // another (alias/aws/ssm by default); other types keep a given KeyId as an
    // attribute, like AWS, though nothing is encrypted with it.
    let key_id = if ptype == "SecureString" {
        let old = prev.filter(|p| p.ptype == "SecureString");
        Some(
            pick(req.key_id, old.and_then(|p| p.key_id.as_ref()))
                .unwrap_or_else(|| DEFAULT_KEY_ID.to_string()),
        )
    } else {
        pick(req.key_id, prev.and_then(|p| p.key_id.as_ref()))
    };
    let policies = pick(req.policies, prev.and_then(|p| p.policies.as_ref()));
    let has_policies = policies
        .as_deref()
        .and_then(|p| serde_json::from_str::<Vec<Value>>(p).ok())
        .is_some_and(|v| !v.is_empty());
    let tier = rules::resolve_tier(
        req.tier,
        prev.map(|p| p.tier.as_str()),
        req.value.len(),
        has_policies,
    )?;
    let data_type = req
        .data_type
        .map(str::to_string)
        .or_else(|| prev.map(|p| p.data_type.clone()))
        .unwrap_or_else(|| "text".into());
    let meta = ParamMeta {
        name: prev
            .map(|p| p.name.clone())
            .unwrap_or_else(|| req.name.to_string()),
        ptype,
        description: pick(req.description, prev.and_then(|p| p.description.as_ref())),
        allowed_pattern: pick(
            req.allowed_pattern,
            prev.and_then(|p| p.allowed_pattern.as_ref()),
        ),
        key_id,
        tier: tier.to_string(),
        data_type,
        policies,
        ..Default::default()
    };
    check_value(&meta, req.value.expose())?;
    Ok(meta)
}

fn check_value(meta: &ParamMeta, value: &str) -> Result<(), ApiError> {
    if meta.data_type == "aws:ec2:image" {
        if meta.ptype != "String" {
            return Err(err(
                "UnsupportedParameterType",
                "The aws:ec2:image data type is supported only for String parameters".into(),
            ));
        }
        if !rules::is_ami_id(value) {
            return Err(verr(
                "Parameter value, cannot be validated against allowedDataType: aws:ec2:image. The value must be an AMI ID such as ami-12345678".into(),
            ));
        }
    }
    if let Some(p) = &meta.allowed_pattern {
        let re = regex::RegexBuilder::new(p)
            .size_limit(1 << 20)
            .build()
            .map_err(|_| {
                err(
                    "InvalidAllowedPatternException",
                    format!("The request doesn't meet the regular expression requirement: {p:?} is not a valid regular expression"),
                )
            })?;
        if !re.is_match(value) {
            return Err(err(
                "ParameterPatternMismatchException",
                format!("Parameter value, cannot be validated against allowedPattern: {p}"),
            ));
        }
    }
    Ok(())
}

fn secret_meta(meta: &ParamMeta, version: i64, at: time::OffsetDateTime, user: &str) -> Value {
    let mut m = meta.clone();
    m.version = Some(version);
    m.last_modified = Some(Timestamp(at).seconds());
    m.last_modified_user = Some(user.to_string());
    m.to_json()
}

pub async fn put_parameter(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let mut input: wire::PutParameterRequest = wire::parse(input)?;
    let tags = input.Tags.take();
    let req = parse_put(&input)?;
    let overwrite = input.Overwrite.unwrap_or(false);
    let tags = super::tags::check_tags(tags)?.unwrap_or_default();
    if overwrite && !tags.is_empty() {
        return Err(verr("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.".into()));
    }
    if tags.len() > rules::MAX_TAGS {
        return Err(super::tags::too_many());
    }
    validate_parameter_name(req.name)?;
    let key = rules::canonical(req.name);
    let arn = param_arn(ctx, &key);
    audit.resource(arn.clone());
    for attempt in 0..PUT_ATTEMPTS {
        if attempt > 0 {
            // Writers that lost together would collide again at once; a random
            // pause (up to 32 ms, growing with the losses) spreads them out.
            let spread = 1u64 << attempt.min(5);
            let pause = std::time::Duration::from_millis(rand::random::<u64>() % spread);
            tokio::time::sleep(pause).await;
        }
        if let Some(out) = put_once(ctx, audit, &req, overwrite, &tags, &key, &arn).await? {
            return Ok(out);
        }
    }
    Err(err(
        "TooManyUpdates",
        "There are concurrent updates for a resource that supports one update at a time.".into(),
    ))
}

/// One read-compute-write round of PutParameter; `None` when another writer
/// changed the parameter in between (then nothing was written).
async fn put_once(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    req: &PutInput<'_>,
    overwrite: bool,
    tags: &[Tag],
    key: &str,
    arn: &str,
) -> Result<Option<Value>, ApiError> {
    let (arn, tags) = (arn.to_string(), tags.to_vec());
    let existing = lookup(ctx, key).await?;
    ctx.authorize(Action::PutParameter, &arn, existing.as_ref())?;
    if !tags.is_empty() {
        ctx.authorize(Action::AddTagsToResource, &arn, existing.as_ref())?;
    }
    let user = ctx.caller.principal.arn.clone();
    let plain = PlainValue {
        kind: ValueKind::String,
        bytes: SecretBytes::new(req.value.expose().as_bytes().to_vec()),
    };
    let (secret, version_no, meta) = match existing {
        Some(_) if !overwrite => {
            return Err(err(
                "ParameterAlreadyExists",
                "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.".into(),
            ));
        }
        None => {
            let meta = merge(req, None)?;
            let id = uuid::Uuid::new_v4();
            let mut nv =
                ctx.st
                    .new_version(id, "1".into(), &plain, vec![AWSCURRENT.into()], ctx.caller)?;
            nv.metadata = meta.to_json();
            audit.version("1");
            let new = NewSecret {
                id,
                namespace: Namespace::Parameters,
                region: ctx.region.clone(),
                name: key.to_string(),
                arn: arn.clone(),
                description: meta.description.clone(),
                kms_key_id: meta.key_id.clone(),
                tags,
                metadata: secret_meta(&meta, 1, time::OffsetDateTime::now_utc(), &user),
            };
            let Some(secret) = unless_overtaken(ctx, audit, async |w| {
                ctx.st.store.create_secret(new, Some(nv), w).await
            })
            .await?
            else {
                return Ok(None);
            };
            (secret, 1, meta)
        }
        Some(secret) => {
            let versions = ctx
                .st
                .store
                .list_versions(secret.id)
                .await
                .map_err(ApiError::from)?;
            let prev = match versions.last() {
                Some(v) => version_meta(&secret, v),
                None => version_meta(&secret, &current_version(ctx, &secret).await?),
            };
            let meta = merge(req, Some(&prev))?;
            if versions.len() >= MAX_VERSIONS
                && let Some(oldest) = versions.first()
                && !rules::user_labels(&oldest.stages).is_empty()
            {
                return Err(err(
                    "ParameterMaxVersionLimitExceeded",
                    format!(
                        "You attempted to create a new version of {} by calling the PutParameter API with the overwrite flag. Version {}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.",
                        req.name,
                        version_number(oldest)
                    ),
                ));
            }
            let next = versions.iter().map(version_number).max().unwrap_or(0) + 1;
            let newest_seq = versions.iter().map(|v| v.seq).max().unwrap_or(0);
            let mut nv = ctx.st.new_version(
                secret.id,
                next.to_string(),
                &plain,
                vec![AWSCURRENT.into()],
                ctx.caller,
            )?;
            nv.metadata = meta.to_json();
            audit.version(next.to_string());
            // The version and the parameter's metadata (which DescribeParameters
            // shows) commit together, and only if no other writer added a version
            // since `versions` was read; the oldest version goes past 100 in the
            // same transaction (it has no label: checked above).
            let now = time::OffsetDateTime::now_utc();
            let patch = SecretPatch {
                description: Some(meta.description.clone()),
                kms_key_id: Some(meta.key_id.clone()),
                metadata: Some(secret_meta(&meta, next, now, &user)),
                ..Default::default()
            };
            let Some((secret, _added)) = unless_overtaken(ctx, audit, async |w| {
                ctx.st
                    .store
                    .add_version_after(
                        secret.id,
                        newest_seq,
                        nv,
                        patch,
                        VersionLimit::PARAMETER_STORE,
                        now,
                        w,
                    )
                    .await
            })
            .await?
            else {
                return Ok(None);
            };
            (secret, next, meta)
        }
    };
    audit.version(version_no.to_string());
    ctx.st.publish(&secret, "put", Some(version_no.to_string()));
    Ok(Some(answer(&wire::PutParameterResult {
        Version: version_no,
        Tier: meta.tier,
    })))
}

pub async fn delete_parameter(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::DeleteParameterRequest = wire::parse(input)?;
    let name = required(req.Name.as_deref(), "Name")?;
    validate_parameter_name_syntax(name)?;
    let key = rules::canonical(name);
    let arn = param_arn(ctx, &key);
    audit.resource(arn.clone());
    let secret = lookup(ctx, &key).await?;
    ctx.authorize(Action::DeleteParameter, &arn, secret.as_ref())?;
    let secret = secret.ok_or_else(|| not_found(name))?;
    if !purge(ctx, audit, &secret).await? {
        return Err(not_found(name));
    }
    Ok(answer(&wire::Empty {}))
}

/// Deletes the parameter; false when another request deleted it first.
async fn purge(ctx: &AwsCtx<'_>, audit: &mut Audit, secret: &Secret) -> Result<bool, ApiError> {
    let gone = unless_overtaken(ctx, audit, async |w| {
        ctx.st.store.purge_secret(secret.id, w).await
    })
    .await?;
    if gone.is_some() {
        ctx.st.publish(secret, "delete", None);
    }
    Ok(gone.is_some())
}

pub async fn delete_parameters(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::DeleteParametersRequest = wire::parse(input)?;
    let names = super::names_1_to_10(req.Names)?;
    // Authorize everything first, so a denial deletes nothing.
    let mut found = Vec::new();
    let mut invalid = Vec::new();
    let mut arns = Vec::new();
    for name in &names {
        if found.iter().any(|(n, _): &(&String, _)| *n == name) || invalid.contains(name) {
            continue;
        }
        if validate_parameter_name_syntax(name).is_err() {
            invalid.push(name.clone());
            continue;
        }
        let key = rules::canonical(name);
        let arn = param_arn(ctx, &key);
        let secret = lookup(ctx, &key).await?;
        ctx.authorize(Action::DeleteParameters, &arn, secret.as_ref())?;
        arns.push(arn);
        match secret {
            Some(s) => found.push((name, s)),
            None => invalid.push(name.clone()),
        }
    }
    if !arns.is_empty() {
        audit.resource(arns.join(","));
    }
    let mut deleted = Vec::new();
    for (name, s) in &found {
        // Each deletion commits a record naming its own parameter; the request's
        // record (naming them all) follows in `finish`.
        let mut one = audit.derived(Action::DeleteParameters);
        one.resource(s.arn.clone());
        if purge(ctx, &mut one, s).await? {
            deleted.push((*name).clone());
        } else {
            invalid.push((*name).clone());
        }
    }
    Ok(answer(&wire::DeleteParametersResult {
        DeletedParameters: deleted,
        InvalidParameters: invalid,
    }))
}

/// Looks up a parameter for a label operation, authorizing `action` on it.
async fn labelled_target(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
    action: Action,
    version_required: bool,
) -> Result<(Secret, Version, Vec<String>), ApiError> {
    let req: wire::LabelParameterVersionRequest = wire::parse(input)?;
    let name = required(req.Name.as_deref(), "Name")?;
    let version = req.ParameterVersion;
    if version_required && version.is_none() {
        return Err(crate::aws::wire::missing("ParameterVersion"));
    }
    let labels = required(req.Labels, "Labels")?;
    rules::check_label_list(&labels)?;
    validate_parameter_name_syntax(name)?;
    let key = rules::canonical(name);
    let arn = param_arn(ctx, &key);
    audit.resource(arn.clone());
    let secret = lookup(ctx, &key).await?;
    ctx.authorize(action, &arn, secret.as_ref())?;
    let secret = secret.ok_or_else(|| not_found(name))?;
    let target = match version {
        None => current_version(ctx, &secret).await?,
        Some(n) => ctx
            .st
            .store
            .get_version(secret.id, &VersionSelector::Id(n.to_string()))
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| version_not_found(name, &n.to_string()))?,
    };
    audit.version(target.version_id.clone());
    let mut unique: Vec<String> = Vec::with_capacity(labels.len());
    for l in labels {
        if !unique.contains(&l) {
            unique.push(l);
        }
    }
    Ok((secret, target, unique))
}

pub async fn label_parameter_version(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let (secret, target, labels) =
        labelled_target(ctx, audit, input, Action::LabelParameterVersion, false).await?;
    let (valid, invalid): (Vec<String>, Vec<String>) =
        labels.into_iter().partition(|l| rules::label_is_valid(l));
    let have = rules::user_labels(&target.stages);
    let new: Vec<&String> = valid.iter().filter(|l| !have.contains(l)).collect();
    if have.len() + new.len() > MAX_LABELS_PER_VERSION {
        return Err(err(
            "ParameterVersionLabelLimitExceeded",
            "An error occurred (ParameterVersionLabelLimitExceeded) when calling the LabelParameterVersion operation: A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.".into(),
        ));
    }
    for l in &new {
        ctx.st
            .write(audit, async |w| {
                ctx.st
                    .store
                    .move_stage(secret.id, l, Some(&target.version_id), None, w)
                    .await
            })
            .await?;
    }
    if !new.is_empty() {
        ctx.st
            .publish(&secret, "stage", Some(target.version_id.clone()));
    }
    Ok(answer(&wire::LabelParameterVersionResult {
        InvalidLabels: invalid,
        ParameterVersion: version_number(&target),
    }))
}

pub async fn unlabel_parameter_version(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let (secret, target, labels) =
        labelled_target(ctx, audit, input, Action::UnlabelParameterVersion, true).await?;
    let have = rules::user_labels(&target.stages);
    let mut removed = Vec::new();
    let mut invalid = Vec::new();
    for l in labels {
        // A label another request removed meanwhile is reported as if that
        // request had come first.
        let gone = have.contains(&l)
            && unless_overtaken(ctx, audit, async |w| {
                ctx.st
                    .store
                    .move_stage(secret.id, &l, None, Some(&target.version_id), w)
                    .await
            })
            .await?
            .is_some();
        if gone {
            removed.push(l);
        } else {
            invalid.push(l);
        }
    }
    if !removed.is_empty() {
        ctx.st
            .publish(&secret, "stage", Some(target.version_id.clone()));
    }
    Ok(answer(&wire::UnlabelParameterVersionResult {
        RemovedLabels: removed,
        InvalidLabels: invalid,
    }))
}
