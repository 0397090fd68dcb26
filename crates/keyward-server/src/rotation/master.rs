//! The master secret of a rotation: the admin credential that alternating-users
//! rotation logs in with, and that a `command` rotator's temporary key may read.
//!
//! The server reads it as itself, so which secret that is gets approved when the
//! rotation is configured, by a caller allowed to read it (`--master-secret`, or
//! the `masterarn` field of the value at `RotateSecret` time), and is kept in the
//! rotation's configuration. A `masterarn` written into the value later, by
//! someone who may only put values, is not followed: the run refuses until the
//! rotation is configured again. Without this, `PutSecretValue` on one's own
//! secret would let one borrow any admin credential on the server.

use crate::action::Action;
use crate::authz::AuthzExtras;
use crate::error::ApiError;
use crate::lookup::Origin;
use crate::ops::AWSCURRENT;
use crate::state::{AppState, Caller};
use keyward_crypto::SecretString;
use keyward_rotate::RotateError;
use keyward_store::{Namespace, RotationConfig, Secret, VersionSelector};

/// The `masterarn` field of a value (AWS's convention for multi-user rotation),
/// if the value is JSON and has one.
fn masterarn_in(value: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(value)
        .ok()
        .and_then(|j| j.get("masterarn")?.as_str().map(str::to_owned))
}

/// [`masterarn_in`] of the secret's current value.
async fn named_by_value(st: &AppState, secret: &Secret) -> Result<Option<String>, ApiError> {
    let Some(v) = st
        .store
        .get_version(secret.id, &VersionSelector::Stage(AWSCURRENT.into()))
        .await?
    else {
        return Ok(None);
    };
    if v.is_placeholder() {
        return Ok(None);
    }
    let value = st.open_value(secret, &v)?;
    Ok(masterarn_in(value.bytes.expose()))
}

/// Records in `config` the master secret `caller` configures the rotation of
/// `secret` with: `requested` (`--master-secret`), else the one the value names,
/// and returns it (`None`: neither names one, and `config` is left as it was).
/// A master that is not already the approved one must exist and be readable
/// (`secretsmanager:GetSecretValue`) by the caller.
pub(crate) async fn approve(
    st: &AppState,
    caller: &Caller,
    origin: Origin<'_>,
    secret: &Secret,
    config: &mut RotationConfig,
    requested: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let (wanted, from_value) = match requested {
        Some(m) => (m.to_owned(), false),
        None => match named_by_value(st, secret).await? {
            Some(m) => (m, true),
            None => return Ok(None),
        },
    };
    if config.master_secret.as_deref() == Some(wanted.as_str()) {
        return Ok(Some(wanted));
    }
    let found = st
        .find_secret(Namespace::Secrets, &secret.region, &wanted)
        .await?;
    let shown = st.named_secret_arn(&secret.region, &wanted);
    let arn = found
        .as_ref()
        .map_or_else(|| shown.clone(), |f| f.arn.clone());
    let facts = AuthzExtras {
        shown_resource: Some(&shown),
        ..origin.extras(found.as_ref())
    };
    // A master named by the value is a part of the value: refusals do not repeat
    // it to a caller who may not read the value.
    let refused_from_value = |why: &str| {
        ApiError::AccessDenied(format!(
            "the masterarn in the value of {} names a master secret that {why}: rotation reads it as the server, so whoever configures the rotation must be allowed secretsmanager:GetSecretValue on it",
            secret.name
        ))
    };
    if let Err(e) = st.authorize(caller, Action::GetSecretValue, &arn, &facts) {
        return Err(if from_value {
            refused_from_value("you may not read")
        } else {
            e
        });
    }
    if found.is_none() {
        return Err(if from_value {
            refused_from_value("does not exist")
        } else {
            ApiError::InvalidParameter(format!(
                "master secret {wanted}: no such secret; store the admin credentials first"
            ))
        });
    }
    config.master_secret = Some(wanted.clone());
    Ok(Some(wanted))
}

/// The master secret a run of `secret`'s rotation may use: the approved one, if
/// any. A value that names another one refuses the run, saying how to approve it.
/// `current` is the secret's current value when the caller has it open already
/// (else it is read here).
pub(crate) async fn resolve(
    st: &AppState,
    secret: &Secret,
    config: &RotationConfig,
    current: Option<&SecretString>,
) -> Result<Option<Secret>, RotateError> {
    let store = |e: ApiError| RotateError::Target(format!("store: {e}"));
    let find = async |id: &str| {
        st.find_secret(Namespace::Secrets, &secret.region, id)
            .await
            .map_err(store)
    };
    let approved = match &config.master_secret {
        Some(id) => Some(find(id).await?.ok_or_else(|| {
            RotateError::Config(format!(
                "secret {}: its master secret {id} does not exist",
                secret.name
            ))
        })?),
        None => None,
    };
    let named = match current {
        Some(v) => masterarn_in(v.expose().as_bytes()),
        None => named_by_value(st, secret).await.map_err(store)?,
    };
    if let Some(named) = named {
        let same = match (&approved, find(&named).await?) {
            (Some(a), Some(n)) => a.id == n.id,
            _ => false,
        };
        if !same {
            // The name comes from the value, so the message does not repeat it.
            return Err(RotateError::Config(format!(
                "secret {}: the masterarn in its value names a master secret that was not approved for this rotation; configure the rotation again (`keyward rotation set {} --master-secret <that secret>`, or RotateSecret) as a caller allowed to read it",
                secret.name, secret.name
            )));
        }
    }
    Ok(approved)
}
