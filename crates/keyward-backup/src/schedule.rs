//! Scheduled snapshots: one backup written to each destination directory,
//! verified after writing, then old ones pruned by an hourly/daily/weekly
//! retention (the newest backup of each of the last N hours, days and weeks).

use crate::{BackupError, Opened, Result, Target, Unlock, read_header};
use keyward_crypto::AuditKey;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// How many snapshots to keep per period. The newest one is always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub hourly: u32,
    pub daily: u32,
    pub weekly: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            hourly: 24,
            daily: 7,
            weekly: 4,
        }
    }
}

/// Which period (hour, day, week) a time falls in.
type Bucket = fn(OffsetDateTime) -> i64;

/// Of backups made at `times`, the indexes to keep: for each period, the newest
/// backup of each of the most recent `n` periods that have one.
pub fn to_keep(times: &[OffsetDateTime], r: Retention) -> BTreeSet<usize> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|a, b| times[*b].cmp(&times[*a]));
    let mut keep = BTreeSet::new();
    if let Some(newest) = order.first() {
        keep.insert(*newest);
    }
    let periods: [(u32, Bucket); 3] = [
        (r.hourly, |t| t.unix_timestamp().div_euclid(3600)),
        (r.daily, |t| t.unix_timestamp().div_euclid(86_400)),
        // Weeks counted from a Monday (1970-01-05).
        (r.weekly, |t| {
            (t.unix_timestamp() - 345_600).div_euclid(604_800)
        }),
    ];
    for (n, bucket) in periods {
        let mut seen = HashSet::new();
        for &i in &order {
            if seen.len() >= n as usize {
                break;
            }
            if seen.insert(bucket(times[i])) {
                keep.insert(i);
            }
        }
    }
    keep
}

/// Where and how scheduled snapshots are written.
#[derive(Debug)]
pub struct Schedule {
    pub destinations: Vec<PathBuf>,
    pub target: Target,
    pub retention: Retention,
}

const SUFFIX: &str = ".kwbackup";

fn file_name(now: OffsetDateTime) -> String {
    format!(
        "keyward-{:04}{:02}{:02}T{:02}{:02}{:02}.{:09}Z{SUFFIX}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.nanosecond()
    )
}

/// What one destination got.
#[derive(Debug)]
pub struct Written {
    pub destination: PathBuf,
    pub result: Result<PathBuf>,
    pub pruned: usize,
}

/// Backs `db` up once and writes the backup to every destination: each copy is
/// written to a temporary name, synced, verified (decrypted and checked with
/// `audit_key` for a backup to the root key; read back and compared byte for
/// byte for one to age recipients, which the server cannot decrypt), and only
/// then renamed into place and the destination pruned. One failing destination
/// does not stop the others.
pub async fn snapshot(db: &Path, audit_key: &AuditKey, schedule: &Schedule) -> Vec<Written> {
    let made = tempfile::Builder::new()
        .prefix("keyward-snapshot")
        .tempfile()
        .map_err(BackupError::from)
        .and_then(|mut f| {
            crate::backup_live(db, audit_key, &schedule.target, f.as_file_mut(), &|_, _| {})?;
            f.as_file_mut().flush()?;
            Ok(f)
        });
    let name = file_name(OffsetDateTime::now_utc());
    let mut out = Vec::new();
    for dest in &schedule.destinations {
        let result = match &made {
            Ok(f) => write_one(f.path(), dest, &name, audit_key, &schedule.target).await,
            Err(e) => Err(BackupError::Io(e.to_string())),
        };
        let pruned = if result.is_ok() {
            prune(dest, schedule.retention).unwrap_or(0)
        } else {
            0
        };
        out.push(Written {
            destination: dest.clone(),
            result,
            pruned,
        });
    }
    out
}

async fn write_one(
    made: &Path,
    dest: &Path,
    name: &str,
    audit_key: &AuditKey,
    target: &Target,
) -> Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dest)
        .map_err(|e| BackupError::Io(format!("cannot create {}: {e}", dest.display())))?;
    let tmp = dest.join(format!(".{name}.tmp"));
    let fin = dest.join(name);
    let copy = || -> Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut to = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        std::io::copy(&mut std::fs::File::open(made)?, &mut to)?;
        to.sync_all()?;
        Ok(())
    };
    let verified = async {
        copy()?;
        match target {
            Target::RootKey => {
                let unlock = Unlock {
                    root_keys: vec![],
                    identities: vec![],
                    audit_key: Some(audit_key.clone()),
                };
                Opened::open(&tmp, &unlock, &|_, _| {})?.verify().await?;
            }
            Target::Recipients(_) => {
                if digest(&tmp)? != digest(made)? {
                    return Err(BackupError::Integrity(format!(
                        "{} reads back different from what was written",
                        tmp.display()
                    )));
                }
            }
        }
        std::fs::rename(&tmp, &fin)?;
        std::fs::File::open(dest)?.sync_all()?;
        Ok(fin.clone())
    }
    .await;
    if verified.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    verified
}

fn digest(p: &Path) -> Result<Vec<u8>> {
    let mut h = Sha256::new();
    std::io::copy(&mut std::fs::File::open(p)?, &mut h)?;
    Ok(h.finalize().to_vec())
}

/// Deletes the snapshots of `dest` the retention does not keep (only files this
/// schedule names and whose header reads as a keyward backup).
pub fn prune(dest: &Path, retention: Retention) -> Result<usize> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dest)?.flatten() {
        let p = e.path();
        let named = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("keyward-") && n.ends_with(SUFFIX));
        if !named {
            continue;
        }
        let Ok(h) = read_header(&p) else { continue };
        let Ok(t) = OffsetDateTime::parse(
            &h.created_at,
            &time::format_description::well_known::Rfc3339,
        ) else {
            continue;
        };
        found.push((p, t));
    }
    let times: Vec<OffsetDateTime> = found.iter().map(|(_, t)| *t).collect();
    let keep = to_keep(&times, retention);
    let mut removed = 0;
    for (i, (p, _)) in found.iter().enumerate() {
        if !keep.contains(&i) && std::fs::remove_file(p).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn keeps_the_newest_of_each_recent_hour_day_and_week() {
        // Every 20 minutes for 3 weeks, newest last.
        let start = datetime!(2026-01-05 00:00 UTC);
        let times: Vec<OffsetDateTime> = (0..(21 * 24 * 3))
            .map(|i| start + time::Duration::minutes(20 * i))
            .collect();
        let r = Retention {
            hourly: 5,
            daily: 3,
            weekly: 2,
        };
        let keep = to_keep(&times, r);
        let newest = times.len() - 1;
        assert!(keep.contains(&newest));
        // 5 hours + 3 days + 2 weeks, overlapping in the newest one of each.
        let kept: Vec<OffsetDateTime> = keep.iter().map(|&i| times[i]).collect();
        let hours: HashSet<i64> = kept.iter().map(|t| t.unix_timestamp() / 3600).collect();
        assert!(hours.len() >= 5);
        assert!(keep.len() <= 5 + 3 + 2, "{}", keep.len());
        assert!(keep.len() >= 5 + 2, "{}", keep.len());
        // Nothing is kept from before the oldest kept week.
        let oldest = kept.iter().min().expect("some");
        assert!(*oldest >= start + time::Duration::weeks(1));
        let none = to_keep(
            &times,
            Retention {
                hourly: 0,
                daily: 0,
                weekly: 0,
            },
        );
        assert_eq!(none.into_iter().collect::<Vec<_>>(), vec![newest]);
    }
}
