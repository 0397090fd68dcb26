//! DescribeParameters: metadata only (never values), with the legacy `Filters` or
//! `ParameterFilters`, paginated by name.

use super::filters::{self, Mode, View};
use super::rules::{self, ParamMeta};
use super::{AwsCtx, max_results, metadata_out, verr, wire};
use crate::action::Action;
use crate::aws::wire::answer;
use crate::ctx::Audit;
use crate::error::ApiError;
use keyward_store::{ListQuery, Namespace};
use serde_json::Value;

pub async fn describe_parameters(
    ctx: &AwsCtx<'_>,
    audit: &mut Audit,
    input: &Value,
) -> Result<Value, ApiError> {
    let req: wire::DescribeParametersRequest = wire::parse(input)?;
    let legacy = filters::parse_legacy_filters(req.Filters)?;
    let pfilters = filters::parse_parameter_filters(req.ParameterFilters, Mode::Describe)?;
    if !legacy.is_empty() && !pfilters.is_empty() {
        return Err(verr(
            "You can use either Filters or ParameterFilters in a single request.".into(),
        ));
    }
    let max = max_results(req.MaxResults, 50, 10, true)?;
    let offset = req
        .NextToken
        .as_deref()
        .map(rules::parse_offset_token)
        .transpose()?
        .unwrap_or(0);
    // DescribeParameters has no resource-level permissions in AWS: Resource "*".
    let resource = format!("arn:aws:ssm:{}:{}:*", ctx.region, ctx.st.cfg.account_id);
    audit.resource(resource.clone());
    ctx.authorize(Action::DescribeParameters, &resource, None)?;
    let all = ctx
        .st
        .store
        .list_secrets(&ListQuery {
            namespace: Namespace::Parameters,
            region: ctx.region.clone(),
            name_prefix: None,
            include_deleted: false,
            after_name: None,
            limit: None,
        })
        .await
        .map_err(ApiError::from)?;
    let mut out = Vec::new();
    let mut skipped = 0usize;
    let mut more = false;
    for s in &all {
        let meta = ParamMeta::from_json(&s.metadata).unwrap_or_default();
        let view = View {
            key: &s.name,
            ptype: &meta.ptype,
            key_id: meta.key_id.as_deref(),
            tier: &meta.tier,
            data_type: &meta.data_type,
            tags: &s.tags,
            labels: &[],
        };
        if !filters::matches_all(&legacy, &view) || !filters::matches_all(&pfilters, &view) {
            continue;
        }
        if skipped < offset {
            skipped += 1;
            continue;
        }
        out.push(metadata_out(s));
        if out.len() == max {
            more = true;
            break;
        }
    }
    // A full page always carries a NextToken (the next page may be empty), as
    // AWS answers: every item comes exactly once and paginators stop on the
    // first page without a token.
    Ok(answer(&wire::DescribeParametersResult {
        Parameters: out,
        NextToken: more.then(|| rules::offset_token(offset + max)),
    }))
}
