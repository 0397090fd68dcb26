//! The read cache must be invisible: the whole conformance suite passes through it,
//! a write is read back at once, a racing read never resurrects an older version,
//! and another server's write shows up once the TTL has run out.

use keyward_store::conformance::{self, REGION, audited, new_secret, new_version};
use keyward_store::{Namespace, ReadCachedStore, Store, VersionSelector};
use keyward_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn current() -> VersionSelector {
    VersionSelector::Stage("AWSCURRENT".into())
}

async fn current_seq(store: &dyn Store, name: &str) -> i64 {
    let (_, version) = store
        .get_secret_and_version(Namespace::Secrets, REGION, name, &current())
        .await
        .expect("read")
        .expect("secret exists");
    version.expect("has a current version").seq
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite_passes_through_the_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = AtomicUsize::new(0);
    let result = conformance::run_all(|| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        let inner = SqliteStore::open(&dir.path().join(format!("db{i}.sqlite")))?;
        Ok(ReadCachedStore::new(
            Arc::new(inner),
            Duration::from_secs(3600),
        ))
    })
    .await;
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_read_back_at_once_and_races_do_not_resurrect_old_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inner = SqliteStore::open(&dir.path().join("k.db")).expect("open");
    let store = Arc::new(ReadCachedStore::new(
        Arc::new(inner),
        Duration::from_secs(3600),
    ));
    let secret = store
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "race"),
            Some(new_version("v1", 1, &["AWSCURRENT"])),
            audited(),
        )
        .await
        .expect("create");
    assert_eq!(current_seq(store.as_ref(), "race").await, 1);

    // Readers hammer the hot path while versions are added; after each write
    // returns, the cached answer must be that write (read-your-writes).
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..4 {
        let (store, stop) = (store.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                current_seq(store.as_ref(), "race").await;
                reads += 1;
                tokio::task::yield_now().await;
            }
            reads
        }));
    }
    for i in 2..=60i64 {
        store
            .add_version(
                secret.id,
                new_version(&format!("v{i}"), i as u8, &["AWSCURRENT"]),
                audited(),
            )
            .await
            .expect("add version");
        assert_eq!(
            current_seq(store.as_ref(), "race").await,
            i,
            "a read right after writing version {i} saw an older one"
        );
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for r in readers {
        total += r.await.expect("reader");
    }
    assert!(total > 0, "the readers never ran");
    // And once everything settles, the cache holds the newest row.
    assert_eq!(current_seq(store.as_ref(), "race").await, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_servers_write_is_seen_after_the_ttl() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.db");
    let ttl = Duration::from_millis(300);
    let server_a = ReadCachedStore::new(Arc::new(SqliteStore::open(&path).expect("a")), ttl);
    let server_b = ReadCachedStore::new(Arc::new(SqliteStore::open(&path).expect("b")), ttl);
    let secret = server_a
        .create_secret(
            new_secret(Namespace::Secrets, REGION, "shared"),
            Some(new_version("v1", 1, &["AWSCURRENT"])),
            audited(),
        )
        .await
        .expect("create");
    assert_eq!(current_seq(&server_b, "shared").await, 1);
    server_a
        .add_version(secret.id, new_version("v2", 2, &["AWSCURRENT"]), audited())
        .await
        .expect("add");
    assert_eq!(current_seq(&server_a, "shared").await, 2);
    // B may still answer from its cache, but only until the TTL runs out.
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    assert_eq!(current_seq(&server_b, "shared").await, 2);

    // With the cache off, B sees every write at once.
    let uncached = ReadCachedStore::new(
        Arc::new(SqliteStore::open(&path).expect("c")),
        Duration::ZERO,
    );
    server_a
        .add_version(secret.id, new_version("v3", 3, &["AWSCURRENT"]), audited())
        .await
        .expect("add");
    assert_eq!(current_seq(&uncached, "shared").await, 3);
}
