//! The native API's secret lookups: by name (with the hot path that reads the
//! secret and its version in one store call) or ARN, authorized through the
//! lookup shared with the AWS API.

use crate::action::Action;
use crate::ctx::RequestMeta;
use crate::error::ApiError;
use crate::names::validate_secret_name;
use crate::state::AppState;
use keyward_store::{Namespace, Secret, Version, VersionSelector};

impl AppState {
    /// Looks up a native secret and authorizes `action` on it; a missing secret is
    /// authorized against its would-be ARN first so denial hides existence.
    pub(super) async fn native_secret(
        &self,
        caller: &crate::state::Caller,
        audit: &mut crate::ctx::Audit,
        meta: &RequestMeta,
        name: &str,
        action: Action,
    ) -> Result<Secret, ApiError> {
        validate_secret_name(name)?;
        let region = self.cfg.default_region.clone();
        let found = self.find_secret(Namespace::Secrets, &region, name).await?;
        self.authorize_native(caller, audit, meta, name, action, found)
    }

    /// The hot path of every value read: the secret and the selected version in one
    /// consistent store read, then authorization, then (only if allowed) decryption.
    pub(super) async fn native_secret_version(
        &self,
        caller: &crate::state::Caller,
        audit: &mut crate::ctx::Audit,
        meta: &RequestMeta,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<(Secret, Version, crate::ops::Value), ApiError> {
        const ACTION: Action = Action::GetSecretValue;
        validate_secret_name(name)?;
        let (secret, version) = if name.starts_with("arn:") {
            let secret = self
                .native_secret(caller, audit, meta, name, ACTION)
                .await?;
            (secret, None)
        } else {
            let region = self.cfg.default_region.clone();
            let found = self
                .store
                .get_secret_and_version(Namespace::Secrets, &region, name, selector)
                .await
                .map_err(ApiError::from)?;
            let (secret, version) = match found {
                Some((s, v)) => (Some(s), v),
                None => (None, None),
            };
            (
                self.authorize_native(caller, audit, meta, name, ACTION, secret)?,
                version,
            )
        };
        if secret.deleted_at.is_some() {
            return Err(ApiError::InvalidRequest(format!(
                "secret {name} is scheduled for deletion and cannot be read; restore it with `keyward restore {name}`"
            )));
        }
        match version {
            Some(version) => {
                audit.version(version.version_id.clone());
                let value = self.open_value(&secret, &version)?;
                Ok((secret, version, value))
            }
            // Not found in the combined read, or looked up by ARN: the shared path
            // gives the same errors as every other API.
            None => {
                let (version, value) = self.read_version(audit, &secret, selector).await?;
                Ok((secret, version, value))
            }
        }
    }

    /// Authorizes `action` on a looked-up secret (see [`crate::lookup`]).
    fn authorize_native(
        &self,
        caller: &crate::state::Caller,
        audit: &mut crate::ctx::Audit,
        meta: &RequestMeta,
        name: &str,
        action: Action,
        found: Option<Secret>,
    ) -> Result<Secret, ApiError> {
        let origin = crate::lookup::Origin {
            meta,
            region: &self.cfg.default_region,
        };
        self.authorize_secret(caller, audit, origin, name, action, found)?
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "secret not found: {name} (list names with `keyward ls`)"
                ))
            })
    }
}
