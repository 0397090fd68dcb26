//! Authentication: who is calling. Bearer tokens for the native API (SigV4 for the AWS
//! API lives in `aws::sigv4`); both resolve an access key id through the same cache.

use crate::error::ApiError;
use crate::state::{AppState, CachedKey, Caller};
use http::HeaderMap;
use keyward_crypto::SecretString;
use std::sync::Arc;
use std::time::Instant;

/// Associated data binding a sealed secret access key to its key id.
pub fn access_key_aad(access_key_id: &str) -> Vec<u8> {
    format!("keyward-access-key|{access_key_id}").into_bytes()
}

impl AppState {
    /// Resolves an access key id to its secret and its principal's policies.
    /// Unknown or disabled keys are `BadCredentials`.
    pub(crate) async fn lookup_key(&self, access_key_id: &str) -> Result<Arc<CachedKey>, ApiError> {
        if let Ok(cache) = self.key_cache.lock()
            && let Some(hit) = cache.get(access_key_id)
            && hit.fetched.elapsed() < self.cfg.auth_cache_ttl
        {
            return Ok(hit.clone());
        }
        let unknown = || {
            ApiError::BadCredentials(
                "The security token included in the request is invalid.".into(),
            )
        };
        let internal = ApiError::from;
        let key = self
            .store
            .get_access_key(access_key_id)
            .await
            .map_err(internal)?
            .ok_or_else(unknown)?;
        if !key.enabled {
            return Err(unknown());
        }
        let keys = self.keys()?;
        let secret = keys
            .keyring
            .open(&key.sealed_secret, &access_key_aad(access_key_id))
            .map_err(|_| {
                ApiError::Integrity(format!(
                    "the stored secret of access key {access_key_id} failed its integrity check"
                ))
            })?;
        let secret = SecretString::new(String::from_utf8(secret.to_vec()).map_err(|_| unknown())?);
        let caller = self
            .caller_for(key.principal_id, access_key_id)
            .await?
            .ok_or_else(unknown)?;
        let entry = Arc::new(CachedKey {
            fetched: Instant::now(),
            secret,
            caller,
        });
        if let Ok(mut cache) = self.key_cache.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(access_key_id.to_string(), entry.clone());
        }
        Ok(entry)
    }

    /// The caller a key of `principal_id` makes: the principal and its policies;
    /// `None` when the principal is gone.
    pub(crate) async fn caller_for(
        &self,
        principal_id: uuid::Uuid,
        access_key_id: &str,
    ) -> Result<Option<Caller>, ApiError> {
        let internal = ApiError::from;
        let Some(principal) = self
            .store
            .get_principal_by_id(principal_id)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        let mut policies = Vec::new();
        let mut unreadable_policy = None;
        for record in self
            .store
            .principal_policies(principal.id)
            .await
            .map_err(internal)?
        {
            match keyward_policy::Policy::parse(&record.document) {
                Ok(p) => policies.push(p),
                // A stored policy that no longer parses denies everything (a Deny
                // in it must not vanish); say so loudly.
                Err(e) => {
                    tracing::error!(policy = %record.name, principal = %principal.arn, error = %e, "stored policy does not parse; denying this principal's requests");
                    unreadable_policy = Some(record.name.clone());
                }
            }
        }
        Ok(Some(Caller {
            principal,
            access_key_id: access_key_id.to_string(),
            policies: Arc::new(policies),
            unreadable_policy,
            mfa_authenticated_at: None,
        }))
    }

    /// Authenticates a native-API request from its `Authorization: Bearer` header.
    pub async fn authenticate_bearer(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let value = headers
            .get(http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::MissingAuth(
                    "no credentials: send `Authorization: Bearer <token>` (make one with `keyward token`, or set KEYWARD_ACCESS_KEY_ID and KEYWARD_SECRET_ACCESS_KEY for the CLI)".into(),
                )
            })?
            .to_str()
            .map_err(|_| ApiError::BadCredentials("the Authorization header is not valid text".into()))?;
        let token = value.strip_prefix("Bearer ").ok_or_else(|| {
            ApiError::MissingAuth("the Authorization header must be `Bearer <token>`".into())
        })?;
        let parsed = keyward_crypto::bearer::parse_token(token)
            .map_err(|e| ApiError::BadCredentials(e.to_string()))?;
        // A session credential carries its token beside the bearer token, under
        // the header name AWS SDKs use for it.
        let entry = match headers.get(crate::mfa::SESSION_TOKEN_HEADER) {
            Some(t) => {
                let t = t.to_str().map_err(|_| {
                    ApiError::BadCredentials("the session token is not valid text".into())
                })?;
                self.lookup_session(&parsed.access_key_id, t).await?
            }
            None => self.lookup_key(&parsed.access_key_id).await?,
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        keyward_crypto::bearer::verify_token(&parsed, entry.secret.expose(), now)
            .map_err(|e| ApiError::BadCredentials(e.to_string()))?;
        Ok(entry.caller.clone())
    }
}
