//! GetRandomPassword, resource policies and replication.

use super::{opt_bool, opt_i64, opt_str, opt_str_list, replicas, req_str, secret_id};
use crate::aws::{AwsCtx, invalid_param};
use crate::ctx::Audit;
use crate::error::ApiError;
use keyward_config::{GenError, PasswordPolicy, generate_password};
use keyward_policy::PolicyKind;
use keyward_store::{Namespace, Secret, SecretPatch};
use serde_json::{Value, json};

pub fn random_password(ctx: &AwsCtx<'_>, input: &Value) -> Result<Value, ApiError> {
    ctx.authorize("secretsmanager:GetRandomPassword", "*", None)?;
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
    let secret = ctx.lookup(audit, "PutResourcePolicy", id).await?;
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
        .store
        .update_secret(
            secret.id,
            SecretPatch {
                resource_policy: Some(Some(doc.to_string())),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| ctx.store_err(e))?;
    ctx.st.clear_auth_cache();
    Ok(json!({"ARN": secret.arn, "Name": secret.name}))
}

pub async fn get_policy(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let secret = ctx.lookup(audit, "GetResourcePolicy", id).await?;
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
    let secret = ctx.lookup(audit, "DeleteResourcePolicy", id).await?;
    not_replica(&secret)?;
    if secret.resource_policy.is_some() {
        ctx.st
            .store
            .update_secret(
                secret.id,
                SecretPatch {
                    resource_policy: Some(None),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| ctx.store_err(e))?;
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
            ctx.lookup(audit, "ValidateResourcePolicy", id).await?;
        }
        None => ctx.authorize("secretsmanager:ValidateResourcePolicy", "*", None)?,
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

// ---- replication ------------------------------------------------------------------

pub fn replica_error() -> ApiError {
    invalid_param(
        "Operation not permitted on a replica secret. Call must be made in primary secret's region.",
    )
}

fn not_replica(secret: &Secret) -> Result<(), ApiError> {
    match super::primary_region(secret) {
        Some(_) => Err(replica_error()),
        None => Ok(()),
    }
}

/// `AddReplicaRegions`: `[(region, kms key)]`.
pub fn replica_regions(
    input: &Value,
    field: &str,
) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let items = match input.get(field) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(super::serialization(format!("{field} must be a list"))),
    };
    let mut out = Vec::new();
    for item in items {
        let region = opt_str(item, "Region")?.unwrap_or("");
        let kms = opt_str(item, "KmsKeyId")?.map(str::to_string);
        let valid = !region.is_empty()
            && region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(invalid_param("Invalid replica region."));
        }
        out.push((region.to_string(), kms));
    }
    Ok(out)
}

fn replica_arn(primary: &Secret, region: &str) -> String {
    primary
        .arn
        .replacen(&format!(":{}:", primary.region), &format!(":{region}:"), 1)
}

/// Copies `primary` (its labelled versions, re-sealed under the replica's id) into
/// `region`, replacing an earlier replica of it.
async fn write_replica(ctx: &AwsCtx<'_>, primary: &Secret, region: &str) -> Result<(), ApiError> {
    let st = ctx.st;
    let rid = ctx.request_id();
    let arn = replica_arn(primary, region);
    if let Some(old) = st
        .store
        .get_secret_by_arn(&arn)
        .await
        .map_err(|e| ctx.store_err(e))?
    {
        st.store
            .purge_secret(old.id)
            .await
            .map_err(|e| ctx.store_err(e))?;
    }
    let mut audit = Audit::new(ctx.meta, "secretsmanager:ReplicateSecretToRegions", "aws");
    let versions = ctx.versions(primary).await?;
    let meta = json!({"PrimaryRegion": primary.region, "PrimaryArn": primary.arn});
    let (replica, _) = st
        .create_secret(
            ctx.caller,
            &mut audit,
            Namespace::Secrets,
            region,
            &primary.name,
            arn,
            None,
            primary.description.clone(),
            primary.kms_key_id.clone(),
            primary.tags.clone(),
            meta,
        )
        .await?;
    for v in versions.iter().filter(|v| !v.stages.is_empty()) {
        let value = st.open_value(primary, v)?;
        let nv = st.new_version(
            replica.id,
            v.version_id.clone(),
            &value,
            v.stages.clone(),
            ctx.caller,
        )?;
        st.store
            .add_version(replica.id, nv)
            .await
            .map_err(|e| ApiError::from_store(e, rid))?;
    }
    Ok(())
}

pub async fn add_replicas(
    ctx: &AwsCtx<'_>,
    primary: &Secret,
    regions: &[(String, Option<String>)],
    force_overwrite: bool,
) -> Result<Secret, ApiError> {
    let mut statuses = replicas(primary);
    for (region, kms) in regions {
        if region == &primary.region {
            return Err(invalid_param("Invalid replica region."));
        }
        statuses.retain(|s| s.get("Region").and_then(Value::as_str) != Some(region));
        let clash = ctx
            .st
            .store
            .get_secret(Namespace::Secrets, region, &primary.name)
            .await
            .map_err(|e| ctx.store_err(e))?
            .filter(|s| s.metadata.get("PrimaryArn").and_then(Value::as_str) != Some(&primary.arn));
        let kms = kms
            .clone()
            .unwrap_or_else(|| "alias/aws/secretsmanager".into());
        if let Some(existing) = clash {
            if !force_overwrite {
                statuses.push(json!({
                    "Region": region,
                    "KmsKeyId": kms,
                    "Status": "Failed",
                    "StatusMessage": format!("Replication failed: Secret name {} already exists in region {region}.", primary.name),
                }));
                continue;
            }
            ctx.st
                .store
                .purge_secret(existing.id)
                .await
                .map_err(|e| ctx.store_err(e))?;
        }
        write_replica(ctx, primary, region).await?;
        statuses.push(json!({
            "Region": region,
            "KmsKeyId": kms,
            "Status": "InSync",
            "StatusMessage": "Replication succeeded",
        }));
    }
    save_statuses(ctx, primary, statuses).await
}

async fn save_statuses(
    ctx: &AwsCtx<'_>,
    primary: &Secret,
    statuses: Vec<Value>,
) -> Result<Secret, ApiError> {
    let mut meta = match &primary.metadata {
        Value::Object(m) => m.clone(),
        _ => Default::default(),
    };
    if statuses.is_empty() {
        meta.remove("ReplicationStatus");
    } else {
        meta.insert("ReplicationStatus".into(), Value::Array(statuses));
    }
    ctx.st
        .store
        .update_secret(
            primary.id,
            SecretPatch {
                metadata: Some(Value::Object(meta)),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| ctx.store_err(e))
}

/// Re-copies a primary to its in-sync replicas after a change.
pub async fn refresh_replicas(ctx: &AwsCtx<'_>, arn: &str) -> Result<(), ApiError> {
    let Some(primary) = ctx
        .st
        .store
        .get_secret_by_arn(arn)
        .await
        .map_err(|e| ctx.store_err(e))?
    else {
        return Ok(());
    };
    for r in replicas(&primary) {
        if r.get("Status").and_then(Value::as_str) != Some("InSync") {
            continue;
        }
        if let Some(region) = r.get("Region").and_then(Value::as_str) {
            write_replica(ctx, &primary, region).await?;
        }
    }
    Ok(())
}

pub async fn replicate(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let force = opt_bool(input, "ForceOverwriteReplicaSecret")?.unwrap_or(false);
    let secret = ctx.lookup(audit, "ReplicateSecretToRegions", id).await?;
    not_replica(&secret)?;
    let regions = replica_regions(input, "AddReplicaRegions")?;
    if regions.is_empty() {
        return Err(invalid_param(
            "AddReplicaRegions must name at least one region.",
        ));
    }
    let secret = add_replicas(ctx, &secret, &regions, force).await?;
    Ok(json!({"ARN": secret.arn, "ReplicationStatus": replicas(&secret)}))
}

pub async fn remove_regions(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let secret = ctx
        .lookup(audit, "RemoveRegionsFromReplication", id)
        .await?;
    not_replica(&secret)?;
    let regions = opt_str_list(input, "RemoveReplicaRegions")?.unwrap_or_default();
    let mut statuses = replicas(&secret);
    for region in &regions {
        let arn = replica_arn(&secret, region);
        if let Some(r) = ctx
            .st
            .store
            .get_secret_by_arn(&arn)
            .await
            .map_err(|e| ctx.store_err(e))?
        {
            ctx.st
                .store
                .purge_secret(r.id)
                .await
                .map_err(|e| ctx.store_err(e))?;
            ctx.st.publish(&r, "delete", None);
        }
        statuses.retain(|s| s.get("Region").and_then(Value::as_str) != Some(region));
    }
    let secret = save_statuses(ctx, &secret, statuses).await?;
    Ok(json!({"ARN": secret.arn, "ReplicationStatus": replicas(&secret)}))
}

/// Promotes a replica to a standalone secret.
pub async fn stop_replication(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let id = secret_id(input)?;
    let secret = ctx.lookup(audit, "StopReplicationToReplica", id).await?;
    let Some(primary_arn) = secret.metadata.get("PrimaryArn").and_then(Value::as_str) else {
        return Err(invalid_param("This secret is not a replica."));
    };
    if let Some(primary) = ctx
        .st
        .store
        .get_secret_by_arn(primary_arn)
        .await
        .map_err(|e| ctx.store_err(e))?
    {
        let mut statuses = replicas(&primary);
        statuses.retain(|s| s.get("Region").and_then(Value::as_str) != Some(&secret.region));
        save_statuses(ctx, &primary, statuses).await?;
    }
    ctx.st
        .store
        .update_secret(
            secret.id,
            SecretPatch {
                metadata: Some(json!({})),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| ctx.store_err(e))?;
    Ok(json!({"ARN": secret.arn}))
}
