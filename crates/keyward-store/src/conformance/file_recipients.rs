//! Server recipients for encrypted files: created once under a unique name and
//! public key, never replaced, listed by name.

use super::{CheckFailure, CheckResult, audited};
use crate::Store;
use crate::model::FileRecipient;
use time::OffsetDateTime;

fn recipient(name: &str, public: &str) -> FileRecipient {
    FileRecipient {
        name: name.into(),
        recipient: public.into(),
        sealed_identity: format!("sealed-{name}").into_bytes(),
        created_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time"),
    }
}

pub async fn file_recipients_are_created_once<S: Store>(s: &S) -> CheckResult {
    ensure_eq!(s.get_file_recipient("team").await?, None);
    ensure_eq!(s.list_file_recipients().await?, vec![]);
    s.create_file_recipient(recipient("team", "age1team"), audited())
        .await?;
    s.create_file_recipient(recipient("ops", "age1ops"), audited())
        .await?;
    ensure_eq!(
        s.get_file_recipient("team").await?,
        Some(recipient("team", "age1team"))
    );
    let again = s
        .create_file_recipient(recipient("team", "age1other"), audited())
        .await;
    ensure_err!(again, AlreadyExists, "a recipient was replaced");
    let same_key = s
        .create_file_recipient(recipient("copy", "age1ops"), audited())
        .await;
    ensure_err!(same_key, AlreadyExists, "two names share one key");
    ensure_eq!(
        s.get_file_recipient("team").await?,
        Some(recipient("team", "age1team"))
    );
    let names: Vec<String> = s
        .list_file_recipients()
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    ensure_eq!(names, vec!["ops".to_string(), "team".to_string()]);
    Ok(())
}
