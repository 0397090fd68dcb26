//! Three-way merge of encrypted files, per key: the git merge driver decrypts the
//! base, ours and theirs, takes each side's changes, and leaves a conflict only
//! where both sides changed the same key differently.

use crate::error::{FilesError, Result};
use crate::file::{Opened, open};
use crate::format::Format;
use crate::value::{Decrypter, Recipients};
use keyward_crypto::SecretString;
use std::collections::{BTreeSet, HashMap};

/// The merged file, and the keys left in conflict (ours kept for those).
#[derive(Debug)]
pub struct Merged {
    pub text: String,
    pub conflicts: Vec<String>,
}

type Entries = HashMap<String, (SecretString, bool)>;

fn entries(o: &Opened) -> Entries {
    o.entries().map(|(p, v, s)| (p, (v.clone(), s))).collect()
}

fn same(a: Option<&(SecretString, bool)>, b: Option<&(SecretString, bool)>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            x.1 == y.1
                && x.0.expose().len() == y.0.expose().len()
                && keyward_crypto::constant_time_eq(
                    x.0.expose().as_bytes(),
                    y.0.expose().as_bytes(),
                )
        }
        _ => false,
    }
}

/// Merges `theirs` into `ours` against `base` (empty when the file is new on
/// both sides). Every side must verify and decrypt with `keys`.
pub fn merge(
    base: &str,
    ours: &str,
    theirs: &str,
    format: Format,
    keys: &dyn Decrypter,
) -> Result<Merged> {
    let side = |name: &str, text: &str| {
        open(text, format, keys).map_err(|e| FilesError::Unsupported(format!("{name} side: {e}")))
    };
    let mut a = side("our", ours)?;
    let b = side("their", theirs)?;
    let (o, o_recips) = if base.trim().is_empty() {
        (Entries::new(), Vec::new())
    } else {
        let o = side("base", base)?;
        (entries(&o), o.recipients().as_strs().to_vec())
    };
    let ae = entries(&a);
    let be = entries(&b);

    let mut order: Vec<String> = a.entries().map(|(p, _, _)| p).collect();
    order.extend(
        b.entries()
            .map(|(p, _, _)| p)
            .filter(|p| !ae.contains_key(p)),
    );
    let mut conflicts = Vec::new();
    for path in order {
        let (av, bv, ov) = (ae.get(&path), be.get(&path), o.get(&path));
        if same(av, bv) || same(bv, ov) {
            continue;
        }
        if !same(av, ov) {
            conflicts.push(path);
            continue;
        }
        // Only theirs changed: take it.
        let applied = match bv {
            Some((v, true)) => a.set(&path, v.expose()),
            Some((_, false)) => Err(FilesError::Unsupported("a clear scalar changed".into())),
            None => a.remove(&path),
        };
        if applied.is_err() {
            conflicts.push(path);
        }
    }

    // Recipients: keep additions from either side, honour removals from either.
    let ra: BTreeSet<&String> = a.recipients().as_strs().iter().collect();
    let rb: BTreeSet<&String> = b.recipients().as_strs().iter().collect();
    let ro: BTreeSet<&String> = o_recips.iter().collect();
    let wanted: Vec<String> = ra
        .union(&rb)
        .filter(|r| !ro.contains(*r) || (ra.contains(*r) && rb.contains(*r)))
        .map(|r| (*r).clone())
        .collect();
    if wanted != a.recipients().as_strs() {
        let r = Recipients::parse(&wanted)?;
        a.rekey(r)?;
    }
    Ok(Merged {
        text: a.render()?,
        conflicts,
    })
}
