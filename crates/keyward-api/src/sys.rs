//! `/v1/sys/*`: health, seal state, unseal, seal.

use keyward_crypto::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /v1/sys/health`: 200 when unsealed and serving, 503 when sealed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` or `sealed`.
    pub status: String,
    pub sealed: bool,
    /// keyward's version (when unsealed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `ok` or `unreachable`: whether the store answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// `ok`, `stopped` or `sealed`: whether the audit writer takes records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<String>,
}

/// Seal state (`seal-status`, and the answer to seal and unseal).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SealStatus {
    pub sealed: bool,
    /// For a root key split into unseal shares: how many shares unseal it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u8>,
    /// For a root key split into unseal shares: how many were issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<u8>,
    /// While sealed with shares: how many valid shares have arrived so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<u8>,
    /// The public id (8 hex) of the root key the shares belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// Body of `POST /v1/sys/unseal`: the root key (hex), the passphrase, or one
/// unseal share (`kws1-...`; the server unseals once enough have arrived).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unseal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub root_key: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub passphrase: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub share: Option<SecretString>,
    /// Forget the shares given so far (start over).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
}

/// Body of `POST /v1/sys/rotate-root-key`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRootKey {
    /// The new key (hex), saved by the caller first. Required unless the root
    /// key is split into unseal shares (then new shares are issued).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub new_root_key: Option<SecretString>,
}

/// Body of `POST /v1/sys/rekey-shares`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RekeyShares {
    pub key_shares: u8,
    pub key_threshold: u8,
}

/// Answer to a root-key rotation or a rekey.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RootKeyRotated {
    /// The public id (8 hex) of the new root key.
    pub key_id: String,
    /// For a split key: the new shares, shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub unseal_shares: Option<Vec<SecretString>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unseal_threshold: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub root_key: Option<SecretString>,
}

/// Body of `POST /v1/sys/break-glass`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlass {
    /// At least the threshold of unseal shares.
    #[schema(value_type = Vec<String>)]
    pub shares: Vec<SecretString>,
    /// The administrator principal to create (default `break-glass`).
    #[serde(default = "break_glass_name")]
    pub name: String,
}

fn break_glass_name() -> String {
    "break-glass".into()
}

/// Answer to break-glass: the new administrator's access key, shown once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BreakGlassKey {
    /// The principal's ARN.
    pub principal: String,
    pub access_key_id: String,
    #[schema(value_type = String)]
    pub secret_access_key: SecretString,
}

/// Answer to `POST /v1/sys/restore-secret` (the body is one secret exported from
/// a backup, as `keyward-backup` writes it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RestoredSecret {
    pub name: String,
    pub arn: String,
    /// How many versions were restored.
    pub versions: u64,
}

/// Body of `POST /v1/sys/backup`; the answer is the backup file itself, with
/// the manifest's counts (JSON) in the `x-keyward-backup-counts` header.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBackup {
    /// age X25519 recipients (`age1...`); none: encrypted to the root key.
    #[serde(default)]
    pub recipients: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn break_glass_names_its_principal_by_default() {
        let b: BreakGlass = serde_json::from_value(json!({"shares": ["kws1-a"]})).unwrap();
        assert_eq!(b.name, "break-glass");
        assert!(serde_json::from_value::<BreakGlass>(json!({"shares": [], "x": 1})).is_err());
    }

    #[test]
    fn a_rotation_answer_leaves_out_what_it_lacks_and_debug_hides_secrets() {
        let plain = RootKeyRotated {
            key_id: "0a1b2c3d".into(),
            unseal_shares: None,
            unseal_threshold: None,
            root_key: None,
        };
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            json!({"key_id": "0a1b2c3d"})
        );
        let split = RootKeyRotated {
            unseal_shares: Some(vec![SecretString::new("kws1-share-text".into())]),
            unseal_threshold: Some(2),
            ..plain
        };
        assert_eq!(
            serde_json::to_value(&split).unwrap(),
            json!({"key_id": "0a1b2c3d", "unseal_shares": ["kws1-share-text"], "unseal_threshold": 2})
        );
        assert!(!format!("{split:?}").contains("kws1-share-text"));
        let key = BreakGlassKey {
            principal: "arn:p".into(),
            access_key_id: "KWID".into(),
            secret_access_key: SecretString::new("key-material".into()),
        };
        assert!(!format!("{key:?}").contains("key-material"));
    }
}
