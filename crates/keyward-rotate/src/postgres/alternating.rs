//! `postgres-alternating-users`: AWS's alternating-users strategy. The secret's role
//! toggles between `app` and `app_clone`; each rotation sets a new password on the
//! role that is *not* current, using an admin (master) secret, so the current
//! credential keeps working through the rotation and, as `AWSPREVIOUS`, until the
//! next one. On the first rotation the clone is created as a member of the base
//! role (`GRANT app TO app_clone`), so it has the same privileges, as AWS's template
//! does.

use async_trait::async_trait;
use keyward_crypto::generator::PasswordPolicy;

use super::{
    DbSecret, Tls, alter_password_sql, default_password_policy, describe_error, login,
    new_password, quote_ident, scram_literal, test_login,
};
use crate::{RotateError, Rotator, SecretString, StepContext};

const KIND: &str = "postgres-alternating-users";
/// AWS's suffix for the second role.
pub const CLONE_SUFFIX: &str = "_clone";
/// PostgreSQL truncates identifiers longer than this (NAMEDATALEN - 1 bytes).
const MAX_ROLE_NAME: usize = 63;

#[derive(Debug, Clone)]
pub struct AlternatingUsers {
    /// How new passwords are generated.
    pub password_policy: PasswordPolicy,
}

impl Default for AlternatingUsers {
    fn default() -> Self {
        Self {
            password_policy: default_password_policy(),
        }
    }
}

/// The other role of the pair: `app` ↔ `app_clone`.
pub fn alternate_role(current: &str) -> Result<String, RotateError> {
    if let Some(base) = current.strip_suffix(CLONE_SUFFIX)
        && !base.is_empty()
    {
        return Ok(base.to_owned());
    }
    let clone = format!("{current}{CLONE_SUFFIX}");
    if clone.len() > MAX_ROLE_NAME {
        return Err(RotateError::Config(format!(
            "{KIND}: role {current:?} is too long to add {CLONE_SUFFIX:?} \
             (PostgreSQL role names have at most {MAX_ROLE_NAME} bytes)"
        )));
    }
    Ok(clone)
}

#[async_trait]
impl Rotator for AlternatingUsers {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn create(&self, ctx: &StepContext<'_>) -> Result<SecretString, RotateError> {
        let current = DbSecret::parse(ctx.current, &format!("secret {}", ctx.secret_name))?;
        let role = alternate_role(&current.username)?;
        let password = new_password(&self.password_policy)?;
        Ok(current.with_credentials(&role, &password))
    }

    async fn set(&self, ctx: &StepContext<'_>, pending: &SecretString) -> Result<(), RotateError> {
        let name = ctx.secret_name;
        let current = DbSecret::parse(ctx.current, &format!("secret {name}"))?;
        let pending = DbSecret::parse(pending, &format!("secret {name}'s pending value"))?;
        // Already set (a retry after setSecret succeeded): nothing to do.
        if login(&pending).await.is_ok() {
            return Ok(());
        }
        if pending.username != alternate_role(&current.username)? || !pending.same_server(&current)
        {
            return Err(RotateError::Config(format!(
                "{KIND}: secret {name}: the pending value is for {}, which is not the alternate \
                 role of {} on the same server",
                pending.describe(),
                current.describe()
            )));
        }
        // The current credential must work before the master acts on its behalf, so a
        // secret cannot be used to take over a role it never had (AWS's confused-deputy check).
        login(&current).await.map_err(|f| {
            RotateError::Target(format!(
                "{KIND}: secret {name}: the current credentials cannot log in to {}: {}",
                current.describe(),
                f.cause
            ))
        })?;
        let master = self.master(ctx, &current)?;
        let admin = login(&master).await.map_err(|f| {
            RotateError::Target(format!(
                "{KIND}: secret {name}: cannot log in with the master secret to {}: {}",
                master.describe(),
                f.cause
            ))
        })?;
        let pending_role = quote_ident(&pending.username)?;
        let exists = admin
            .query_opt(
                "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1",
                &[&pending.username],
            )
            .await
            .map_err(|e| self.sql_failed(name, &master, "looking up the role", &e))?
            .is_some();
        let sql = if exists {
            alter_password_sql(&pending.username, &pending.password)?
        } else {
            format!(
                "BEGIN; CREATE ROLE {pending_role} WITH LOGIN PASSWORD {}; GRANT {} TO {pending_role}; COMMIT",
                scram_literal(&pending.password),
                quote_ident(&current.username)?
            )
        };
        admin.batch_execute(&sql).await.map_err(|e| {
            let what = if exists {
                format!("changing the password of role {:?}", pending.username)
            } else {
                format!(
                    "creating role {:?} as a member of {:?}",
                    pending.username, current.username
                )
            };
            self.sql_failed(name, &master, &what, &e)
        })
    }

    async fn test(&self, ctx: &StepContext<'_>, pending: &SecretString) -> Result<(), RotateError> {
        test_login(KIND, ctx.secret_name, pending).await
    }
}

impl AlternatingUsers {
    /// The master secret, pointed at the secret's database as AWS's template does;
    /// it must be for the same server.
    fn master(&self, ctx: &StepContext<'_>, current: &DbSecret) -> Result<DbSecret, RotateError> {
        let name = ctx.secret_name;
        let value = ctx.master.ok_or_else(|| {
            RotateError::Config(format!(
                "{KIND}: secret {name} has no master secret; give one with \
                 `keyward rotation set {name} --master-secret NAME` or a `masterarn` field"
            ))
        })?;
        // The master must say where it logs in. Taking the host from the rotated
        // secret would let anyone who may put that secret's value send the admin
        // login to a server of their choosing.
        let names_host = serde_json::from_str::<serde_json::Value>(value.expose())
            .ok()
            .is_some_and(|v| v.get("host").is_some());
        if !names_host {
            return Err(RotateError::Config(format!(
                "{KIND}: the master secret of {name} names no host: add \"host\" and \"port\" to it \
                 (an RDS-managed master secret holds only username and password), so that its \
                 login goes only to the server it belongs to"
            )));
        }
        let mut master = DbSecret::parse(value, &format!("the master secret of {name}"))?;
        if !master.same_server(current) {
            return Err(RotateError::Config(format!(
                "{KIND}: secret {name} is for {}:{} but its master secret is for {}:{}",
                current.host, current.port, master.host, master.port
            )));
        }
        master.dbname = current.dbname.clone();
        // Same server, same way to reach it, unless the master secret says otherwise.
        if master.tls == Tls::Unspecified {
            master.tls = current.tls;
        }
        if master.sslrootcert.is_none() {
            master.sslrootcert.clone_from(&current.sslrootcert);
        }
        Ok(master)
    }

    fn sql_failed(
        &self,
        name: &str,
        master: &DbSecret,
        what: &str,
        e: &tokio_postgres::Error,
    ) -> RotateError {
        RotateError::Target(format!(
            "{KIND}: secret {name}: {what} on {} failed: {}",
            master.describe(),
            describe_error(e)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_alternate_with_aws_suffix() {
        assert_eq!(alternate_role("app").unwrap(), "app_clone");
        assert_eq!(alternate_role("app_clone").unwrap(), "app");
        assert_eq!(alternate_role("_clone").unwrap(), "_clone_clone");
        assert!(alternate_role(&"a".repeat(58)).is_err());
        assert_eq!(alternate_role(&"a".repeat(57)).unwrap().len(), 63);
    }
}
