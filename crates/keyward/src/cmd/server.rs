//! dev, init, serve, and offline audit verification.

use crate::cli::{DevArgs, InitArgs, ServeArgs};
use crate::datadir::{self, KEY_FILE, KeySource, db_path, find_root_key};
use anyhow::{Context, Result, bail};
use keyward_crypto::{RootKey, SecretString};
use keyward_server::identities::{NewKey, bootstrap_admin, validate_access_key_id};
use keyward_server::{AppState, ServerConfig};
use keyward_store::Store;
use keyward_store_sqlite::SqliteStore;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn open_store(dir: &Path) -> Result<Arc<dyn Store>> {
    let path = db_path(dir);
    if !path.exists() {
        bail!(
            "{} is not an initialised keyward data directory (no {}); run `keyward init --data-dir {}` first",
            dir.display(),
            datadir::DB_FILE,
            dir.display()
        );
    }
    let store = SqliteStore::open_existing(&path).map_err(|e| {
        let hint = match &e {
            keyward_store::StoreError::Uninitialised(_) => format!(
                "only `keyward init` creates a store: if {} held data, restore the database from a backup; if it is new, remove it and run `keyward init --data-dir {}`",
                dir.display(),
                dir.display()
            ),
            keyward_store::StoreError::Corrupt(_) => format!(
                "the database is damaged: stop every keyward using {}, restore keyward.db from a backup, and run `keyward audit verify --data-dir {}`",
                dir.display(),
                dir.display()
            ),
            _ => "check the file's permissions and free disk space".to_string(),
        };
        anyhow::anyhow!("cannot open {}: {e}\n  hint: {hint}", path.display())
    })?;
    Ok(Arc::new(store))
}

/// What `init` produced, for printing.
struct InitOutcome {
    access_key_id: String,
    secret_access_key: SecretString,
    key_source: String,
    /// The unseal shares, when the root key was split (shown once).
    unseal_shares: Vec<SecretString>,
}

async fn initialise(a: &InitArgs) -> Result<InitOutcome> {
    let dir = &a.data_dir;
    if db_path(dir).exists() {
        bail!(
            "{} is already initialised; remove it first if you really want a new one",
            dir.display()
        );
    }
    datadir::ensure_dir(dir)?;
    let given = match (&a.admin_access_key_id, &a.admin_secret_access_key) {
        (Some(id), Some(secret)) => {
            validate_access_key_id(id)
                .map_err(|e| anyhow::anyhow!("--admin-access-key-id: {e}"))?;
            if secret.len() < 8 {
                bail!("--admin-secret-access-key must be at least 8 characters");
            }
            Some(NewKey {
                access_key_id: id.clone(),
                secret_access_key: SecretString::new(secret.clone()),
            })
        }
        _ => None,
    };
    let mut salt_hex = None;
    let mut split = None;
    let (root, key_source) = if let (Some(n), Some(k)) = (a.key_shares, a.key_threshold) {
        // A fresh key that never touches the disk: only its shares leave this process.
        let root = RootKey::generate();
        let (shares, set) = keyward_crypto::shamir::split_root_key(&root, k, n)
            .map_err(|e| anyhow::anyhow!("--key-shares {n} --key-threshold {k}: {e}"))?;
        split = Some((shares, set));
        (root, format!("{n} unseal shares, {k} needed"))
    } else if a.passphrase {
        let pass = std::env::var("KEYWARD_PASSPHRASE").ok().filter(|p| p.len() >= 12).context(
            "--passphrase needs KEYWARD_PASSPHRASE set to a passphrase of at least 12 characters",
        )?;
        let salt = keyward_crypto::random_bytes(16);
        salt_hex = Some(hex::encode(&salt));
        (
            keyward_crypto::derive_root_key_from_passphrase(pass.as_bytes(), &salt)?,
            "passphrase (Argon2id)".to_string(),
        )
    } else {
        match find_root_key(dir, None, None)? {
            Some((k, src)) => (k, src.to_string()),
            None => {
                let k = RootKey::generate();
                let path = dir.join(KEY_FILE);
                datadir::write_private(&path, format!("{}\n", k.to_hex()).as_bytes())?;
                (k, KeySource::File(path).to_string())
            }
        }
    };
    let store = SqliteStore::open(&db_path(dir))?;
    store
        .set_setting("root_key_check", &root.check_value())
        .await?;
    store.set_setting("account_id", &a.account_id).await?;
    store.set_setting("region", &a.region).await?;
    if let Some(s) = &salt_hex {
        store.set_setting("passphrase_salt", s).await?;
    }
    let mut unseal_shares = Vec::new();
    if let Some((shares, set)) = &split {
        keyward_server::unseal_shares::store_set(&store, set)
            .await
            .map_err(|e| anyhow::anyhow!("cannot record the unseal shares: {e}"))?;
        unseal_shares = shares
            .iter()
            .map(|s| SecretString::new(s.to_text().to_string()))
            .collect();
    }
    let keyring = keyward_server::keyring::load_or_create(&store, &root).await?;
    let key = bootstrap_admin(&store, &keyring, &a.account_id, &a.admin_name, given).await?;
    Ok(InitOutcome {
        access_key_id: key.access_key_id,
        secret_access_key: key.secret_access_key,
        key_source,
        unseal_shares,
    })
}

pub fn init(a: InitArgs) -> Result<i32> {
    if a.account_id.len() != 12 || !a.account_id.bytes().all(|b| b.is_ascii_digit()) {
        bail!("--account-id must be 12 digits, like an AWS account id");
    }
    let out = runtime()?.block_on(initialise(&a))?;
    if a.json {
        let mut v = json!({
            "data_dir": a.data_dir,
            "access_key_id": out.access_key_id,
            "secret_access_key": out.secret_access_key,
            "account_id": a.account_id,
            "region": a.region,
            "root_key": out.key_source,
        });
        if a.key_shares.is_some() {
            v["unseal_shares"] = json!(
                out.unseal_shares
                    .iter()
                    .map(SecretString::expose)
                    .collect::<Vec<_>>()
            );
            v["unseal_threshold"] = json!(a.key_threshold);
        }
        crate::output::print_json(&v);
    } else {
        println!(
            "initialised {} (root key: {})",
            a.data_dir.display(),
            out.key_source
        );
        println!("admin access key id:     {}", out.access_key_id);
        println!(
            "admin secret access key: {}",
            out.secret_access_key.expose()
        );
        println!("these credentials are shown only now; store them in a password manager");
        if let Some(k) = a.key_threshold {
            println!();
            println!(
                "unseal shares ({k} of {} unseal the server; give each to a different key holder):",
                out.unseal_shares.len()
            );
            for s in &out.unseal_shares {
                println!("  {}", s.expose());
            }
            println!(
                "the shares are shown only now; the server starts sealed: unseal it with `keyward operator unseal SHARE`, once per key holder"
            );
        }
    }
    Ok(0)
}

async fn start(
    dir: &Path,
    listen: std::net::SocketAddr,
    key_file: Option<&Path>,
    mut cfg: ServerConfig,
) -> Result<(Arc<AppState>, tokio::net::TcpListener)> {
    let store = open_store(dir)?;
    cfg.db_path = Some(db_path(dir));
    if let Some(acct) = store.get_setting("account_id").await? {
        cfg.account_id = acct;
    }
    if let Some(region) = store.get_setting("region").await? {
        cfg.default_region = region;
    }
    let salt = store.get_setting("passphrase_salt").await?;
    let state = AppState::new(store, cfg);
    match find_root_key(dir, key_file, salt.as_deref())? {
        Some((root, source)) => {
            state
                .unseal(&root)
                .await
                .map_err(|e| anyhow::anyhow!("refusing to start: {e} (key from {source})"))?;
        }
        None => tracing::warn!(
            "no root key found (KEYWARD_ROOT_KEY, KEYWARD_ROOT_KEY_FILE, KEYWARD_PASSPHRASE or {}/{KEY_FILE}); starting SEALED: unseal with POST /v1/sys/unseal",
            dir.display()
        ),
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    Ok((state, listener))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Plain HTTP beyond loopback puts secrets and credentials on the network in
/// clear text: refused unless asked for by name, and then said loudly.
fn check_transport(listen: std::net::SocketAddr, tls: bool, insecure_no_tls: bool) -> Result<()> {
    if tls || listen.ip().is_loopback() {
        return Ok(());
    }
    if !insecure_no_tls {
        bail!(
            "refusing to serve plain HTTP on {listen}, which is not a loopback address: secrets and credentials would cross the network unencrypted\n  hint: pass --tls-cert FILE --tls-key FILE (or [tls] cert/key in the server config file); if a TLS-terminating proxy on a trusted network sits in front, pass --insecure-no-tls"
        );
    }
    let banner = "*".repeat(78);
    eprintln!(
        "{banner}\n* WARNING: --insecure-no-tls: serving PLAIN HTTP on {listen}.\n* Secret values, bearer tokens and signed requests cross the network UNENCRYPTED.\n* Only do this behind a TLS-terminating proxy on a trusted network.\n{banner}"
    );
    tracing::warn!(%listen, "serving plain HTTP beyond loopback (--insecure-no-tls)");
    Ok(())
}

pub fn serve(a: ServeArgs) -> Result<i32> {
    let r = crate::serve_config::resolve(
        a.config.as_deref(),
        a.data_dir,
        a.listen,
        a.root_key_file,
        a.tuning,
    )?;
    let tls_files = r.tuning.tls.files()?;
    check_transport(
        r.listen,
        tls_files.is_some(),
        r.tuning.tls.insecure_no_tls.unwrap_or(false),
    )?;
    let tls = tls_files
        .map(keyward_server::tls::ReloadingCert::open)
        .transpose()
        .map_err(|e| {
            anyhow::anyhow!(
                "{e}\n  hint: --tls-cert wants a PEM certificate chain (leaf first) and --tls-key its PEM private key"
            )
        })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut cfg = r.tuning.server_config();
    if let Some((every, schedule)) = r.backup.schedule()? {
        cfg.snapshots = Some((every, std::sync::Arc::new(schedule)));
    }
    let host = match r.listen.ip() {
        ip if ip.is_unspecified() => std::net::IpAddr::from([127, 0, 0, 1]),
        ip => ip,
    };
    let endpoint = format!(
        "{scheme}://{}",
        std::net::SocketAddr::new(host, r.listen.port())
    );
    r.rotation.apply(&mut cfg, endpoint)?;
    let metrics_listen = r.tuning.metrics.listen;
    runtime()?.block_on(async {
        // Built inside the runtime: sinks hold HTTP and SMTP clients.
        if let Some(alert) = &r.alert {
            let notifier = keyward_notify::Notifier::new(alert).map_err(|e| {
                anyhow::anyhow!(
                    "server config file: {e}\n  hint: docs/server-config.md lists every [[alert.sink]] type and its fields"
                )
            })?;
            cfg.alerts = Some(Arc::new(notifier));
        }
        let (state, listener) =
            start(&r.data_dir, r.listen, r.root_key_file.as_deref(), cfg).await?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, sealed = state.is_sealed(), tls = tls.is_some(), "keyward listening");
        eprintln!("keyward listening on {scheme}://{addr}");
        if let Some(m) = metrics_listen {
            let ml = tokio::net::TcpListener::bind(m)
                .await
                .with_context(|| format!("cannot listen on {m} for metrics (--metrics-listen)"))?;
            eprintln!("keyward metrics on http://{}/metrics", ml.local_addr()?);
            tokio::spawn(keyward_server::metrics::serve(state.clone(), ml, shutdown_signal()));
        }
        keyward_server::serve(state, listener, tls, shutdown_signal()).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(0)
}

const DEV_CREDS: &str = "dev-credentials.json";

pub fn dev(a: DevArgs) -> Result<i32> {
    // Bind before creating the data directory or printing exports: on a busy port
    // nothing is created and nothing pasteable is printed.
    let probe = std::net::TcpListener::bind(a.listen).with_context(|| {
        format!(
            "cannot listen on {}: is another `keyward dev` running there? Stop it or pick another address with --listen",
            a.listen
        )
    })?;
    let creds_path = a.data_dir.join(DEV_CREDS);
    if !db_path(&a.data_dir).exists() {
        let init_args = InitArgs {
            data_dir: a.data_dir.clone(),
            json: false,
            admin_access_key_id: None,
            admin_secret_access_key: None,
            admin_name: "admin".into(),
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            passphrase: false,
            key_shares: None,
            key_threshold: None,
        };
        let out = runtime()?.block_on(initialise(&init_args))?;
        // Dev only: keep the admin credentials beside the data (0600) so a restart
        // can print the exports again.
        let creds =
            json!({"access_key_id": out.access_key_id, "secret_access_key": out.secret_access_key});
        datadir::write_private(
            &creds_path,
            serde_json::to_string_pretty(&creds)?.as_bytes(),
        )?;
        eprintln!(
            "created {} (development data; add it to .gitignore)",
            a.data_dir.display()
        );
    }
    let creds: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&creds_path)
            .with_context(|| format!("cannot read {}", creds_path.display()))?,
    )?;
    let id = creds["access_key_id"].as_str().unwrap_or_default();
    let secret = creds["secret_access_key"].as_str().unwrap_or_default();
    let mut tuning = a.tuning;
    let dev_ca = if a.tls {
        let dc = crate::devcert::ensure(&a.data_dir, a.listen.ip())?;
        tuning.tls.cert = Some(dc.files.cert);
        tuning.tls.key = Some(dc.files.key);
        Some(std::fs::canonicalize(&dc.ca).unwrap_or(dc.ca))
    } else {
        None
    };
    let scheme = if dev_ca.is_some() { "https" } else { "http" };
    let addr = format!("{scheme}://{}", a.listen);
    println!("# keyward dev server: paste these into your shell");
    println!("export KEYWARD_ADDR={addr}");
    println!("export KEYWARD_ACCESS_KEY_ID={id}");
    println!("export KEYWARD_SECRET_ACCESS_KEY='{secret}'");
    println!("export AWS_ENDPOINT_URL={addr}");
    println!("export AWS_ACCESS_KEY_ID={id}");
    println!("export AWS_SECRET_ACCESS_KEY='{secret}'");
    println!("export AWS_REGION=us-east-1");
    println!("export AWS_DEFAULT_REGION=us-east-1");
    if let Some(ca) = &dev_ca {
        let ca = shell_word(&ca.display().to_string());
        println!("export KEYWARD_CACERT={ca}");
        println!("export AWS_CA_BUNDLE={ca}");
    }
    // Shells and test harnesses read these through a pipe: hand them over now,
    // not when the server exits.
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    // `serve` binds again at once (SO_REUSEADDR); a listener with no connection
    // leaves nothing behind.
    drop(probe);
    serve(ServeArgs {
        config: None,
        data_dir: Some(a.data_dir),
        listen: Some(a.listen),
        root_key_file: None,
        tuning,
    })
}

/// `s` as one shell word: as is when plain, else single-quoted.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:,@".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Verifies the audit chain straight from the database, without a server.
pub fn verify_offline(
    dir: &Path,
    key_file: Option<&Path>,
) -> Result<keyward_client::api::identities::AuditVerification> {
    runtime()?.block_on(async {
        let store = open_store(dir)?;
        let salt = store.get_setting("passphrase_salt").await?;
        let (root, source) = find_root_key(dir, key_file, salt.as_deref())?
            .context("no root key: set KEYWARD_ROOT_KEY / KEYWARD_ROOT_KEY_FILE / KEYWARD_PASSPHRASE or pass --root-key-file")?;
        if let Some(check) = store.get_setting("root_key_check").await?
            && !root.matches_check(&check) {
                bail!("the root key from {source} does not belong to {}", dir.display());
            }
        let keyring = keyward_server::keyring::load(store.as_ref(), &root).await?;
        let report = keyward_store::audit::verify_stored(store.as_ref(), keyring.audit_key()).await?;
        Ok(keyward_client::api::identities::AuditVerification {
            records: report.records,
            ok: report.ok,
            problems: report.problems,
        })
    })
}
