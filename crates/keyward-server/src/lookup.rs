//! Lookup-then-authorize, shared by the native and the AWS APIs: a secret named
//! by name or ARN is authorized on its ARN when it exists and on the ARN it would
//! have when it does not, and a denial names the resource as the caller named it,
//! so that a denied caller learns nothing about existence.

use crate::action::Action;
use crate::authz::AuthzExtras;
use crate::ctx::{Audit, RequestMeta};
use crate::error::ApiError;
use crate::state::{AppState, Caller};
use keyward_store::{Namespace, Secret};

/// Where a request was made from and for: what authorization reads beyond the
/// caller and the secret.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub meta: &'a RequestMeta,
    /// The region the request is for (SigV4 scope, or the native API's default).
    pub region: &'a str,
}

impl<'a> Origin<'a> {
    /// Authorization facts for a request about `secret` (when it exists).
    pub fn extras(&self, secret: Option<&'a Secret>) -> AuthzExtras<'a> {
        let extras = AuthzExtras {
            source_ip: self.meta.source_ip.as_deref(),
            secure_transport: self.meta.secure_transport,
            region: Some(self.region),
            user_agent: self.meta.user_agent.as_deref(),
            ..Default::default()
        };
        match secret {
            Some(s) => extras.about(s),
            None => extras,
        }
    }
}

impl AppState {
    /// The ARN a secret named `id` (a name or an ARN) is authorized against
    /// when it does not exist.
    pub fn named_secret_arn(&self, region: &str, id: &str) -> String {
        if id.starts_with("arn:") {
            id.to_string()
        } else {
            self.would_be_arn(Namespace::Secrets, region, id)
        }
    }

    /// Authorizes `action` on `found` (the secret the caller named `id`, if it
    /// exists) and records its ARN in the audit event.
    #[allow(clippy::too_many_arguments)]
    pub fn authorize_secret(
        &self,
        caller: &Caller,
        audit: &mut Audit,
        origin: Origin<'_>,
        id: &str,
        action: Action,
        found: Option<Secret>,
    ) -> Result<Option<Secret>, ApiError> {
        let named = self.named_secret_arn(origin.region, id);
        let arn = found
            .as_ref()
            .map(|s| s.arn.clone())
            .unwrap_or_else(|| named.clone());
        audit.resource(arn.clone());
        let extras = AuthzExtras {
            shown_resource: Some(&named),
            ..origin.extras(found.as_ref())
        };
        self.authorize(caller, action, &arn, &extras)?;
        Ok(found)
    }
}
