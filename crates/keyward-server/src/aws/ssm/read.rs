//! GetParameter, GetParameters, GetParametersByPath, GetParameterHistory, and the
//! `/aws/reference/secretsmanager/<secret>` names that read a Secrets Manager secret.

use super::filters::{self, Mode, View};
use super::rules::{self, SM_REFERENCE, Selector, canonical, parse_selector, strip_arn};
use super::{
    AwsCtx, err, history_out, lookup, max_results, not_found, param_arn, parameter_out,
    select_version, verr, version_meta, wire,
};
use crate::action::Action;
use crate::aws::wire::{Timestamp, answer, required};
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::names::validate_parameter_name_syntax;
use crate::ops::AWSCURRENT;
use base64::Engine;
use keyward_store::{ListQuery, Namespace, ValueKind, VersionSelector};
use serde_json::{Value, json};

/// A requested parameter: the name as written (without selector), its store key
/// and the selector.
#[derive(Debug)]
struct Requested<'a> {
    written: &'a str,
    key: String,
    selector: Option<Selector>,
}

fn resolve<'a>(ctx: &AwsCtx<'_>, full: &'a str) -> Result<Requested<'a>, ApiError> {
    let name =
        strip_arn(full, &ctx.region, &ctx.st.cfg.account_id).ok_or_else(|| not_found(full))?;
    let (written, selector) = parse_selector(name)?;
    validate_parameter_name_syntax(written)?;
    Ok(Requested {
        written,
        key: canonical(written),
        selector,
    })
}

pub async fn get_parameter(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::GetParameterRequest = wire::parse(input)?;
    // AWS ignores spaces around the name.
    let full = required(req.Name.as_deref(), "Name")?.trim();
    let decrypt = req.WithDecryption.unwrap_or(false);
    if let Some(rest) = full.strip_prefix(SM_REFERENCE) {
        let p = sm_reference(ctx, audit, full, rest, decrypt, Action::GetParameter).await?;
        return Ok(answer(&wire::GetParameterResult { Parameter: p }));
    }
    let req = resolve(ctx, full)?;
    let arn = param_arn(ctx, &req.key);
    audit.resource(arn.clone());
    let secret = lookup(ctx, &req.key).await?;
    ctx.authorize(Action::GetParameter, &arn, secret.as_ref())?;
    let secret = secret.ok_or_else(|| not_found(full))?;
    let version = select_version(ctx, &secret, req.selector.as_ref(), req.written).await?;
    audit.version(version.version_id.clone());
    let p = parameter_out(ctx, &secret, &version, req.selector.as_ref(), decrypt)?;
    Ok(answer(&wire::GetParameterResult { Parameter: p }))
}

pub async fn get_parameters(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::GetParametersRequest = wire::parse(input)?;
    let names = super::names_1_to_10(req.Names)?;
    let decrypt = req.WithDecryption.unwrap_or(false);
    let mut seen: Vec<&str> = Vec::new();
    let mut params = Vec::new();
    let mut invalid = Vec::new();
    let mut arns = Vec::new();
    for full in &names {
        if seen.contains(&full.as_str()) {
            continue;
        }
        seen.push(full);
        if let Some(rest) = full.strip_prefix(SM_REFERENCE) {
            match sm_reference(ctx, audit, full, rest, decrypt, Action::GetParameters).await {
                // The record names the secret read, beside the parameters.
                Ok(p) => {
                    arns.push(p.ARN.clone());
                    params.push(p);
                }
                Err(e) if is_missing(&e) => invalid.push(full.clone()),
                Err(e) => return Err(e),
            }
            continue;
        }
        let Ok(req) = resolve(ctx, full) else {
            invalid.push(full.clone());
            continue;
        };
        let arn = param_arn(ctx, &req.key);
        let secret = lookup(ctx, &req.key).await?;
        ctx.authorize(Action::GetParameters, &arn, secret.as_ref())?;
        arns.push(arn);
        let Some(secret) = secret else {
            invalid.push(full.clone());
            continue;
        };
        match select_version(ctx, &secret, req.selector.as_ref(), req.written).await {
            Ok(v) => params.push(parameter_out(
                ctx,
                &secret,
                &v,
                req.selector.as_ref(),
                decrypt,
            )?),
            Err(e) if is_missing(&e) => invalid.push(full.clone()),
            Err(e) => return Err(e),
        }
    }
    if !arns.is_empty() {
        audit.resource(arns.join(","));
    }
    // AWS lists the parameters in alphabetical order.
    params.sort_by(|a, b| a.Name.cmp(&b.Name));
    Ok(answer(&wire::GetParametersResult {
        Parameters: params,
        InvalidParameters: invalid,
    }))
}

fn is_missing(e: &ApiError) -> bool {
    matches!(
        e.aws_type(),
        "ParameterNotFound" | "ParameterVersionNotFound"
    )
}

pub async fn get_parameters_by_path(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::GetParametersByPathRequest = wire::parse(input)?;
    let path = rules::normalize_path(required(req.Path.as_deref(), "Path")?)?;
    let recursive = req.Recursive.unwrap_or(false);
    let decrypt = req.WithDecryption.unwrap_or(false);
    let filters = filters::parse_parameter_filters(req.ParameterFilters, Mode::ByPath)?;
    let max = max_results(req.MaxResults, 10, 10, false)?;
    let offset = req
        .NextToken
        .as_deref()
        .map(rules::parse_offset_token)
        .transpose()?
        .unwrap_or(0);
    // AWS authorizes the path, not each parameter under it.
    let arn = param_arn(ctx, &path);
    audit.resource(arn.clone());
    ctx.authorize(Action::GetParametersByPath, &arn, None)?;
    let prefix = if path == "/" {
        "/".to_string()
    } else {
        format!("{path}/")
    };
    let candidates = ctx
        .st
        .store
        .list_secrets(&ListQuery {
            namespace: Namespace::Parameters,
            region: ctx.region.clone(),
            name_prefix: Some(prefix),
            include_deleted: false,
            after_name: None,
            limit: None,
        })
        .await
        .map_err(ApiError::from)?;
    let label_filter = filters.iter().find(|f| f.key == "Label");
    let others: Vec<filters::Filter> = filters
        .iter()
        .filter(|f| f.key != "Label")
        .cloned()
        .collect();
    let mut out = Vec::new();
    let mut skipped = 0usize;
    let mut more = false;
    for s in &candidates {
        if !rules::under_path(&s.name, &path, recursive) || denied_by_own_arn(ctx, s) {
            continue;
        }
        let version = match label_filter {
            Some(lf) => {
                let mut found = None;
                for l in lf.values.iter().filter(|l| !rules::is_internal_stage(l)) {
                    found = ctx
                        .st
                        .store
                        .get_version(s.id, &VersionSelector::Stage(l.clone()))
                        .await
                        .map_err(ApiError::from)?;
                    if found.is_some() {
                        break;
                    }
                }
                match found {
                    Some(v) => v,
                    None => continue,
                }
            }
            None => super::current_version(ctx, s).await?,
        };
        let meta = version_meta(s, &version);
        let view = View {
            key: &s.name,
            ptype: &meta.ptype,
            key_id: meta.key_id.as_deref(),
            tier: &meta.tier,
            data_type: &meta.data_type,
            tags: &s.tags,
            labels: &[],
        };
        if !filters::matches_all(&others, &view) {
            continue;
        }
        if skipped < offset {
            skipped += 1;
            continue;
        }
        out.push(parameter_out(ctx, s, &version, None, decrypt)?);
        if out.len() == max {
            more = true;
            break;
        }
    }
    // A full page always carries a NextToken (the next page may be empty), as
    // AWS answers; the offset counts only parameters that pass the filters and
    // the explicit-deny check, so each one comes exactly once.
    Ok(answer(&wire::GetParametersByPathResult {
        Parameters: out,
        NextToken: more.then(|| rules::offset_token(offset + max)),
    }))
}

/// AWS authorizes `GetParametersByPath` on the path alone, so a `Deny` on one
/// parameter's ARN does not hide it there. keyward promises that an explicit deny
/// always wins, so a parameter whose own ARN is explicitly denied any read action
/// is left out of the answer (an allow on the path is still all that is needed).
fn denied_by_own_arn(ctx: &AwsCtx<'_>, parameter: &keyward_store::Secret) -> bool {
    const READS: [Action; 3] = [
        Action::GetParametersByPath,
        Action::GetParameter,
        Action::GetParameters,
    ];
    READS.into_iter().any(|action| {
        matches!(
            ctx.st.decide(
                ctx.caller,
                action,
                &parameter.arn,
                &ctx.extras(Some(parameter))
            ),
            keyward_policy::Decision::ExplicitDeny { .. }
        )
    })
}

pub async fn get_parameter_history(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::GetParameterHistoryRequest = wire::parse(input)?;
    let full = required(req.Name.as_deref(), "Name")?;
    let decrypt = req.WithDecryption.unwrap_or(false);
    let max = max_results(req.MaxResults, 50, 50, true)?;
    let offset = req
        .NextToken
        .as_deref()
        .map(rules::parse_offset_token)
        .transpose()?
        .unwrap_or(0);
    let name =
        strip_arn(full, &ctx.region, &ctx.st.cfg.account_id).ok_or_else(|| not_found(full))?;
    validate_parameter_name_syntax(name)?;
    let key = canonical(name);
    let arn = param_arn(ctx, &key);
    audit.resource(arn.clone());
    let secret = lookup(ctx, &key).await?;
    ctx.authorize(Action::GetParameterHistory, &arn, secret.as_ref())?;
    let secret = secret.ok_or_else(|| not_found(name))?;
    let versions = ctx
        .st
        .store
        .list_versions(secret.id)
        .await
        .map_err(ApiError::from)?;
    let page = versions
        .iter()
        .skip(offset)
        .take(max)
        .map(|v| history_out(ctx, &secret, v, decrypt))
        .collect::<Result<_, _>>()?;
    Ok(answer(&wire::GetParameterHistoryResult {
        Parameters: page,
        NextToken: (versions.len() > offset.saturating_add(max))
            .then(|| rules::offset_token(offset + max)),
    }))
}

/// `/aws/reference/secretsmanager/<secret>[:<version id or staging label>]`: the
/// secret's value as a SecureString parameter, as AWS serves it. Needs
/// WithDecryption, `action` on the reference name and
/// `secretsmanager:GetSecretValue` on the secret.
async fn sm_reference(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    full: &str,
    rest: &str,
    decrypt: bool,
    action: Action,
) -> Result<wire::Parameter, ApiError> {
    if !decrypt {
        return Err(verr(
            "WithDecryption flag must be True for retrieving a Secret Manager secret.".into(),
        ));
    }
    let (sname, sel) = match rest.split_once(':') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    let missing = || {
        err(
            "ParameterNotFound",
            format!(
                "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret {full} not found."
            ),
        )
    };
    if sname.is_empty() || sel.is_some_and(str::is_empty) {
        return Err(missing());
    }
    let ref_arn = param_arn(ctx, &format!("{SM_REFERENCE}{sname}"));
    ctx.authorize(action, &ref_arn, None)?;
    let secret = ctx
        .st
        .find_secret(Namespace::Secrets, &ctx.region, sname)
        .await?;
    let sm_arn = secret
        .as_ref()
        .map(|s| s.arn.clone())
        .unwrap_or_else(|| ctx.st.would_be_arn(Namespace::Secrets, &ctx.region, sname));
    audit.resource(sm_arn.clone());
    ctx.authorize(Action::GetSecretValue, &sm_arn, secret.as_ref())?;
    let secret = secret
        .filter(|s| s.deleted_at.is_none())
        .ok_or_else(missing)?;
    let store = &ctx.st.store;
    let version = match sel {
        None => store
            .get_version(secret.id, &VersionSelector::Stage(AWSCURRENT.into()))
            .await
            .map_err(ApiError::from)?,
        Some(s) => match store
            .get_version(secret.id, &VersionSelector::Id(s.into()))
            .await
            .map_err(ApiError::from)?
        {
            Some(v) => Some(v),
            None => store
                .get_version(secret.id, &VersionSelector::Stage(s.into()))
                .await
                .map_err(ApiError::from)?,
        },
    }
    .ok_or_else(|| super::version_not_found(full, sel.unwrap_or(AWSCURRENT)))?;
    audit.version(version.version_id.clone());
    let value = ctx.st.open_value(&secret, &version)?;
    ctx.st.access.note(&secret);
    let shown = match value.kind {
        ValueKind::String => String::from_utf8_lossy(value.bytes.expose()).into_owned(),
        ValueKind::Binary => base64::engine::general_purpose::STANDARD.encode(value.bytes.expose()),
    };
    // SourceResult: the secret as Secrets Manager returns it (GetSecretValue plus
    // VersionIdsToStages), as a JSON string.
    let mut stages = serde_json::Map::new();
    for v in store
        .list_versions(secret.id)
        .await
        .map_err(ApiError::from)?
    {
        if !v.stages.is_empty() {
            stages.insert(v.version_id.clone(), json!(v.stages));
        }
    }
    let mut source = json!({
        "ARN": secret.arn,
        "Name": secret.name,
        "VersionId": version.version_id,
        "VersionStages": version.stages,
        "VersionIdsToStages": stages,
        "CreatedDate": Timestamp(version.created_at),
    });
    source[match value.kind {
        ValueKind::String => "SecretString",
        ValueKind::Binary => "SecretBinary",
    }] = json!(shown);
    let source_text = source.to_string();
    crate::scrub::scrub(&mut source);
    Ok(wire::Parameter {
        Name: format!("{SM_REFERENCE}{sname}"),
        Type: "SecureString".into(),
        Value: shown.into(),
        Version: 0,
        Selector: sel.map(|s| format!(":{s}")),
        SourceResult: Some(source_text.into()),
        LastModifiedDate: Timestamp(version.created_at),
        ARN: secret.arn.clone(),
        DataType: "text".into(),
    })
}
