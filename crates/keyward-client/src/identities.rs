//! Principals, access keys, policies and the audit log.

use crate::{Client, ClientError, Request, encode_name};
use keyward_api::Tag;
use keyward_api::identities::{
    Attachment, AuditQuery, AuditRecords, AuditVerification, CreatedKey, CreatedPrincipal,
    DeletedName, NewPrincipal, PolicyInfo, PolicyList, PolicySummary, PrincipalInfo, PrincipalList,
};

impl Client {
    /// Creates a principal with its first access key (the secret is shown once).
    pub fn create_principal(
        &self,
        name: &str,
        tags: Vec<Tag>,
    ) -> Result<CreatedPrincipal, ClientError> {
        let body = NewPrincipal {
            name: name.to_owned(),
            tags,
        };
        let req = Request::post("/v1/principals").json(&body)?;
        self.send(req, name, "create principal")
    }

    pub fn list_principals(&self) -> Result<PrincipalList, ClientError> {
        self.send(
            Request::get("/v1/principals"),
            "principals",
            "list principals",
        )
    }

    pub fn principal(&self, name: &str) -> Result<PrincipalInfo, ClientError> {
        let path = format!("/v1/principals/{}", encode_name(name));
        self.send(Request::get(&path), name, "describe principal")
    }

    pub fn delete_principal(&self, name: &str) -> Result<DeletedName, ClientError> {
        let path = format!("/v1/principals/{}", encode_name(name));
        self.send(Request::delete(&path), name, "delete principal")
    }

    pub fn attach_policy(&self, principal: &str, policy: &str) -> Result<Attachment, ClientError> {
        let path = attachment_path(principal, policy);
        self.send(Request::put(&path), policy, "attach policy")
    }

    pub fn detach_policy(&self, principal: &str, policy: &str) -> Result<Attachment, ClientError> {
        let path = attachment_path(principal, policy);
        self.send(Request::delete(&path), policy, "detach policy")
    }

    /// A new access key for `principal` (the secret is shown once).
    pub fn create_access_key(&self, principal: &str) -> Result<CreatedKey, ClientError> {
        let path = format!("/v1/principals/{}/keys", encode_name(principal));
        self.send(Request::post(&path), principal, "create access key")
    }

    pub fn delete_access_key(&self, access_key_id: &str) -> Result<DeletedName, ClientError> {
        let path = format!("/v1/keys/{}", encode_name(access_key_id));
        self.send(Request::delete(&path), access_key_id, "delete access key")
    }

    /// Creates or replaces a policy; `document` is the IAM JSON document.
    pub fn put_policy(
        &self,
        name: &str,
        document: &serde_json::Value,
    ) -> Result<PolicySummary, ClientError> {
        let path = format!("/v1/policies/{}", encode_name(name));
        self.send(Request::put(&path).json(document)?, name, "put policy")
    }

    pub fn policy(&self, name: &str) -> Result<PolicyInfo, ClientError> {
        let path = format!("/v1/policies/{}", encode_name(name));
        self.send(Request::get(&path), name, "get policy")
    }

    pub fn list_policies(&self) -> Result<PolicyList, ClientError> {
        self.send(Request::get("/v1/policies"), "policies", "list policies")
    }

    pub fn delete_policy(&self, name: &str) -> Result<DeletedName, ClientError> {
        let path = format!("/v1/policies/{}", encode_name(name));
        self.send(Request::delete(&path), name, "delete policy")
    }

    /// Audit records matching `q` (newest first unless `after_seq` is given).
    pub fn audit(&self, q: &AuditQuery) -> Result<AuditRecords, ClientError> {
        let req = Request::get("/v1/audit")
            .query_opt("limit", q.limit)
            .query_opt("secret", q.secret.as_deref())
            .query_opt("principal", q.principal.as_deref())
            .query_opt("outcome", q.outcome.as_deref())
            .query_opt("since", q.since.as_deref())
            .query_opt("after_seq", q.after_seq);
        self.send(req, "audit", "list audit records")
    }

    /// Verifies the server's audit chain.
    pub fn verify_audit(&self) -> Result<AuditVerification, ClientError> {
        self.send(Request::get("/v1/audit/verify"), "audit", "verify audit")
    }
}

fn attachment_path(principal: &str, policy: &str) -> String {
    format!(
        "/v1/principals/{}/policies/{}",
        encode_name(principal),
        encode_name(policy)
    )
}
