#![allow(dead_code)]

use keyward_config::{Config, LookupError, SecretString, StoreLookup};
use std::collections::BTreeMap;

pub const MINIMAL: &str = r#"app = "mysite"
environments = ["development", "production"]

[vars.SECRET_KEY]
description = "Django cryptographic signing key"
secret = true
source = "/mysite/{env}/secret_key"      # store path; {env} is the selected environment
required_in = ["production"]
dev_default = "dev-only-not-for-production"   # used only in development
rules = ["django-secret-key"]          # length >= 50, no insecure patterns, enough entropy
"#;

pub fn minimal() -> Config {
    Config::from_toml_str(MINIMAL, "keyward.toml").expect("minimal config is valid")
}

/// A store backed by a map; paths in `fail` return an error.
#[derive(Debug, Default)]
pub struct MapStore {
    pub values: BTreeMap<String, String>,
    pub fail: Vec<String>,
}

impl StoreLookup for MapStore {
    fn get(&self, path: &str) -> Result<Option<SecretString>, LookupError> {
        if self.fail.iter().any(|p| p == path) {
            return Err(LookupError::Unavailable("connection refused".into()));
        }
        Ok(self
            .values
            .get(path)
            .map(|v| SecretString::from(v.as_str())))
    }
}

pub const STRONG: &str = "q8#Zr2!vLx0@pT9^mW4&nB7*cK1(eJ6-hF3_sD5=gA+yU%iO)tE$";
pub const STRONG2: &str = "Zq2#8rv!0xL@9Tp^4Wm&7Bn*1Kc(6Je-3Fh_5Ds=Ag+Uy%Oi)Et$";
