//! AddTagsToResource, RemoveTagsFromResource, ListTagsForResource (ResourceType
//! `Parameter`; other SSM resource types don't exist here).

use super::rules::{self, MAX_TAGS};
use super::{AwsCtx, err, lookup, param_arn, req_str, str_list, verr};
use crate::action::Action;
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::names::validate_parameter_name_syntax;
use keyward_store::{Secret, SecretPatch, Tag};
use serde_json::{Value, json};

/// Parses a `Tags` list of `{Key, Value}`, validating each tag.
pub fn parse_tags(input: &Value, field: &str) -> Result<Option<Vec<Tag>>, ApiError> {
    let items = match input.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(verr(format!("{field} must be a list of {{Key, Value}}"))),
    };
    let mut tags: Vec<Tag> = Vec::with_capacity(items.len());
    for t in items {
        let key = t.get("Key").and_then(Value::as_str);
        let value = t.get("Value").and_then(Value::as_str);
        let (Some(key), Some(value)) = (key, value) else {
            return Err(verr(format!(
                "1 validation error detected: each of {field} must have a string Key and a string Value"
            )));
        };
        rules::check_tag(key, value)?;
        match tags.iter_mut().find(|x| x.key == key) {
            Some(existing) => existing.value = value.to_string(),
            None => tags.push(Tag {
                key: key.to_string(),
                value: value.to_string(),
            }),
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
    input: &Value,
    action: Action,
) -> Result<Secret, ApiError> {
    let rtype = req_str(input, "ResourceType")?;
    let rid = req_str(input, "ResourceId")?;
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
    let new = parse_tags(input, "Tags")?.ok_or_else(|| super::not_null("Tags"))?;
    if new.is_empty() {
        return Err(verr("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1".into()));
    }
    let secret = resource(ctx, audit, input, Action::AddTagsToResource).await?;
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
    Ok(json!({}))
}

pub async fn remove_tags(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let keys = str_list(input, "TagKeys")?.ok_or_else(|| super::not_null("TagKeys"))?;
    let secret = resource(ctx, audit, input, Action::RemoveTagsFromResource).await?;
    let mut tags = secret.tags.clone();
    tags.retain(|t| !keys.contains(&t.key));
    save(ctx, audit, &secret, tags).await?;
    Ok(json!({}))
}

pub async fn list_tags(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let secret = resource(ctx, audit, input, Action::ListTagsForResource).await?;
    let list: Vec<Value> = secret
        .tags
        .iter()
        .map(|t| json!({ "Key": t.key, "Value": t.value }))
        .collect();
    Ok(json!({ "TagList": list }))
}
