//! `postgres-single-user`: one role, its password changed in place by the role itself
//! (any role may change its own password). Between `setSecret` and `finishSecret`
//! only the pending password works, which is why the engine stores `AWSPENDING`
//! before `setSecret` runs.

use async_trait::async_trait;
use keyward_crypto::generator::PasswordPolicy;

use super::{
    DbSecret, alter_password_sql, default_password_policy, describe_error, login, new_password,
    test_login,
};
use crate::{RotateError, Rotator, SecretString, StepContext};

const KIND: &str = "postgres-single-user";

#[derive(Debug, Clone)]
pub struct SingleUser {
    /// How new passwords are generated.
    pub password_policy: PasswordPolicy,
}

impl Default for SingleUser {
    fn default() -> Self {
        Self {
            password_policy: default_password_policy(),
        }
    }
}

#[async_trait]
impl Rotator for SingleUser {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn create(&self, ctx: &StepContext<'_>) -> Result<SecretString, RotateError> {
        let current = DbSecret::parse(ctx.current, &format!("secret {}", ctx.secret_name))?;
        let password = new_password(&self.password_policy)?;
        Ok(current.with_credentials(&current.username, &password))
    }

    async fn set(&self, ctx: &StepContext<'_>, pending: &SecretString) -> Result<(), RotateError> {
        let name = ctx.secret_name;
        let current = DbSecret::parse(ctx.current, &format!("secret {name}"))?;
        let pending = DbSecret::parse(pending, &format!("secret {name}'s pending value"))?;
        if pending.username != current.username || !pending.same_server(&current) {
            return Err(RotateError::Config(format!(
                "{KIND}: secret {name}: the pending value is for {}, the current one for {}; \
                 a single-user rotation changes one role's password on one server",
                pending.describe(),
                current.describe()
            )));
        }
        // Already set (a retry after setSecret succeeded): nothing to do.
        let pending_failure = match login(&pending).await {
            Ok(_) => return Ok(()),
            Err(f) => f,
        };
        let client = match login(&current).await {
            Ok(client) => client,
            Err(current_failure) => {
                let previous = match ctx.previous {
                    Some(p) => DbSecret::parse(p, &format!("secret {name}'s previous value")).ok(),
                    None => None,
                };
                let from_previous = match previous {
                    Some(p) if p.username == current.username && p.same_server(&current) => {
                        login(&p).await.ok()
                    }
                    _ => None,
                };
                match from_previous {
                    Some(client) => client,
                    None => {
                        let retry_hint = if current_failure.auth_rejected {
                            "; neither the current nor the pending password is accepted, \
                             so the role's password was changed outside keyward: set the \
                             secret's current value to a password that works"
                        } else {
                            ""
                        };
                        return Err(RotateError::Target(format!(
                            "{KIND}: secret {name}: cannot log in to {} with the current \
                             credentials: {} (with the pending ones: {}){retry_hint}",
                            current.describe(),
                            current_failure.cause,
                            pending_failure.cause
                        )));
                    }
                }
            }
        };
        let sql = alter_password_sql(&current.username, &pending.password)?;
        client.batch_execute(&sql).await.map_err(|e| {
            RotateError::Target(format!(
                "{KIND}: secret {name}: changing the password of {} failed: {}",
                current.describe(),
                describe_error(&e)
            ))
        })
    }

    async fn test(&self, ctx: &StepContext<'_>, pending: &SecretString) -> Result<(), RotateError> {
        test_login(KIND, ctx.secret_name, pending).await
    }
}
