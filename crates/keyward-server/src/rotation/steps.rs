//! What one step does: for a built-in rotator, the values it sees (current,
//! previous, master, pending) and the versions and labels it leaves; for an
//! external rotator (command, webhook), the checks that it did its part.

use super::engine::system_audit;
use super::temp_access::TempAccess;
use crate::action::Action;
use crate::ctx::SYSTEM_PRINCIPAL;
use crate::error::ApiError;
use crate::ops::{AWSCURRENT, AWSPENDING, Value};
use crate::state::AppState;
use keyward_crypto::{SecretBytes, SecretString};
use keyward_rotate::{Built, ExternalContext, RotateError, Step, StepContext};
use keyward_store::{
    NewVersion, Rotation, RotationConfig, Secret, ValueKind, VersionLimit, VersionSelector,
};
use time::OffsetDateTime;

/// Values a built-in rotator's step sees.
struct Loaded {
    current: SecretString,
    current_id: String,
    previous: Option<SecretString>,
    master: Option<SecretString>,
    pending: Option<SecretString>,
}

fn text(v: Value, secret: &Secret) -> Result<SecretString, RotateError> {
    if v.kind != ValueKind::String {
        return Err(RotateError::Config(format!(
            "secret {} holds a binary value; rotators rotate string values",
            secret.name
        )));
    }
    String::from_utf8(v.bytes.expose().to_vec())
        .map(SecretString::new)
        .map_err(|_| RotateError::Config(format!("secret {} is not UTF-8", secret.name)))
}

async fn open_stage(
    st: &AppState,
    secret: &Secret,
    sel: VersionSelector,
) -> Result<Option<(String, SecretString)>, RotateError> {
    let storage = |e: ApiError| RotateError::Target(format!("store: {e}"));
    let Some(v) = st
        .store
        .get_version(secret.id, &sel)
        .await
        .map_err(|e| storage(e.into()))?
    else {
        return Ok(None);
    };
    if v.is_placeholder() {
        return Ok(None);
    }
    let value = st.open_value(secret, &v).map_err(storage)?;
    Ok(Some((v.version_id.clone(), text(value, secret)?)))
}

/// The admin secret's current value: the master approved for this rotation.
async fn master(
    st: &AppState,
    secret: &Secret,
    config: &RotationConfig,
    current: &SecretString,
) -> Result<Option<SecretString>, RotateError> {
    let Some(found) = super::master::resolve(st, secret, config, Some(current)).await? else {
        return Ok(None);
    };
    Ok(
        open_stage(st, &found, VersionSelector::Stage(AWSCURRENT.into()))
            .await?
            .map(|(_, v)| v),
    )
}

async fn load(
    st: &AppState,
    secret: &Secret,
    cfg: &RotationConfig,
    token: &str,
) -> Result<Loaded, RotateError> {
    let (current_id, current) = open_stage(st, secret, VersionSelector::Stage(AWSCURRENT.into()))
        .await?
        .ok_or_else(|| {
            RotateError::Config(format!(
                "secret {} has no AWSCURRENT value to rotate; put one first",
                secret.name
            ))
        })?;
    let previous = open_stage(st, secret, VersionSelector::Stage("AWSPREVIOUS".into()))
        .await?
        .map(|(_, v)| v);
    let pending = open_stage(st, secret, VersionSelector::Id(token.to_string()))
        .await?
        .map(|(_, v)| v);
    let master = master(st, secret, cfg, &current).await?;
    Ok(Loaded {
        current,
        current_id,
        previous,
        master,
        pending,
    })
}

pub(super) async fn run_step(
    st: &AppState,
    secret: &Secret,
    rot: &Rotation,
    token: &str,
    step: Step,
    runner: &Built,
    access: Option<&TempAccess>,
) -> Result<(), RotateError> {
    match runner {
        Built::Values(rotator) => {
            let loaded = load(st, secret, &rot.config, token).await?;
            let ctx = StepContext {
                secret_arn: &secret.arn,
                secret_name: &secret.name,
                token,
                current: &loaded.current,
                previous: loaded.previous.as_ref(),
                master: loaded.master.as_ref(),
            };
            let pending = |l: &Loaded| {
                l.pending.clone().ok_or_else(|| {
                    RotateError::Config(format!(
                        "secret {}: the pending version {token} has no value",
                        secret.name
                    ))
                })
            };
            match step {
                Step::CreateSecret => {
                    if loaded.pending.is_some() {
                        return Ok(()); // done before a crash: the token keys it
                    }
                    let value = rotator.create(&ctx).await?;
                    store_pending(st, secret, token, &value).await
                }
                Step::SetSecret => rotator.set(&ctx, &pending(&loaded)?).await,
                Step::TestSecret => rotator.test(&ctx, &pending(&loaded)?).await,
                Step::FinishSecret => {
                    let new = pending(&loaded)?;
                    if loaded.current_id != token {
                        promote(st, secret, token, &loaded.current_id).await?;
                    }
                    drop_pending_label(st, secret, token).await?;
                    let after = StepContext {
                        current: &new,
                        previous: if loaded.current_id != token {
                            Some(&loaded.current)
                        } else {
                            loaded.previous.as_ref()
                        },
                        ..ctx
                    };
                    rotator.finish(&after, &new).await
                }
            }
        }
        Built::External(ext) => {
            let env = access.map(TempAccess::env).unwrap_or_default();
            let ctx = ExternalContext {
                secret_arn: &secret.arn,
                secret_name: &secret.name,
                token,
                env: &env,
            };
            ext.step(step, &ctx).await?;
            match step {
                Step::CreateSecret => {
                    if open_stage(st, secret, VersionSelector::Id(token.into()))
                        .await?
                        .is_none()
                    {
                        return Err(RotateError::Target(format!(
                            "secret {}: {} finished createSecret without storing a value under ClientRequestToken {token}",
                            secret.name,
                            ext.kind()
                        )));
                    }
                    Ok(())
                }
                Step::FinishSecret => {
                    let current = st
                        .store
                        .get_version(secret.id, &VersionSelector::Stage(AWSCURRENT.into()))
                        .await
                        .map_err(|e| RotateError::Target(format!("store: {e}")))?;
                    if current.is_none_or(|v| v.version_id != token) {
                        return Err(RotateError::Target(format!(
                            "secret {}: {} finished finishSecret without moving AWSCURRENT to {token}",
                            secret.name,
                            ext.kind()
                        )));
                    }
                    drop_pending_label(st, secret, token).await
                }
                _ => Ok(()),
            }
        }
    }
}

fn store_err(e: ApiError) -> RotateError {
    RotateError::Target(format!("store: {e}"))
}

async fn store_pending(
    st: &AppState,
    secret: &Secret,
    token: &str,
    value: &SecretString,
) -> Result<(), RotateError> {
    let v = Value {
        kind: ValueKind::String,
        bytes: SecretBytes::new(value.expose().as_bytes().to_vec()),
    };
    let (sealed, value_mac) = st.seal_value(secret.id, token, &v).map_err(store_err)?;
    let nv = NewVersion {
        version_id: token.to_string(),
        kind: ValueKind::String,
        sealed,
        value_mac,
        created_by: Some(SYSTEM_PRINCIPAL.to_string()),
        stages: vec![AWSPENDING.to_string()],
        metadata: serde_json::Value::Null,
    };
    let mut audit = system_audit(Action::PutSecretValue, secret, token);
    st.write(&mut audit, async |w| {
        st.store
            .add_version_pruned(
                secret.id,
                nv,
                VersionLimit::SECRETS_MANAGER,
                OffsetDateTime::now_utc(),
                w,
            )
            .await
    })
    .await
    .map_err(store_err)?;
    Ok(())
}

async fn promote(
    st: &AppState,
    secret: &Secret,
    token: &str,
    from: &str,
) -> Result<(), RotateError> {
    let mut audit = system_audit(Action::UpdateSecretVersionStage, secret, token);
    st.write(&mut audit, async |w| {
        st.store
            .move_stage(secret.id, AWSCURRENT, Some(token), Some(from), w)
            .await
    })
    .await
    .map_err(store_err)
}

pub(super) async fn drop_pending_label(
    st: &AppState,
    secret: &Secret,
    token: &str,
) -> Result<(), RotateError> {
    let holder = st
        .store
        .get_version(secret.id, &VersionSelector::Stage(AWSPENDING.into()))
        .await
        .map_err(|e| store_err(e.into()))?;
    if holder.is_none_or(|v| v.version_id != token) {
        return Ok(());
    }
    let mut audit = system_audit(Action::UpdateSecretVersionStage, secret, token);
    st.write(&mut audit, async |w| {
        st.store
            .move_stage(secret.id, AWSPENDING, None, Some(token), w)
            .await
    })
    .await
    .map_err(store_err)
}
