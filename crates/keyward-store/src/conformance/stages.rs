//! Staging labels: AWSCURRENT hands AWSPREVIOUS on as versions are added, custom
//! labels move alone, and `move_stage` is checked against the version it moves from.

use super::fixtures::*;
use super::{CheckFailure, CheckResult};
use crate::Store;
use std::collections::BTreeSet;
use uuid::Uuid;

pub async fn version_stage_chain<S: Store>(s: &S) -> CheckResult {
    let id = create(s, "chain", None).await?.id;
    let add = async |v: &str, n: u8, stages: &[&str]| {
        s.add_version(id, new_version(v, n, stages), audited())
            .await
    };
    add("v1", 1, &["AWSCURRENT"]).await?;
    ensure_eq!(stages_of(s, id, "v1").await?, strs(&["AWSCURRENT"]));
    add("v2", 2, &["AWSCURRENT"]).await?;
    ensure_eq!(stages_of(s, id, "v1").await?, strs(&["AWSPREVIOUS"]));
    ensure_eq!(stages_of(s, id, "v2").await?, strs(&["AWSCURRENT"]));
    add("v3", 3, &["AWSCURRENT"]).await?;
    ensure_eq!(stages_of(s, id, "v1").await?, Vec::<String>::new());
    ensure_eq!(stages_of(s, id, "v2").await?, strs(&["AWSPREVIOUS"]));
    ensure_eq!(stages_of(s, id, "v3").await?, strs(&["AWSCURRENT"]));
    ensure_eq!(holder(s, id, "AWSPREVIOUS").await?.as_deref(), Some("v2"));

    // AWSPENDING does not disturb AWSCURRENT.
    add("v4", 4, &["AWSPENDING"]).await?;
    ensure_eq!(holder(s, id, "AWSCURRENT").await?.as_deref(), Some("v3"));
    ensure_eq!(holder(s, id, "AWSPENDING").await?.as_deref(), Some("v4"));
    ensure_eq!(holder(s, id, "AWSPREVIOUS").await?.as_deref(), Some("v2"));

    // Custom labels move alone.
    add("v5", 5, &["blue", "green"]).await?;
    add("v6", 6, &["blue"]).await?;
    ensure_eq!(stages_of(s, id, "v5").await?, strs(&["green"]));
    ensure_eq!(stages_of(s, id, "v6").await?, strs(&["blue"]));
    ensure_eq!(holder(s, id, "AWSCURRENT").await?.as_deref(), Some("v3"));

    // Several stages at once, including AWSCURRENT.
    add("v7", 7, &["AWSCURRENT", "green", "AWSCURRENT"]).await?;
    ensure_eq!(
        stages_of(s, id, "v7").await?,
        strs(&["AWSCURRENT", "green"])
    );
    ensure_eq!(stages_of(s, id, "v3").await?, strs(&["AWSPREVIOUS"]));
    ensure_eq!(stages_of(s, id, "v2").await?, Vec::<String>::new());
    ensure_eq!(stages_of(s, id, "v5").await?, Vec::<String>::new());

    let all = s.list_versions(id).await?;
    ensure_eq!(
        all.iter().map(|v| v.seq).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<i64>>()
    );
    ensure_eq!(
        all.iter()
            .map(|v| v.version_id.as_str())
            .collect::<Vec<_>>(),
        ["v1", "v2", "v3", "v4", "v5", "v6", "v7"]
    );
    // Every stage is held by exactly one version.
    let mut seen = BTreeSet::new();
    for v in &all {
        for st in &v.stages {
            ensure!(seen.insert(st.clone()), "stage {st} is on two versions");
        }
    }
    Ok(())
}

pub async fn version_move_stage<S: Store>(s: &S) -> CheckResult {
    let id = create_current(s, "mv").await?.id;
    let mv = async |stage: &str, to: Option<&str>, from: Option<&str>| {
        s.move_stage(id, stage, to, from, audited()).await
    };
    s.add_version(id, new_version("v2", 2, &["AWSPENDING"]), audited())
        .await?;

    // Rotation finish: AWSCURRENT to v2 from v1 gives v1 AWSPREVIOUS.
    mv("AWSCURRENT", Some("v2"), Some("v1")).await?;
    ensure_eq!(stages_of(s, id, "v1").await?, strs(&["AWSPREVIOUS"]));
    ensure_eq!(
        stages_of(s, id, "v2").await?,
        strs(&["AWSCURRENT", "AWSPENDING"])
    );
    mv("AWSPENDING", None, Some("v2")).await?;
    ensure_eq!(stages_of(s, id, "v2").await?, strs(&["AWSCURRENT"]));
    ensure_eq!(holder(s, id, "AWSPENDING").await?, None);

    // Wrong from_version: Conflict, nothing moves.
    let wrong = mv("AWSCURRENT", Some("v1"), Some("v1")).await;
    ensure_err!(wrong, Conflict, "wrong from_version");
    let wrong = mv("AWSPENDING", None, Some("v1")).await;
    ensure_err!(wrong, Conflict, "from_version without the stage");
    ensure_eq!(holder(s, id, "AWSCURRENT").await?.as_deref(), Some("v2"));

    // Missing target version or secret: NotFound, nothing moves.
    let missing = mv("AWSCURRENT", Some("nope"), Some("v2")).await;
    ensure_err!(missing, NotFound, "missing to_version");
    ensure_eq!(holder(s, id, "AWSCURRENT").await?.as_deref(), Some("v2"));
    let missing = s
        .move_stage(Uuid::new_v4(), "AWSCURRENT", Some("v1"), None, audited())
        .await;
    ensure_err!(missing, NotFound, "missing secret");

    // Rolling back (AWSCURRENT to the previous version) swaps the two.
    mv("AWSCURRENT", Some("v1"), Some("v2")).await?;
    ensure_eq!(stages_of(s, id, "v1").await?, strs(&["AWSCURRENT"]));
    ensure_eq!(stages_of(s, id, "v2").await?, strs(&["AWSPREVIOUS"]));

    // Moving to the holder is a no-op; custom labels move without side effects.
    mv("AWSCURRENT", Some("v1"), None).await?;
    ensure_eq!(holder(s, id, "AWSPREVIOUS").await?.as_deref(), Some("v2"));
    mv("label", Some("v2"), None).await?;
    mv("label", Some("v1"), Some("v2")).await?;
    ensure_eq!(
        stages_of(s, id, "v1").await?,
        strs(&["AWSCURRENT", "label"])
    );
    ensure_eq!(stages_of(s, id, "v2").await?, strs(&["AWSPREVIOUS"]));
    Ok(())
}
