//! keygen, encrypt, decrypt, edit, set, textconv.

use super::io::{
    default_identity_path, find_recipients, load_identities, open_file, pick_format, read_text,
    write_atomic,
};
use super::*;
use anyhow::{Context, Result, bail};
use keyward_files::Format;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub fn run(cmd: FilesCmd) -> Result<i32> {
    match cmd {
        FilesCmd::Keygen(a) => keygen(a),
        FilesCmd::Encrypt(a) => encrypt(a),
        FilesCmd::Decrypt(a) => decrypt(a),
        FilesCmd::Edit(a) => edit(a),
        FilesCmd::Set(a) => set(a),
        FilesCmd::Rekey(a) => super::rekey::rekey(a),
        FilesCmd::MergeDriver(a) => super::git::merge_driver(a),
        FilesCmd::Textconv(a) => textconv(a),
    }
}

fn keygen(a: KeygenArgs) -> Result<i32> {
    let out = match a.out {
        Some(p) => p,
        None => {
            default_identity_path().context("cannot find a home directory; pass --out KEYFILE")?
        }
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    if out.exists() && !a.force {
        bail!(
            "{} already exists; keyward will not overwrite an identity (files encrypted to it would become unreadable). Use --force, or another --out",
            out.display()
        );
    }
    let (secret, recipient) = keyward_files::generate_identity();
    let created = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let text = format!(
        "# created: {created}\n# public key: {recipient}\n{}\n",
        secret.expose()
    );
    if a.force {
        let _ = std::fs::remove_file(&out);
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&out)
        .with_context(|| format!("cannot create {}", out.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", out.display()))?;
    if a.json {
        crate::output::print_json(
            &serde_json::json!({"recipient": recipient, "identity_file": out.display().to_string()}),
        );
    } else {
        println!("{recipient}");
        eprintln!(
            "keyward: identity written to {} (mode 0600). Share the recipient above; keep the file private.",
            out.display()
        );
    }
    Ok(0)
}

fn encrypt(a: EncryptArgs) -> Result<i32> {
    let Some(file) = a.file.as_deref() else {
        // --install-git alone.
        super::git::install(None)?;
        return Ok(0);
    };
    let format = pick_format(a.format.as_deref(), file)?;
    let recipients = find_recipients(&a.recipient, file)?;
    let text = read_text(file)?;
    let enc = keyward_files::encrypt(&text, format, &recipients)
        .with_context(|| format!("{}", file.display()))?;
    let target = a.out.as_deref().unwrap_or(file);
    write_atomic(target, &enc, 0o644)?;
    eprintln!(
        "keyward: encrypted {} ({} format) to {} recipient{} -> {}",
        file.display(),
        format.name(),
        recipients.as_strs().len(),
        if recipients.as_strs().len() == 1 {
            ""
        } else {
            "s"
        },
        target.display()
    );
    if a.install_git {
        super::git::install(Some(target))?;
    }
    Ok(0)
}

fn decrypt(a: DecryptArgs) -> Result<i32> {
    let format = pick_format(a.format.as_deref(), &a.file)?;
    let ids = load_identities(&a.ids)?;
    let input = zeroize::Zeroizing::new(read_text(&a.file)?);
    let single = input.trim();
    if keyward_files::is_encrypted_value(single) && !single.contains(char::is_whitespace) {
        // One value on its own (e.g. from `git show` or another tool): age's own
        // authentication covers it; there is no file MAC to check.
        let r = keyward_files::value::decode_value("the value", single).and_then(|bin| {
            use keyward_files::Decrypter;
            ids.decrypt_age(&bin)
        });
        return match r {
            Ok(Some(v)) => {
                let mut out = std::io::stdout().lock();
                out.write_all(v.expose())?;
                out.flush()?;
                Ok(0)
            }
            Ok(None) => bail!("none of the identities given can decrypt this value"),
            Err(e) => Err(anyhow::Error::from(e).context(format!("{}", a.file.display()))),
        };
    }
    let o = keyward_files::open(&input, format, &ids)
        .with_context(|| format!("{}", a.file.display()))?;
    let text = if a.json {
        let map: serde_json::Map<String, serde_json::Value> = o
            .entries()
            .map(|(k, v, _)| (k, serde_json::Value::String(v.expose().to_owned())))
            .collect();
        let mut s = serde_json::to_string_pretty(&map)?;
        s.push('\n');
        zeroize::Zeroizing::new(s)
    } else {
        zeroize::Zeroizing::new(o.plaintext()?)
    };
    match &a.out {
        Some(p) => {
            let _ = std::fs::remove_file(p);
            write_atomic(p, &text, 0o600)?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(0)
}

fn set(a: SetArgs) -> Result<i32> {
    let format = Format::from_path(&a.file);
    let ids = load_identities(&a.ids)?;
    let value = match a.value {
        Some(v) => zeroize::Zeroizing::new(v),
        None => {
            let mut v = read_text(Path::new("-"))?;
            if v.ends_with('\n') {
                v.pop();
                if v.ends_with('\r') {
                    v.pop();
                }
            }
            zeroize::Zeroizing::new(v)
        }
    };
    let mut o = open_file(&a.file, format, &ids)?;
    let existed = o.entries().any(|(k, _, _)| k == a.key);
    o.set(&a.key, &value)
        .with_context(|| format!("{}: cannot set `{}`", a.file.display(), a.key))?;
    write_atomic(&a.file, &o.render()?, 0o644)?;
    eprintln!(
        "keyward: {} `{}` in {}",
        if existed { "updated" } else { "added" },
        a.key,
        a.file.display()
    );
    Ok(0)
}

fn textconv(a: TextconvArgs) -> Result<i32> {
    let text = read_text(&a.file)?;
    let format = Format::from_path(&a.file);
    let view = load_identities(&a.ids)
        .and_then(|ids| Ok(keyward_files::open(&text, format, &ids)?.plaintext()?));
    let mut out = std::io::stdout().lock();
    match view {
        Ok(plain) => out.write_all(plain.as_bytes())?,
        Err(e) => {
            // git diff must still work for people without the key.
            eprintln!(
                "keyward textconv: showing {} encrypted: {e:#}",
                a.file.display()
            );
            out.write_all(text.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// A private directory for plaintext under edit: $XDG_RUNTIME_DIR (tmpfs, per
/// user) when set, else the temp dir; mode 0700.
fn private_dir() -> Result<std::path::PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let suffix = keyward_crypto::random_alphanumeric(16);
    let dir = base.join(format!("keyward-edit-{suffix}"));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create a private directory in {}", base.display()))?;
    Ok(dir)
}

/// Overwrites a file with zeros before removing it.
fn shred(path: &Path) {
    if let Ok(len) = std::fs::metadata(path).map(|m| m.len())
        && let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(path)
    {
        let zeros = vec![0u8; len as usize];
        let _ = f.write_all(&zeros).and_then(|()| f.sync_all());
    }
    let _ = std::fs::remove_file(path);
}

fn edit(a: EditArgs) -> Result<i32> {
    let format = Format::from_path(&a.file);
    let ids = load_identities(&a.ids)?;
    let o = open_file(&a.file, format, &ids)?;
    let plain = zeroize::Zeroizing::new(o.plaintext()?);
    let dir = private_dir()?;
    let name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "secrets".into());
    let tmp = dir.join(name);
    let result = (|| -> Result<i32> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(plain.as_bytes())?;
        drop(f);
        let editor = std::env::var("VISUAL")
            .ok()
            .filter(|e| !e.is_empty())
            .or_else(|| std::env::var("EDITOR").ok().filter(|e| !e.is_empty()))
            .unwrap_or_else(|| "vi".into());
        // Through sh so EDITOR may carry arguments ("code --wait").
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&tmp)
            .status()
            .with_context(|| format!("cannot start the editor `{editor}`"))?;
        if !status.success() {
            bail!(
                "the editor `{editor}` failed ({status}); {} was not changed",
                a.file.display()
            );
        }
        let edited = zeroize::Zeroizing::new(read_text(&tmp)?);
        if *edited == *plain {
            eprintln!("keyward: no changes; {} left as it was", a.file.display());
            return Ok(0);
        }
        let (enc, changed) = o.reseal_plaintext(&edited).with_context(|| {
            format!(
                "the edited text is not valid; {} was not changed",
                a.file.display()
            )
        })?;
        write_atomic(&a.file, &enc, 0o644)?;
        eprintln!(
            "keyward: {} updated ({changed} value{} re-encrypted)",
            a.file.display(),
            if changed == 1 { "" } else { "s" }
        );
        Ok(0)
    })();
    shred(&tmp);
    let _ = std::fs::remove_dir(&dir);
    result
}
