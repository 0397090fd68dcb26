//! Server recipients on the client side: `server:NAME` in a recipient list is
//! resolved to the server recipient's public key, and [`Keys`] opens values with
//! local identities first, then by asking the server (which decrypts under its
//! policies and audits it; the private key never leaves the server).

use anyhow::{Context, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyward_api::files::EncryptedValue;
use keyward_crypto::SecretBytes;
use keyward_files::{Decrypter, FilesError, Identities};
use std::collections::HashMap;
use std::sync::Mutex;

type FilesResult<T> = std::result::Result<T, FilesError>;

/// How a recipient list names a server recipient: `server:NAME`.
pub const SERVER_PREFIX: &str = "server:";

/// Replaces each `server:NAME` with that server recipient's `age1...` key.
pub fn resolve_recipients(list: &[String]) -> Result<Vec<String>> {
    let mut client = None;
    list.iter()
        .map(|r| match r.strip_prefix(SERVER_PREFIX) {
            None => Ok(r.clone()),
            Some(name) => {
                let c = match &client {
                    Some(c) => c,
                    None => client.insert(keyward_client::Client::from_env().with_context(|| {
                        format!("`{r}` names a server recipient, so keyward needs the server: set KEYWARD_ADDR and credentials (`keyward login`)")
                    })?),
                };
                let info = c
                    .file_recipient(name)
                    .with_context(|| format!("cannot look up the server recipient `{name}`"))?;
                Ok(info.recipient)
            }
        })
        .collect()
}

/// A server recipient that decrypts through the server, batching a file's values
/// into one request where the caller announces them ([`Decrypter::prepare`]).
pub struct ServerRecipient {
    client: keyward_client::Client,
    name: String,
    file: Option<String>,
    /// Answers already fetched, by ciphertext: `None` when not encrypted to the server.
    answers: Mutex<HashMap<Vec<u8>, Option<SecretBytes>>>,
}

impl std::fmt::Debug for ServerRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerRecipient")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ServerRecipient {
    pub fn connect(name: &str, file: Option<String>) -> Result<Self> {
        let client = keyward_client::Client::from_env().with_context(|| {
            format!("decrypting with the server recipient `{name}` needs the server: set KEYWARD_ADDR and credentials (`keyward login`)")
        })?;
        Ok(Self {
            client,
            name: name.to_owned(),
            file,
            answers: Mutex::default(),
        })
    }

    fn fetch(&self, files: &[&[u8]]) -> FilesResult<()> {
        let mut todo: Vec<&[u8]> = {
            let answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
            files
                .iter()
                .copied()
                .filter(|f| !answers.contains_key(*f))
                .collect()
        };
        todo.sort();
        todo.dedup();
        for chunk in todo.chunks(keyward_api::files::MAX_DECRYPT_VALUES) {
            let values = chunk
                .iter()
                .enumerate()
                .map(|(i, f)| EncryptedValue {
                    path: format!("#{i}"),
                    age_base64: STANDARD.encode(f),
                })
                .collect();
            let out = self
                .client
                .decrypt_file_values(&self.name, self.file.as_deref(), values)
                .map_err(|e| {
                    FilesError::Identity(format!("the server recipient `{}`: {e}", self.name))
                })?;
            let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
            for (f, d) in chunk.iter().zip(out) {
                let plain = match (d.value_base64, d.error.as_deref()) {
                    (Some(b64), _) => Some(SecretBytes::new(
                        STANDARD.decode(b64.expose()).map_err(|_| {
                            FilesError::Identity(format!(
                                "the server recipient `{}` sent a value that is not base64",
                                self.name
                            ))
                        })?,
                    )),
                    (None, Some("not_a_recipient")) => None,
                    (None, _) => {
                        return Err(FilesError::Encrypt(
                            "the ciphertext is corrupt (the server could not open it)".into(),
                        ));
                    }
                };
                answers.insert(f.to_vec(), plain);
            }
        }
        Ok(())
    }
}

impl Decrypter for ServerRecipient {
    fn decrypt_age(&self, age_file: &[u8]) -> FilesResult<Option<SecretBytes>> {
        self.fetch(&[age_file])?;
        let answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        Ok(answers.get(age_file).cloned().flatten())
    }

    fn prepare(&self, age_files: &[&[u8]]) -> FilesResult<()> {
        self.fetch(age_files)
    }
}

/// Local identities and/or a server recipient; local keys are tried first.
#[derive(Debug)]
pub struct Keys {
    pub local: Option<Identities>,
    pub server: Option<ServerRecipient>,
}

impl Decrypter for Keys {
    fn decrypt_age(&self, age_file: &[u8]) -> FilesResult<Option<SecretBytes>> {
        if let Some(l) = &self.local
            && let Some(v) = l.decrypt_age(age_file)?
        {
            return Ok(Some(v));
        }
        match &self.server {
            Some(s) => s.decrypt_age(age_file),
            None => Ok(None),
        }
    }

    fn prepare(&self, age_files: &[&[u8]]) -> FilesResult<()> {
        let Some(server) = &self.server else {
            return Ok(());
        };
        // Only what the local keys cannot open goes to the server.
        let rest: Vec<&[u8]> = match &self.local {
            None => age_files.to_vec(),
            Some(l) => age_files
                .iter()
                .copied()
                .filter(|f| !matches!(l.decrypt_age(f), Ok(Some(_))))
                .collect(),
        };
        if rest.is_empty() {
            Ok(())
        } else {
            server.prepare(&rest)
        }
    }
}

/// `keyward file-recipient create|get|ls`.
pub fn file_recipient(c: crate::cli::FileRecipientCmd) -> Result<i32> {
    use crate::cli::FileRecipientCmd as C;
    let client = keyward_client::Client::from_env()?;
    let (list, json) = match c {
        C::Create { name, json } => (vec![client.create_file_recipient(&name)?], json),
        C::Get { name, json } => (vec![client.file_recipient(&name)?], json),
        C::Ls { json } => {
            let all = client.list_file_recipients()?;
            if json {
                crate::output::print_json(&serde_json::to_value(&all)?);
                return Ok(0);
            }
            (all, false)
        }
    };
    if json {
        crate::output::print_json(&serde_json::to_value(&list[0])?);
        return Ok(0);
    }
    for r in &list {
        println!("{}\t{}\t{}", r.name, r.recipient, r.created_at);
    }
    if list.len() == 1 {
        eprintln!(
            "encrypt to it with `keyward encrypt FILE --recipient server:{}` (or a `server:{}` line in .keyward-recipients)",
            list[0].name, list[0].name
        );
    }
    Ok(0)
}
