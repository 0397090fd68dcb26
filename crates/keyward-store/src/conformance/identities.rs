//! Principals, their access keys, and the policies attached to them.

use super::fixtures::*;
use super::{CheckFailure, CheckResult};
use crate::model::*;
use crate::{Store, StoreError};
use time::OffsetDateTime;
use uuid::Uuid;

fn access_key(id: &str, principal_id: Uuid) -> AccessKey {
    AccessKey {
        access_key_id: id.into(),
        principal_id,
        sealed_secret: vec![9; 48],
        enabled: true,
        created_at: OffsetDateTime::now_utc(),
    }
}

pub async fn principals_and_keys<S: Store>(s: &S) -> CheckResult {
    let (alice, bob) = alice_and_bob(s).await?;
    let dup = s.create_principal(principal("alice"), audited()).await;
    ensure!(
        matches!(&dup, Err(StoreError::AlreadyExists { name, .. }) if name == "alice"),
        "duplicate principal: {dup:?}"
    );
    ensure_eq!(s.get_principal("alice").await?, Some(alice.clone()));
    ensure_eq!(s.get_principal_by_id(bob.id).await?, Some(bob.clone()));
    ensure_eq!(s.get_principal("carol").await?, None);
    ensure_eq!(s.list_principals().await?, vec![alice.clone(), bob.clone()]);

    s.create_access_key(access_key("AKIA1", alice.id), audited())
        .await?;
    s.create_access_key(access_key("AKIA2", alice.id), audited())
        .await?;
    s.create_access_key(access_key("AKIA3", bob.id), audited())
        .await?;
    let dup = s
        .create_access_key(access_key("AKIA1", bob.id), audited())
        .await;
    ensure_err!(dup, AlreadyExists, "duplicate key");
    let orphan = s
        .create_access_key(access_key("AKIA9", Uuid::new_v4()), audited())
        .await;
    ensure_err!(orphan, NotFound, "key for nobody");
    let k = some!(s.get_access_key("AKIA1").await?, "AKIA1");
    let created_at = k.created_at;
    ensure_eq!(
        k,
        AccessKey {
            created_at,
            ..access_key("AKIA1", alice.id)
        }
    );
    ensure_eq!(s.list_access_keys(alice.id).await?.len(), 2);
    s.delete_access_key("AKIA2", audited()).await?;
    ensure_eq!(s.get_access_key("AKIA2").await?, None);
    let again = s.delete_access_key("AKIA2", audited()).await;
    ensure_err!(again, NotFound, "deleting a key twice");

    // Deleting a principal takes its keys and attachments.
    s.put_policy("p", "{}", audited()).await?;
    s.attach_policy("alice", "p", audited()).await?;
    s.delete_principal("alice", audited()).await?;
    ensure_eq!(s.get_principal("alice").await?, None);
    ensure_eq!(s.get_access_key("AKIA1").await?, None);
    ensure!(
        s.list_access_keys(alice.id).await?.is_empty(),
        "keys survived their principal"
    );
    s.delete_policy("p", audited()).await?;
    ensure!(
        s.get_access_key("AKIA3").await?.is_some(),
        "bob's key went too"
    );
    let again = s.delete_principal("alice", audited()).await;
    ensure_err!(again, NotFound, "deleting a principal twice");
    Ok(())
}

pub async fn policies_and_attachments<S: Store>(s: &S) -> CheckResult {
    let (alice, _) = alice_and_bob(s).await?;
    let names =
        |policies: Vec<PolicyRecord>| policies.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let p1 = s.put_policy("read", r#"{"v":1}"#, audited()).await?;
    ensure_eq!(p1.document, r#"{"v":1}"#);
    let p1b = s.put_policy("read", r#"{"v":2}"#, audited()).await?;
    ensure_eq!(p1b.document, r#"{"v":2}"#);
    s.put_policy("admin", "{}", audited()).await?;
    ensure_eq!(s.get_policy("read").await?, Some(p1b.clone()));
    ensure_eq!(s.get_policy("nope").await?, None);
    ensure_eq!(names(s.list_policies().await?), ["admin", "read"]);

    s.attach_policy("alice", "read", audited()).await?;
    s.attach_policy("alice", "read", audited()).await?; // idempotent
    s.attach_policy("alice", "admin", audited()).await?;
    s.attach_policy("bob", "read", audited()).await?;
    ensure_eq!(
        names(s.principal_policies(alice.id).await?),
        ["admin", "read"]
    );
    let r = s.attach_policy("carol", "read", audited()).await;
    ensure_err!(r, NotFound, "attach to nobody");
    let r = s.attach_policy("alice", "nope", audited()).await;
    ensure_err!(r, NotFound, "attach a missing policy");

    let r = s.delete_policy("read", audited()).await;
    match r {
        Err(StoreError::Conflict(msg)) => {
            ensure!(
                msg.contains("alice") && msg.contains("bob"),
                "conflict does not name the principals: {msg}"
            )
        }
        other => {
            return Err(CheckFailure(format!(
                "delete of an attached policy: {other:?}"
            )));
        }
    }
    s.detach_policy("alice", "read", audited()).await?;
    let r = s.detach_policy("alice", "read", audited()).await;
    ensure_err!(r, NotFound, "detach twice");
    s.detach_policy("bob", "read", audited()).await?;
    s.delete_policy("read", audited()).await?;
    ensure_eq!(s.get_policy("read").await?, None);
    let r = s.delete_policy("read", audited()).await;
    ensure_err!(r, NotFound, "delete a missing policy");
    ensure_eq!(names(s.principal_policies(alice.id).await?), ["admin"]);
    Ok(())
}
