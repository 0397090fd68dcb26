//! AddTagsToResource, RemoveTagsFromResource, ListTagsForResource (ResourceType
//! `Parameter`; other SSM resource types don't exist here).

use super::rules::{self, MAX_TAGS};
use super::{AwsCtx, err, lookup, param_arn, verr, wire};
use crate::action::Action;
use crate::aws::wire::{answer, required};
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::names::validate_parameter_name_syntax;
use keyward_store::{Secret, SecretPatch, Tag};
use serde_json::Value;

/// Checks a `Tags` list: each tag needs a string Key and a string Value.
pub fn check_tags(items: Option<Vec<wire::Tag>>) -> Result<Option<Vec<Tag>>, ApiError> {
    let Some(items) = items else {
        return Ok(None);
    };
    let mut tags: Vec<Tag> = Vec::with_capacity(items.len());
    for t in items {
        let (Some(key), Some(value)) = (t.Key, t.Value) else {
            return Err(verr(
                "1 validation error detected: each of Tags must have a string Key and a string Value"
                    .into(),
            ));
        };
        rules::check_tag(&key, &value)?;
        match tags.iter_mut().find(|x| x.key == key) {
            Some(existing) => existing.value = value,
            None => tags.push(Tag { key, value }),
        }
    }
    Ok(Some(tags))
}

pub fn too_many() -> ApiError {
    err(
        "TooManyTagsError",
        format!(
            "A parameter can have at most {MAX_TAGS} tags. Remove one or more tags and try again."
        ),
    )
}

fn invalid_id() -> ApiError {
    err(
        "InvalidResourceId",
        "The resource ID isn't valid. Verify that you entered the correct ID and try again.".into(),
    )
}

/// Resolves ResourceType/ResourceId to a parameter (authorizing `action` on it).
async fn resource(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    (rtype, rid): (Option<&str>, Option<&str>),
    action: Action,
) -> Result<Secret, ApiError> {
    let rtype = required(rtype, "ResourceType")?;
    let rid = required(rid, "ResourceId")?;
    match rtype {
        "Parameter" => {}
        "Document" | "ManagedInstance" | "MaintenanceWindow" | "PatchBaseline" | "OpsItem"
        | "OpsMetadata" | "Automation" | "Association" => return Err(invalid_id()),
        other => {
            return Err(err(
                "InvalidResourceType",
                format!("The resource type {other:?} isn't valid."),
            ));
        }
    }
    let name = rules::strip_arn(rid, &ctx.region, &ctx.st.cfg.account_id).ok_or_else(invalid_id)?;
    validate_parameter_name_syntax(name).map_err(|_| invalid_id())?;
    let key = rules::canonical(name);
    let arn = param_arn(ctx, &key);
    audit.resource(arn.clone());
    let secret = lookup(ctx, &key).await?;
    ctx.authorize(action, &arn, secret.as_ref())?;
    secret.ok_or_else(invalid_id)
}

async fn save(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    secret: &Secret,
    tags: Vec<Tag>,
) -> Result<(), ApiError> {
    ctx.st
        .write(audit, async |w| {
            ctx.st
                .store
                .update_secret(
                    secret.id,
                    SecretPatch {
                        tags: Some(tags),
                        ..Default::default()
                    },
                    w,
                )
                .await
        })
        .await?;
    Ok(())
}

pub async fn add_tags(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::AddTagsToResourceRequest = wire::parse(input)?;
    let new = required(check_tags(req.Tags)?, "Tags")?;
    if new.is_empty() {
        return Err(verr("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1".into()));
    }
    let secret = resource(
        ctx,
        audit,
        (req.ResourceType.as_deref(), req.ResourceId.as_deref()),
        Action::AddTagsToResource,
    )
    .await?;
    let mut tags = secret.tags.clone();
    for t in new {
        match tags.iter_mut().find(|x| x.key == t.key) {
            Some(existing) => existing.value = t.value,
            None => tags.push(t),
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(too_many());
    }
    save(ctx, audit, &secret, tags).await?;
    Ok(answer(&wire::Empty {}))
}

pub async fn remove_tags(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::RemoveTagsFromResourceRequest = wire::parse(input)?;
    let keys = required(req.TagKeys, "TagKeys")?;
    let target = (req.ResourceType.as_deref(), req.ResourceId.as_deref());
    let secret = resource(ctx, audit, target, Action::RemoveTagsFromResource).await?;
    let mut tags = secret.tags.clone();
    tags.retain(|t| !keys.contains(&t.key));
    save(ctx, audit, &secret, tags).await?;
    Ok(answer(&wire::Empty {}))
}

pub async fn list_tags(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::ListTagsForResourceRequest = wire::parse(input)?;
    let secret = resource(
        ctx,
        audit,
        (req.ResourceType.as_deref(), req.ResourceId.as_deref()),
        Action::ListTagsForResource,
    )
    .await?;
    let list = secret
        .tags
        .into_iter()
        .map(|t| wire::TagOut {
            Key: t.key,
            Value: t.value,
        })
        .collect();
    Ok(answer(&wire::ListTagsForResourceResult { TagList: list }))
}
