//! Two servers over one database: a cluster job runs on one of them per tick, a
//! per-server job on both, nothing runs while sealed, and a lapsed lease moves.

use super::*;
use keyward_crypto::RootKey;
use keyward_store::Store;
use keyward_store_sqlite::SqliteStore;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting {
    runs: AtomicUsize,
    scope: Scope,
}

impl Counting {
    fn new(scope: Scope) -> Arc<Self> {
        Arc::new(Self {
            runs: AtomicUsize::new(0),
            scope,
        })
    }
    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Job for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(60)
    }
    fn scope(&self) -> Scope {
        self.scope
    }
    async fn run(&self, _st: &AppState) -> Result<(), ApiError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Two servers sharing one database file, both unsealed with its root key.
async fn two_servers(dir: &std::path::Path) -> (Arc<AppState>, Arc<AppState>) {
    let root = RootKey::generate();
    let db = dir.join("keyward.db");
    let first = SqliteStore::open(&db).expect("open");
    first
        .set_setting("root_key_check", &root.check_value())
        .await
        .expect("check value");
    let second = SqliteStore::open_existing(&db).expect("open the same file again");
    let mut states = Vec::new();
    for store in [first, second] {
        let st = AppState::new(Arc::new(store), Default::default());
        st.unseal(&root).await.expect("unseal");
        states.push(st);
    }
    let b = states.pop().expect("two");
    let a = states.pop().expect("two");
    (a, b)
}

#[tokio::test]
async fn a_cluster_job_runs_on_one_server_per_tick() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = two_servers(dir.path()).await;
    let (sa, sb) = (Scheduler::new(), Scheduler::new());
    let job = Counting::new(Scope::Cluster);
    for _ in 0..3 {
        assert!(sa.tick(&a, job.as_ref()).await, "the lease holder runs it");
        assert!(
            !sb.tick(&b, job.as_ref()).await,
            "the other server must not"
        );
    }
    assert_eq!(job.runs(), 3);
    // A clean shutdown hands the job over at once.
    let jobs: Vec<Arc<dyn Job>> = vec![job.clone()];
    sa.release(&a, &jobs).await;
    assert!(sb.tick(&b, job.as_ref()).await, "released lease taken over");
    assert!(!sa.tick(&a, job.as_ref()).await);
    assert_eq!(job.runs(), 4);
}

#[tokio::test]
async fn a_lapsed_lease_moves_to_a_live_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = two_servers(dir.path()).await;
    let (sa, sb) = (Scheduler::new(), Scheduler::new());
    let job = Counting::new(Scope::Cluster);
    assert!(sa.tick(&a, job.as_ref()).await);
    // Server a dies holding the lease; once it lapses, b takes over.
    let later = OffsetDateTime::now_utc() + lease_ttl(job.every()) + Duration::from_secs(1);
    assert!(
        b.store
            .acquire_lease(job.name(), sb.holder(), lease_ttl(job.every()), later)
            .await
            .expect("lease")
    );
    assert!(
        !sa.tick(&a, job.as_ref()).await,
        "the dead holder's lease moved"
    );
}

#[tokio::test]
async fn a_per_server_job_runs_everywhere_and_nothing_runs_sealed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = two_servers(dir.path()).await;
    let (sa, sb) = (Scheduler::new(), Scheduler::new());
    let job = Counting::new(Scope::EachServer);
    assert!(sa.tick(&a, job.as_ref()).await);
    assert!(sb.tick(&b, job.as_ref()).await);
    assert_eq!(job.runs(), 2);

    let sealed = AppState::new(b.store.clone(), Default::default());
    let cluster = Counting::new(Scope::Cluster);
    assert!(!Scheduler::new().tick(&sealed, job.as_ref()).await);
    assert!(!Scheduler::new().tick(&sealed, cluster.as_ref()).await);
    assert_eq!(job.runs() + cluster.runs(), 2, "a sealed server ran a job");
}
