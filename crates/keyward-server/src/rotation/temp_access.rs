//! The temporary access key an external rotator runs with: created for one run,
//! deleted after it, and allowed only what a rotation Lambda needs — the secret
//! being rotated, its master secret if it names one, and `GetRandomPassword`.
//! A run killed before it could delete its key (a crashed server) leaves it
//! behind. The principal is tagged with the secret it was made for: the next run
//! of that secret's rotation deletes it, and so does the scheduler once the
//! secret has no rotation in progress (a key is used only while its rotation is
//! in progress).

use crate::action::Action;
use crate::ctx::Audit;
use crate::error::ApiError;
use crate::identities::{NewKey, add_access_key, create_principal, generate_access_key};
use crate::state::AppState;
use keyward_crypto::SecretString;
use keyward_store::{Secret, Tag};
use serde_json::json;

/// The temporary principals' name prefix.
const PREFIX: &str = "keyward-rotation-";
/// The tag naming the secret (its ARN) a temporary principal was made for.
const ROTATION_OF: &str = "keyward:rotation-of";

/// What a rotation needs on the secret (and on its master secret, read only).
const ON_SECRET: [Action; 4] = [
    Action::DescribeSecret,
    Action::GetSecretValue,
    Action::PutSecretValue,
    Action::UpdateSecretVersionStage,
];

#[derive(Debug)]
pub struct TempAccess {
    name: String,
    key: NewKey,
    endpoint: Option<String>,
    region: String,
}

impl TempAccess {
    pub async fn create(
        st: &AppState,
        secret: &Secret,
        master: Option<&Secret>,
    ) -> Result<Self, ApiError> {
        let keys = st.keys()?;
        let name = format!(
            "{PREFIX}{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut statements = vec![
            json!({"Effect": "Allow", "Action": ON_SECRET.map(Action::name), "Resource": secret.arn}),
            json!({"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"}),
        ];
        // Only the approved master (see `rotation::master`): the one a Lambda in
        // AWS's style finds in the value's `masterarn`.
        if let Some(m) = master {
            statements.push(json!({"Effect": "Allow", "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], "Resource": m.arn}));
        }
        let document = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
        let mut audit = Audit::system(Action::CreateUser);
        audit.resource(st.principal_arn(&name));
        let principal = st
            .write(&mut audit, async |w| {
                let tags = vec![Tag {
                    key: ROTATION_OF.into(),
                    value: secret.arn.clone(),
                }];
                create_principal(st.store.as_ref(), &st.cfg.account_id, &name, tags, w).await
            })
            .await?;
        let mut audit = Audit::system(Action::PutPolicy);
        audit.resource(st.policy_arn(&name));
        st.write(&mut audit, async |w| {
            st.store.put_policy(&name, &document, w).await
        })
        .await?;
        let mut audit = Audit::system(Action::AttachUserPolicy);
        audit.resource(principal.arn.clone());
        st.write(&mut audit, async |w| {
            st.store.attach_policy(&name, &name, w).await
        })
        .await?;
        let key = generate_access_key();
        let mut audit = Audit::system(Action::CreateAccessKey);
        audit.resource(principal.arn.clone());
        st.write(&mut audit, async |w| {
            add_access_key(st.store.as_ref(), &keys.keyring, &principal, &key, w).await
        })
        .await?;
        Ok(Self {
            name,
            key,
            endpoint: st.cfg.rotation.endpoint.clone(),
            region: secret.region.clone(),
        })
    }

    /// The environment an AWS SDK (and AWS's rotation templates) read.
    pub fn env(&self) -> Vec<(String, SecretString)> {
        let plain = |k: &str, v: &str| (k.to_string(), SecretString::new(v.to_string()));
        let mut env = vec![
            plain("AWS_ACCESS_KEY_ID", &self.key.access_key_id),
            (
                "AWS_SECRET_ACCESS_KEY".to_string(),
                self.key.secret_access_key.clone(),
            ),
            plain("AWS_REGION", &self.region),
            plain("AWS_DEFAULT_REGION", &self.region),
        ];
        if let Some(e) = &self.endpoint {
            env.push(plain("AWS_ENDPOINT_URL", e));
            env.push(plain("SECRETS_MANAGER_ENDPOINT", e));
        }
        env
    }

    /// Deletes the key, the principal and its policy. Failures are logged: the
    /// key only reaches one secret, and a leftover shows in `principal ls`.
    pub async fn remove(self, st: &AppState) {
        // Deleting a principal clears the auth cache as it commits (`AppState::write`).
        remove_named(st, &self.name).await;
    }

    /// Deletes the temporary principals earlier runs of `secret`'s rotation left
    /// behind. Call it only while no run of that rotation is under way.
    pub async fn remove_leftovers(st: &AppState, secret: &Secret) {
        let left: Vec<String> = temporary_principals(st)
            .await
            .into_iter()
            .filter(|(_, of)| *of == secret.arn)
            .map(|(name, _)| name)
            .collect();
        remove_all(st, &left).await;
    }

    /// Deletes the temporary principals of secrets with no rotation in progress:
    /// their runs are over (a run ends after its rotation's state is cleared,
    /// and a killed one never ends). Principals are listed before the rotations
    /// are read, so a run that starts in between is not among them.
    pub async fn remove_finished(st: &AppState) -> Result<(), ApiError> {
        let found = temporary_principals(st).await;
        if found.is_empty() {
            return Ok(());
        }
        let mut in_progress = std::collections::HashSet::new();
        for rot in st.store.list_rotations().await? {
            if rot.state.pending_token.is_some()
                && let Some(secret) = st.store.get_secret_by_id(rot.secret_id).await?
            {
                in_progress.insert(secret.arn);
            }
        }
        let finished: Vec<String> = found
            .into_iter()
            .filter(|(_, of)| !in_progress.contains(of))
            .map(|(name, _)| name)
            .collect();
        remove_all(st, &finished).await;
        Ok(())
    }
}

/// Temporary rotation principals: (name, ARN of the secret it was made for).
async fn temporary_principals(st: &AppState) -> Vec<(String, String)> {
    let principals = match st.store.list_principals().await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "could not look for leftover temporary rotation principals");
            return Vec::new();
        }
    };
    principals
        .into_iter()
        .filter(|p| p.name.starts_with(PREFIX))
        .filter_map(|p| {
            let of = p.tags.iter().find(|t| t.key == ROTATION_OF)?.value.clone();
            Some((p.name, of))
        })
        .collect()
}

async fn remove_all(st: &AppState, names: &[String]) {
    for name in names {
        tracing::warn!(principal = %name, "deleting a temporary rotation principal a killed run left behind");
        remove_named(st, name).await;
    }
}

async fn remove_named(st: &AppState, name: &str) {
    let mut audit = Audit::system(Action::DeleteUser);
    audit.resource(st.principal_arn(name));
    if let Err(e) = st
        .write(&mut audit, async |w| {
            st.store.delete_principal(name, w).await
        })
        .await
    {
        tracing::error!(principal = %name, error = %e, "could not delete a rotation's temporary principal; delete it by hand");
    }
    let mut audit = Audit::system(Action::DeletePolicy);
    audit.resource(st.policy_arn(name));
    if let Err(e) = st
        .write(&mut audit, async |w| st.store.delete_policy(name, w).await)
        .await
    {
        tracing::error!(policy = %name, error = %e, "could not delete a rotation's temporary policy; delete it by hand");
    }
}
