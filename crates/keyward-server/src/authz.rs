//! Authorization: one IAM-style policy engine for every API. Identity policies come
//! from the caller's attachments; a secret's resource policy is evaluated with them.
//!
//! Decisions fail closed: a stored policy that no longer parses (identity or
//! resource) denies instead of silently dropping out, because a `Deny` inside it
//! would vanish with it.

use crate::action::Action;
use crate::error::ApiError;
use crate::state::{AppState, Caller};
use keyward_policy::{Decision, Policy, RequestContext};

/// What authorization needs to know about the request beyond who and what.
#[derive(Debug, Default, Clone)]
pub struct AuthzExtras<'a> {
    pub source_ip: Option<&'a str>,
    pub region: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// The request came over TLS.
    pub secure_transport: bool,
    pub resource_tags: &'a [keyward_store::Tag],
    pub resource_policy: Option<&'a str>,
    /// The resource as the caller named it (an ARN without the random suffix for a
    /// secret named by name). Denial messages show this, never the stored ARN, so a
    /// denial reads the same whether or not the resource exists.
    pub shown_resource: Option<&'a str>,
}

impl<'a> AuthzExtras<'a> {
    /// These facts for a request about `secret`: its tags and resource policy too.
    pub fn about(self, secret: &'a keyward_store::Secret) -> Self {
        Self {
            resource_tags: &secret.tags,
            resource_policy: secret.resource_policy.as_deref(),
            ..self
        }
    }
}

impl AppState {
    /// Allows or denies `action` on `resource` for `caller`; a denial names both.
    pub fn authorize(
        &self,
        caller: &Caller,
        action: Action,
        resource: &str,
        extras: &AuthzExtras<'_>,
    ) -> Result<(), ApiError> {
        match self.decide(caller, action, resource, extras) {
            Decision::Allow => Ok(()),
            denied => Err(denial(
                caller,
                action.name(),
                extras.shown_resource.unwrap_or(resource),
                &denied,
            )),
        }
    }

    /// The policy decision itself, for callers that filter rather than fail (a
    /// listing drops what an explicit deny covers).
    pub fn decide(
        &self,
        caller: &Caller,
        action: Action,
        resource: &str,
        extras: &AuthzExtras<'_>,
    ) -> Decision {
        if let Some(name) = &caller.unreadable_policy {
            tracing::error!(principal = %caller.principal.arn, policy = %name, "an attached policy does not parse; denying every request of this principal until it is fixed");
            return Decision::ExplicitDeny { sid: None };
        }
        let resource_policy = match extras.resource_policy.map(Policy::parse) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                tracing::error!(resource, error = %e, "the resource policy of this secret does not parse; denying every request to it until it is replaced");
                return Decision::ExplicitDeny { sid: None };
            }
        };
        let mut ctx = RequestContext::new(
            action.name(),
            resource,
            &caller.principal.arn,
            &self.cfg.account_id,
        );
        // Condition keys only matter to policies with conditions or variables; most
        // have neither, and filling them in is most of the cost of a decision.
        let reads_context = caller.policies.iter().any(Policy::reads_request_context)
            || resource_policy
                .as_ref()
                .is_some_and(Policy::reads_request_context);
        if reads_context {
            fill_condition_keys(&mut ctx, caller, &self.cfg.account_id, extras);
        }
        let identity: Vec<&Policy> = caller.policies.iter().collect();
        keyward_policy::evaluate(&identity, resource_policy.as_ref(), &ctx)
    }
}

/// AWS's wording for a refused request.
fn denial(caller: &Caller, action: &str, resource: &str, decision: &Decision) -> ApiError {
    let user = &caller.principal.arn;
    ApiError::AccessDenied(match decision {
        Decision::ExplicitDeny { .. } => format!(
            "User: {user} is not authorized to perform: {action} on resource: {resource} with an explicit deny in a policy"
        ),
        _ => format!(
            "User: {user} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
        ),
    })
}

/// The global condition keys AWS sets on every request, as far as keyward knows them.
fn fill_condition_keys(
    ctx: &mut RequestContext,
    caller: &Caller,
    account_id: &str,
    extras: &AuthzExtras<'_>,
) {
    ctx.set("aws:username", &caller.principal.name);
    ctx.set("aws:userid", &caller.access_key_id);
    ctx.set("aws:PrincipalArn", &caller.principal.arn);
    ctx.set("aws:PrincipalAccount", account_id);
    ctx.set(
        "aws:SecureTransport",
        if extras.secure_transport {
            "true"
        } else {
            "false"
        },
    );
    let now = time::OffsetDateTime::now_utc();
    ctx.set(
        "aws:CurrentTime",
        now.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    );
    ctx.set("aws:EpochTime", now.unix_timestamp().to_string());
    // As in AWS, both keys are absent (not "false") for long-term access keys, so
    // `Bool` on them fails and `BoolIfExists` / `Null` tell the two apart.
    if let Some(at) = caller.mfa_authenticated_at {
        ctx.set("aws:MultiFactorAuthPresent", "true");
        ctx.set(
            "aws:MultiFactorAuthAge",
            (now.unix_timestamp() - at).max(0).to_string(),
        );
    }
    for tag in &caller.principal.tags {
        ctx.set(&format!("aws:PrincipalTag/{}", tag.key), &tag.value);
    }
    for tag in extras.resource_tags {
        ctx.set(&format!("aws:ResourceTag/{}", tag.key), &tag.value);
        ctx.set(
            &format!("secretsmanager:ResourceTag/{}", tag.key),
            &tag.value,
        );
    }
    if let Some(ip) = extras.source_ip {
        ctx.set("aws:SourceIp", ip);
    }
    if let Some(r) = extras.region {
        ctx.set("aws:RequestedRegion", r);
    }
    if let Some(ua) = extras.user_agent {
        ctx.set("aws:UserAgent", ua);
    }
}
