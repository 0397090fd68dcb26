//! The connection loop: the router served by hyper with the limits a listener that
//! strangers can reach needs. `axum::serve` exposes none of them, so keyward runs
//! hyper itself. The limits, and where each lives:
//!
//! - here: a header-read timeout, which in hyper's HTTP/1 also bounds how long an
//!   idle keep-alive connection is held (one timer covers both waits);
//! - here: a connection limit (`max_connections`): past it, new connections wait in
//!   the kernel's queue. It stays a semaphore in this loop, not a tower layer: a
//!   layer sees requests, never connections, and an idle keep-alive connection
//!   holds a socket and a task without making any request;
//! - in [`crate::router`], as tower layers, so in-process tests exercise them too:
//!   - a request timeout from the request's head to its response's head, body read
//!     included, so a byte-a-second body ends too; the change stream
//!     (`/v1/watch`) answers at once and streams after, so it is not cut, and its
//!     keep-alive comments are far more frequent than any timeout;
//!   - a request concurrency limit (`max_concurrent_requests`): past it, requests
//!     wait for a slot (inside the request timeout). A slot is held until the
//!     response's head, so the change stream does not hold one while it streams;
//!   - the body size limit (see the `body_limit` module), each API answering an
//!     oversize body in its own error format;
//! - here: graceful shutdown: in-flight requests finish, idle connections close;
//! - here: TLS when a certificate is given (see [`crate::tls`]): the handshake runs
//!   in the connection's own task, bounded by the header-read timeout, so a client
//!   that stalls mid-handshake holds one slot for a while and never the accept loop.
//!
//! Every request carries a [`Transport`] extension saying whether its connection
//! is TLS, which is what `aws:SecureTransport` reports.

use crate::state::AppState;
use crate::tls::ReloadingCert;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// How long shutdown waits for in-flight requests before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Limits on connections and requests (see the module docs).
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Longest wait for a request's headers, including the wait for the next
    /// request on an idle keep-alive connection.
    pub header_read_timeout: Duration,
    /// Longest time from a request's head to its response's head.
    pub request_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Requests handled at once; more wait for a slot (see [`crate::router`]).
    pub max_concurrent_requests: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(60),
            max_connections: 1024,
            // Each request may buffer a body of up to the body limit, and the store
            // serves a handful of queries at a time: past a few hundred, more
            // requests at once only add memory and queueing inside the store.
            max_concurrent_requests: 256,
        }
    }
}

/// How a request reached the server, set by the listener on every request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Transport {
    /// The connection is TLS.
    pub tls: bool,
}

/// Serves `state`'s router on `listener` until `shutdown` resolves, over TLS when
/// `tls` is given.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    tls: Option<Arc<ReloadingCert>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = match tls {
        Some(cert) => {
            cert.spawn_watcher();
            Some(crate::tls::acceptor(cert).map_err(std::io::Error::other)?)
        }
        None => None,
    };
    let transport = Transport {
        tls: acceptor.is_some(),
    };
    let limits = state.cfg.http.clone();
    let app = crate::router(state);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    // HTTP/1.1 only: every AWS SDK and CLI speaks it to a plain endpoint, and
    // hyper's protocol sniffing for HTTP/2 waits for the first bytes with no
    // timeout at all, which is exactly what an idle attacker exploits.
    let mut builder = http1::Builder::new();
    // writev: answers go out from keyward's own (zeroizing) buffer instead of
    // being copied into hyper's write buffer first (see `scrub`).
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .writev(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        tracing::debug!(%peer, "connection accepted");
        let service =
            app.clone()
                .map_request(move |mut req: http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req.extensions_mut().insert(transport);
                    req
                });
        let service = TowerToHyperService::new(service);
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        let handshake_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            let served =
                match acceptor {
                    None => {
                        watcher
                            .watch(builder.serve_connection(TokioIo::new(stream), service))
                            .await
                    }
                    Some(acceptor) => {
                        let stream =
                            match tokio::time::timeout(handshake_timeout, acceptor.accept(stream))
                                .await
                            {
                                Ok(Ok(s)) => s,
                                Ok(Err(e)) => {
                                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                    return;
                                }
                                Err(_) => {
                                    tracing::debug!(%peer, "TLS handshake timed out");
                                    return;
                                }
                            };
                        watcher
                            .watch(builder.serve_connection(TokioIo::new(stream), service))
                            .await
                    }
                };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; stopping anyway");
    }
    Ok(())
}
