//! Server recipients for encrypted files: create, describe, and decrypt values
//! through the server (the private key never leaves it).

use crate::{Client, ClientError, encode_name};
use keyward_api::files::{
    CreateFileRecipient, DecryptValues, DecryptedValue, DecryptedValues, EncryptedValue,
    FileRecipientInfo, FileRecipientList,
};

fn decode<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
    what: &str,
) -> Result<T, ClientError> {
    serde_json::from_value(v).map_err(|e| ClientError::Api {
        status: 200,
        code: "bad_response".into(),
        message: format!("the server's answer to {what} is not what this client expects ({e}); are client and server the same version?"),
    })
}

impl Client {
    /// Creates a server recipient and returns its public key.
    pub fn create_file_recipient(&self, name: &str) -> Result<FileRecipientInfo, ClientError> {
        let body = serde_json::to_value(CreateFileRecipient { name: name.into() })
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let v = self.call(
            reqwest::Method::POST,
            "/v1/files/recipients",
            &[],
            Some(&body),
            name,
        )?;
        decode(v, "create file recipient")
    }

    /// One server recipient's public key.
    pub fn file_recipient(&self, name: &str) -> Result<FileRecipientInfo, ClientError> {
        let path = format!("/v1/files/recipients/{}", encode_name(name));
        let v = self.call(reqwest::Method::GET, &path, &[], None, name)?;
        decode(v, "describe file recipient")
    }

    /// Every server recipient.
    pub fn list_file_recipients(&self) -> Result<Vec<FileRecipientInfo>, ClientError> {
        let v = self.call(
            reqwest::Method::GET,
            "/v1/files/recipients",
            &[],
            None,
            "file recipients",
        )?;
        Ok(decode::<FileRecipientList>(v, "list file recipients")?.recipients)
    }

    /// Asks the server to open `values` with recipient `name`'s identity; one outcome
    /// per value, in order. `file` names the file in the server's audit log.
    pub fn decrypt_file_values(
        &self,
        name: &str,
        file: Option<&str>,
        values: Vec<EncryptedValue>,
    ) -> Result<Vec<DecryptedValue>, ClientError> {
        let body = serde_json::to_value(DecryptValues {
            file: file.map(str::to_owned),
            values,
        })
        .map_err(|e| ClientError::Transport(e.to_string()))?;
        let path = format!("/v1/files/recipients/{}/decrypt", encode_name(name));
        let v = self.call(reqwest::Method::POST, &path, &[], Some(&body), name)?;
        Ok(decode::<DecryptedValues>(v, "decrypt")?.values)
    }
}
