//! MFA devices: one per principal, replaced by a new enrolment, gone with the
//! principal, and a used-step guard that accepts each step once and never an older one.

use super::fixtures::{alice_and_bob, audited};
use super::{CheckFailure, CheckResult};
use crate::Store;
use crate::model::MfaDevice;
use time::OffsetDateTime;

fn device(principal_id: uuid::Uuid, sealed: &[u8]) -> MfaDevice {
    MfaDevice {
        principal_id,
        sealed_secret: sealed.to_vec(),
        last_used_step: None,
        created_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time"),
    }
}

pub async fn mfa_devices_and_used_steps<S: Store>(s: &S) -> CheckResult {
    let (alice, bob) = alice_and_bob(s).await?;
    ensure_eq!(s.get_mfa_device(alice.id).await?, None);
    ensure!(
        !s.use_mfa_step(alice.id, 5).await?,
        "a step was accepted for a principal without a device"
    );
    let orphan = s
        .put_mfa_device(device(uuid::Uuid::new_v4(), b"x"), audited())
        .await;
    ensure_err!(orphan, NotFound, "a device for a missing principal");

    s.put_mfa_device(device(alice.id, b"sealed-a"), audited())
        .await?;
    s.put_mfa_device(device(bob.id, b"sealed-b"), audited())
        .await?;
    ensure_eq!(
        s.get_mfa_device(alice.id).await?,
        Some(device(alice.id, b"sealed-a"))
    );
    ensure!(
        s.use_mfa_step(alice.id, 100).await?,
        "a fresh step was refused"
    );
    ensure!(
        !s.use_mfa_step(alice.id, 100).await?,
        "a step was accepted twice"
    );
    ensure!(
        !s.use_mfa_step(alice.id, 99).await?,
        "an older step was accepted"
    );
    ensure!(
        s.use_mfa_step(bob.id, 100).await?,
        "steps leaked between principals"
    );
    ensure!(
        s.use_mfa_step(alice.id, 101).await?,
        "a newer step was refused"
    );
    ensure_eq!(
        s.get_mfa_device(alice.id)
            .await?
            .and_then(|d| d.last_used_step),
        Some(101)
    );

    // A new enrolment replaces the secret and resets the guard with it.
    s.put_mfa_device(device(alice.id, b"sealed-a2"), audited())
        .await?;
    let again = s.get_mfa_device(alice.id).await?;
    ensure_eq!(again, Some(device(alice.id, b"sealed-a2")));

    s.delete_principal("alice", audited()).await?;
    ensure_eq!(s.get_mfa_device(alice.id).await?, None);
    Ok(())
}
