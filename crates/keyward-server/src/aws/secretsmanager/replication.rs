//! Replication of a secret to other regions (`ReplicateSecretToRegions`,
//! `AddReplicaRegions` on `CreateSecret`, `RemoveRegionsFromReplication`,
//! `StopReplicationToReplica`) and the propagation of a primary's later changes.
//!
//! Regions partition data and policies can be scoped to a region, so replication is
//! authorized on both sides: the caller needs the action on the primary *and*, in
//! each replica's region, on the replica's ARN. Creating a replica needs
//! `secretsmanager:ReplicateSecretToRegions` there; `ForceOverwriteReplicaSecret`
//! also needs `secretsmanager:DeleteSecret` on the secret it would replace; removing
//! a replica needs `secretsmanager:DeleteSecret` on it. Every check runs before the
//! first write, so a denial changes nothing, and every replica-side write commits
//! an audit record naming the replica.
//!
//! Propagation after a change to the primary runs as keyward's system principal,
//! one audited write per replica; a replica that cannot be updated is marked
//! `Failed` with a message, as AWS does, and the caller's request still succeeds.

use super::{replicas, secret_id, wire};
use crate::action::Action;
use crate::aws::wire::answer;
use crate::aws::{AwsCtx, invalid_param};
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::state::AppState;
use keyward_store::{Namespace, NewSecret, NewVersion, Secret, SecretPatch};
use serde_json::{Value, json};
use uuid::Uuid;

/// The action AWS's CloudTrail names for copying a primary's change to a replica.
const PROPAGATE_ACTION: Action = Action::ReplicateSecretVersion;

pub fn replica_error() -> ApiError {
    invalid_param(
        "Operation not permitted on a replica secret. Call must be made in primary secret's region.",
    )
}

pub(super) fn not_replica(secret: &Secret) -> Result<(), ApiError> {
    match super::primary_region(secret) {
        Some(_) => Err(replica_error()),
        None => Ok(()),
    }
}

/// `AddReplicaRegions`: `[(region, kms key)]`, each region a valid AWS region name.
pub fn replica_regions(
    items: Option<Vec<wire::ReplicaRegionType>>,
) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let mut out = Vec::new();
    for item in items.unwrap_or_default() {
        let region = item.Region.unwrap_or_default();
        if !keyward_policy::arn::is_valid_region(&region) {
            return Err(invalid_param("Invalid replica region."));
        }
        out.push((region, item.KmsKeyId));
    }
    Ok(out)
}

/// A replica's ARN: the primary's, in the replica's region (same random suffix).
fn replica_arn(primary_arn: &str, primary_region: &str, region: &str) -> String {
    primary_arn.replacen(&format!(":{primary_region}:"), &format!(":{region}:"), 1)
}

/// Authorizes `action` on `resource` as if the request were made in `region`.
fn authorize_in(
    ctx: &AwsCtx<'_>,
    region: &str,
    action: Action,
    resource: &str,
    secret: Option<&Secret>,
) -> Result<(), ApiError> {
    let extras = crate::authz::AuthzExtras {
        region: Some(region),
        ..ctx.extras(secret)
    };
    ctx.st.authorize(ctx.caller, action, resource, &extras)
}

/// What one replica region will get, decided (and authorized) before any write.
#[derive(Debug)]
pub struct ReplicaPlan {
    region: String,
    kms: String,
    /// The earlier replica of this primary in that region, replaced in place.
    ours: Option<Secret>,
    /// Another secret that holds the name there.
    clash: Option<Secret>,
}

/// Authorizes the replica side of replicating the secret `name` (ARN `arn`, in
/// the request's region) to `regions`; nothing is written.
pub async fn plan_replicas(
    ctx: &AwsCtx<'_>,
    name: &str,
    arn: &str,
    regions: &[(String, Option<String>)],
    force_overwrite: bool,
) -> Result<Vec<ReplicaPlan>, ApiError> {
    let mut plans = Vec::with_capacity(regions.len());
    for (region, kms) in regions {
        if region == &ctx.region {
            return Err(invalid_param("Invalid replica region."));
        }
        let replica = replica_arn(arn, &ctx.region, region);
        let existing = ctx
            .st
            .store
            .get_secret(Namespace::Secrets, region, name)
            .await
            .map_err(ApiError::from)?;
        let (ours, clash) = match existing {
            Some(s) if s.metadata.get("PrimaryArn").and_then(Value::as_str) == Some(arn) => {
                (Some(s), None)
            }
            other => (None, other),
        };
        authorize_in(
            ctx,
            region,
            Action::ReplicateSecretToRegions,
            &replica,
            ours.as_ref(),
        )?;
        if let (Some(c), true) = (&clash, force_overwrite) {
            authorize_in(ctx, region, Action::DeleteSecret, &c.arn, Some(c))?;
        }
        plans.push(ReplicaPlan {
            region: region.clone(),
            kms: kms
                .clone()
                .unwrap_or_else(|| "alias/aws/secretsmanager".into()),
            ours,
            clash,
        });
    }
    Ok(plans)
}

/// Carries out authorized plans for `primary`; returns the primary with its new
/// replication status.
pub async fn apply_replicas(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    primary: &Secret,
    plans: Vec<ReplicaPlan>,
    force_overwrite: bool,
) -> Result<Secret, ApiError> {
    let st = ctx.st;
    let mut statuses = replicas(primary);
    for plan in plans {
        statuses.retain(|s| s.get("Region").and_then(Value::as_str) != Some(&plan.region));
        if let Some(clash) = &plan.clash {
            if !force_overwrite {
                statuses.push(status(
                    &plan.region,
                    &plan.kms,
                    "Failed",
                    &format!(
                        "Replication failed: Secret name {} already exists in region {}.",
                        primary.name, plan.region
                    ),
                ));
                continue;
            }
            let mut delete = audit.derived(Action::DeleteSecret);
            delete.resource(clash.arn.clone());
            st.write(&mut delete, async |w| {
                st.store.purge_secret(clash.id, w).await
            })
            .await?;
            st.publish(clash, "delete", None);
        }
        let mut copy = audit.derived(Action::ReplicateSecretToRegions);
        write_replica(
            st,
            &mut copy,
            primary,
            &plan.region,
            plan.ours.map(|s| s.id),
        )
        .await?;
        statuses.push(status(
            &plan.region,
            &plan.kms,
            "InSync",
            "Replication succeeded",
        ));
    }
    save_statuses(st, audit, primary, statuses).await
}

fn status(region: &str, kms: &str, state: &str, message: &str) -> Value {
    json!({"Region": region, "KmsKeyId": kms, "Status": state, "StatusMessage": message})
}

/// Copies `primary` (its labelled versions, re-sealed under the replica's own id)
/// into `region` in one transaction, replacing the earlier replica `replacing`.
async fn write_replica(
    st: &AppState,
    audit: &mut Audit,
    primary: &Secret,
    region: &str,
    replacing: Option<Uuid>,
) -> Result<(), ApiError> {
    let arn = replica_arn(&primary.arn, &primary.region, region);
    audit.resource(arn.clone());
    let versions = st
        .store
        .list_versions(primary.id)
        .await
        .map_err(ApiError::from)?;
    let id = Uuid::new_v4();
    let mut copies = Vec::new();
    for v in versions.iter().filter(|v| !v.stages.is_empty()) {
        let value = st.open_value(primary, v)?;
        let (sealed, value_mac) = st.seal_value(id, &v.version_id, &value)?;
        copies.push(NewVersion {
            version_id: v.version_id.clone(),
            kind: v.kind,
            sealed,
            value_mac,
            created_by: v.created_by.clone(),
            stages: v.stages.clone(),
            metadata: v.metadata.clone(),
        });
    }
    let replica = NewSecret {
        id,
        namespace: Namespace::Secrets,
        region: region.to_string(),
        name: primary.name.clone(),
        arn,
        description: primary.description.clone(),
        kms_key_id: primary.kms_key_id.clone(),
        tags: primary.tags.clone(),
        metadata: json!({"PrimaryRegion": primary.region, "PrimaryArn": primary.arn}),
    };
    let written = st
        .write(audit, async |w| {
            st.store.replace_secret(replacing, replica, copies, w).await
        })
        .await?;
    st.publish(&written, "put", None);
    Ok(())
}

async fn save_statuses(
    st: &AppState,
    audit: &mut Audit,
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
    let patch = SecretPatch {
        metadata: Some(Value::Object(meta)),
        ..Default::default()
    };
    st.write(audit, async |w| {
        st.store.update_secret(primary.id, patch, w).await
    })
    .await
}

/// Re-copies the primary `arn` to its in-sync replicas after a change, as the
/// system principal. Never fails the caller's request: a replica that cannot be
/// updated is marked `Failed` with the reason.
pub async fn propagate(st: &AppState, arn: &str) {
    let primary = match st.store.get_secret_by_arn(arn).await {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(secret = %arn, error = %e, "cannot read a primary to propagate its change to replicas");
            return;
        }
    };
    let mut statuses = replicas(&primary);
    if statuses.is_empty() {
        return;
    }
    let mut changed = false;
    for entry in statuses.iter_mut() {
        if entry.get("Status").and_then(Value::as_str) != Some("InSync") {
            continue;
        }
        let Some(region) = entry
            .get("Region")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            continue;
        };
        let mut audit = Audit::system(PROPAGATE_ACTION);
        let outcome = propagate_one(st, &mut audit, &primary, &region).await;
        if let Err(message) = outcome {
            tracing::error!(secret = %primary.name, region, reason = %message, "replica update failed; marking it Failed");
            if !audit.is_committed() {
                let mut failed = audit.clone();
                failed.event.outcome = keyward_store::Outcome::Error;
                failed.event.error_code = Some("ReplicationFailed".into());
                if let Err(e) = st.record(failed).await {
                    tracing::error!(error = %e, "could not audit a failed replica update");
                }
            }
            entry["Status"] = json!("Failed");
            entry["StatusMessage"] = json!(message);
            changed = true;
        }
    }
    if changed {
        let mut audit = Audit::system(PROPAGATE_ACTION);
        audit.resource(primary.arn.clone());
        if let Err(e) = save_statuses(st, &mut audit, &primary, statuses).await {
            tracing::error!(secret = %primary.name, error = %e, "cannot record a failed replica status");
        }
    }
}

/// Propagates to one replica; the error is the status message AWS-style.
async fn propagate_one(
    st: &AppState,
    audit: &mut Audit,
    primary: &Secret,
    region: &str,
) -> Result<(), String> {
    let arn = replica_arn(&primary.arn, &primary.region, region);
    audit.resource(arn.clone());
    let replica = st
        .store
        .get_secret_by_arn(&arn)
        .await
        .map_err(|e| format!("Replication failed: {e}"))?;
    if replica.is_none() {
        let taken = st
            .store
            .get_secret(Namespace::Secrets, region, &primary.name)
            .await
            .map_err(|e| format!("Replication failed: {e}"))?;
        if taken.is_some() {
            return Err(format!(
                "Replication failed: Secret name {} already exists in region {region}.",
                primary.name
            ));
        }
    }
    write_replica(st, audit, primary, region, replica.map(|r| r.id))
        .await
        .map_err(|e| format!("Replication failed: {e}"))
}

pub async fn replicate(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::ReplicateSecretToRegionsRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let force = req.ForceOverwriteReplicaSecret.unwrap_or(false);
    let secret = ctx
        .lookup(audit, Action::ReplicateSecretToRegions, id)
        .await?;
    // A replica refuses the call whatever regions it names, as AWS answers.
    not_replica(&secret)?;
    let regions = replica_regions(req.AddReplicaRegions)?;
    if regions.is_empty() {
        return Err(invalid_param(
            "AddReplicaRegions must name at least one region.",
        ));
    }
    let plans = plan_replicas(ctx, &secret.name, &secret.arn, &regions, force).await?;
    let secret = apply_replicas(ctx, audit, &secret, plans, force).await?;
    Ok(replication_out(secret))
}

pub async fn remove_regions(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::RemoveRegionsFromReplicationRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let secret = ctx
        .lookup(audit, Action::RemoveRegionsFromReplication, id)
        .await?;
    not_replica(&secret)?;
    let regions = req.RemoveReplicaRegions.unwrap_or_default();
    // Authorize every replica's deletion first, so a denial deletes nothing.
    let mut doomed = Vec::new();
    for region in &regions {
        if !keyward_policy::arn::is_valid_region(region) {
            return Err(invalid_param("Invalid replica region."));
        }
        let arn = replica_arn(&secret.arn, &secret.region, region);
        if let Some(r) = ctx
            .st
            .store
            .get_secret_by_arn(&arn)
            .await
            .map_err(ApiError::from)?
        {
            authorize_in(ctx, region, Action::DeleteSecret, &r.arn, Some(&r))?;
            doomed.push(r);
        }
    }
    let st = ctx.st;
    for r in &doomed {
        let mut delete = audit.derived(Action::DeleteSecret);
        delete.resource(r.arn.clone());
        st.write(&mut delete, async |w| st.store.purge_secret(r.id, w).await)
            .await?;
        st.publish(r, "delete", None);
    }
    let mut statuses = replicas(&secret);
    statuses.retain(|s| {
        !regions
            .iter()
            .any(|r| s.get("Region").and_then(Value::as_str) == Some(r))
    });
    let secret = save_statuses(st, audit, &secret, statuses).await?;
    Ok(replication_out(secret))
}

/// Promotes a replica to a standalone secret.
pub async fn stop_replication(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::StopReplicationToReplicaRequest = wire::parse(input)?;
    let id = secret_id(req.SecretId.as_deref())?;
    let secret = ctx
        .lookup(audit, Action::StopReplicationToReplica, id)
        .await?;
    let Some(primary_arn) = secret.metadata.get("PrimaryArn").and_then(Value::as_str) else {
        return Err(invalid_param("This secret is not a replica."));
    };
    let st = ctx.st;
    if let Some(primary) = st
        .store
        .get_secret_by_arn(primary_arn)
        .await
        .map_err(ApiError::from)?
    {
        let mut statuses = replicas(&primary);
        statuses.retain(|s| s.get("Region").and_then(Value::as_str) != Some(&secret.region));
        let mut detach = audit.derived(Action::StopReplicationToReplica);
        detach.resource(primary.arn.clone());
        save_statuses(st, &mut detach, &primary, statuses).await?;
    }
    let patch = SecretPatch {
        metadata: Some(json!({})),
        ..Default::default()
    };
    st.write(audit, async |w| {
        st.store.update_secret(secret.id, patch, w).await
    })
    .await?;
    Ok(answer(&wire::ReplicationResponse {
        ARN: secret.arn,
        ReplicationStatus: None,
    }))
}

/// The secret's ARN and the status of each of its replicas.
fn replication_out(secret: Secret) -> Value {
    let statuses = replicas(&secret);
    answer(&wire::ReplicationResponse {
        ARN: secret.arn,
        ReplicationStatus: Some(statuses),
    })
}
