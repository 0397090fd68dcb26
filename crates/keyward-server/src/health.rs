//! What `/v1/sys/health` and the metrics report about the server's parts, with the
//! status codes a load balancer acts on (as Vault's health endpoint does):
//!
//! | code | `status` | meaning |
//! |---|---|---|
//! | 200 | `ok` | unsealed, the store answers, the audit writer runs: serving |
//! | 503 | `sealed` | sealed: nothing can be read until it is unsealed |
//! | 500 | `degraded` | unsealed but the store does not answer or the audit writer stopped: every audited request would fail closed, so take it out of rotation |

use crate::state::AppState;
use std::time::Duration;

/// How long the store gets to answer a health probe.
const STORE_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the store answers a trivial read in time.
pub async fn store_reachable(st: &AppState) -> bool {
    matches!(
        tokio::time::timeout(STORE_PROBE_TIMEOUT, st.store.get_setting("schema_version")).await,
        Ok(Ok(_))
    )
}

/// The server's health, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub sealed: bool,
    pub store_ok: bool,
    pub audit_ok: bool,
}

impl Report {
    pub async fn probe(st: &AppState) -> Self {
        let keys = st.keys().ok();
        Self {
            sealed: keys.is_none(),
            store_ok: store_reachable(st).await,
            audit_ok: keys.is_some_and(|k| k.audit.is_running()),
        }
    }

    pub fn status_code(&self) -> http::StatusCode {
        if self.sealed {
            http::StatusCode::SERVICE_UNAVAILABLE
        } else if !self.store_ok || !self.audit_ok {
            http::StatusCode::INTERNAL_SERVER_ERROR
        } else {
            http::StatusCode::OK
        }
    }

    pub fn status(&self) -> &'static str {
        match self.status_code().as_u16() {
            200 => "ok",
            503 => "sealed",
            _ => "degraded",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_balancer_sees_sealed_degraded_and_serving_apart() {
        let r = |sealed, store_ok, audit_ok| Report {
            sealed,
            store_ok,
            audit_ok,
        };
        assert_eq!(r(false, true, true).status_code(), 200);
        assert_eq!(r(false, true, true).status(), "ok");
        assert_eq!(r(true, true, false).status_code(), 503);
        assert_eq!(r(true, false, false).status(), "sealed");
        assert_eq!(r(false, false, true).status_code(), 500);
        assert_eq!(r(false, true, false).status_code(), 500);
        assert_eq!(r(false, true, false).status(), "degraded");
    }
}
