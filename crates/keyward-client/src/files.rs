//! Server recipients for encrypted files: create, describe, and decrypt values
//! through the server (the private key never leaves it).

use crate::{Client, ClientError, Request, encode_name};
use keyward_api::files::{
    CreateFileRecipient, DecryptValues, DecryptedValue, DecryptedValues, EncryptedValue,
    FileRecipientInfo, FileRecipientList,
};

impl Client {
    /// Creates a server recipient and returns its public key.
    pub fn create_file_recipient(&self, name: &str) -> Result<FileRecipientInfo, ClientError> {
        let req = Request::post("/v1/files/recipients")
            .json(&CreateFileRecipient { name: name.into() })?;
        self.send(req, name, "create file recipient")
    }

    /// One server recipient's public key.
    pub fn file_recipient(&self, name: &str) -> Result<FileRecipientInfo, ClientError> {
        let path = format!("/v1/files/recipients/{}", encode_name(name));
        self.send(Request::get(&path), name, "describe file recipient")
    }

    /// Every server recipient.
    pub fn list_file_recipients(&self) -> Result<Vec<FileRecipientInfo>, ClientError> {
        let req = Request::get("/v1/files/recipients");
        let list: FileRecipientList = self.send(req, "file recipients", "list file recipients")?;
        Ok(list.recipients)
    }

    /// Asks the server to open `values` with recipient `name`'s identity; one outcome
    /// per value, in order. `file` names the file in the server's audit log.
    pub fn decrypt_file_values(
        &self,
        name: &str,
        file: Option<&str>,
        values: Vec<EncryptedValue>,
    ) -> Result<Vec<DecryptedValue>, ClientError> {
        let path = format!("/v1/files/recipients/{}/decrypt", encode_name(name));
        let req = Request::post(&path).json(&DecryptValues {
            file: file.map(str::to_owned),
            values,
        })?;
        let out: DecryptedValues = self.send(req, name, "decrypt")?;
        Ok(out.values)
    }
}
