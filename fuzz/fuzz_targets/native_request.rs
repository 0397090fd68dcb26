//! Feeds arbitrary bytes as the JSON body of native-API requests into the router,
//! in process, against an unsealed server on an in-memory store, as the admin.
//! No input may panic the server or make it answer anything but 2xx or 4xx: a 5xx
//! here is a bug (bad input must never look like a server fault).
#![no_main]

use keyward_crypto::{RootKey, SecretString};
use keyward_server::identities::{NewKey, bootstrap_admin};
use keyward_server::{AppState, ServerConfig};
use keyward_store::Store;
use keyward_store_sqlite::SqliteStore;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

const KEY_ID: &str = "KWFUZZADMIN0000001";
const SECRET: &str = "fuzz-admin-secret-0000000000";

/// Routes that take a JSON body; the first input byte picks one.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/secrets"),
    ("PUT", "/v1/secrets/fuzz/existing"),
    ("PUT", "/v1/secrets/fuzz/new"),
    ("PUT", "/v1/policies/fuzz-policy"),
    ("POST", "/v1/principals"),
    ("POST", "/v1/sys/unseal"),
    ("PUT", "/v1/principals/admin/policies/AdministratorAccess"),
    ("GET", "/v1/secrets/fuzz/existing"),
];

struct Fixture {
    rt: tokio::runtime::Runtime,
    app: axum::Router,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let app = rt.block_on(async {
            let store = SqliteStore::open_in_memory().expect("in-memory store");
            let root = RootKey::generate();
            store
                .set_setting("root_key_check", &root.check_value())
                .await
                .expect("setting");
            let keyring = keyward_server::keyring::load_or_create(&store, &root)
                .await
                .expect("keyring");
            bootstrap_admin(
                &store,
                &keyring,
                "000000000000",
                "admin",
                Some(NewKey {
                    access_key_id: KEY_ID.into(),
                    secret_access_key: SecretString::new(SECRET.into()),
                }),
            )
            .await
            .expect("bootstrap admin");
            let store: Arc<dyn Store> = Arc::new(store);
            let state = AppState::new(store, ServerConfig::default());
            state.unseal(&root).await.expect("unseal");
            let app = keyward_server::router(state);
            // Something to overwrite and read.
            let resp = app
                .clone()
                .oneshot(request(
                    "PUT",
                    "/v1/secrets/fuzz/existing",
                    br#"{"value":"v"}"#.to_vec(),
                ))
                .await
                .expect("infallible");
            assert!(resp.status().is_success(), "setup put: {}", resp.status());
            app
        });
        Fixture { rt, app }
    })
}

fn request(method: &str, path: &str, body: Vec<u8>) -> http::Request<axum::body::Body> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let token = keyward_crypto::bearer::make_token(KEY_ID, SECRET, now);
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body))
        .expect("request")
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (method, path) = ROUTES[pick as usize % ROUTES.len()];
    let f = fixture();
    let status = f.rt.block_on(async {
        f.app
            .clone()
            .oneshot(request(method, path, body.to_vec()))
            .await
            .expect("infallible")
            .status()
    });
    assert!(
        status.is_success() || status.is_client_error(),
        "{method} {path} answered {status} for body {:?}",
        String::from_utf8_lossy(body)
    );
});
