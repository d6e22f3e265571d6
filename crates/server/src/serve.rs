//! The accept loop: HTTP/1 connections with a header-read timeout and a cap on how many may be open in
//! HTTP at once, graceful shutdown, and the client address for every request.
//!
//! A connection counts against the cap from accept until its HTTP part ends: closed, or upgraded to a
//! charger's WebSocket (which then holds its file outside the cap). hyper's header-read timeout runs
//! whenever a connection waits for a request's headers — also between requests on a keep-alive
//! connection — so a half-sent request and an idle connection are both closed after it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::Service;

/// How long a connection past the cap has to send its request.
const GRACE: Duration = Duration::from_secs(1);
/// At most one log line about the cap in this long.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// The limits on HTTP connections.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers (and a keep-alive connection may idle).
    pub header_read_timeout: Duration,
    /// Connections in HTTP at once before new ones only get [`GRACE`]; twice this, and new ones are
    /// closed at once.
    pub max_portal_connections: usize,
}

/// Counts connections in HTTP; each [`Slot`] is one, given back when dropped.
#[derive(Default)]
struct Open(AtomicUsize);

struct Slot {
    open: Arc<Open>,
    /// Connections in HTTP with this one.
    count: usize,
}

impl Open {
    fn take(self: &Arc<Self>) -> Slot {
        let count = self.0.fetch_add(1, Ordering::AcqRel) + 1;
        Slot {
            open: self.clone(),
            count,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Logs that the cap was reached, at most once per [`LOG_EVERY`], with how often since the last line.
struct CapLog {
    last: Mutex<Option<Instant>>,
    hits: AtomicUsize,
}

impl CapLog {
    fn hit(&self, open: usize, closed: bool) {
        let hits = self.hits.fetch_add(1, Ordering::AcqRel) + 1;
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.is_some_and(|at| at.elapsed() < LOG_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        self.hits.store(0, Ordering::Release);
        tracing::warn!(
            open,
            hits,
            closed_at_once = closed,
            "portal connection cap reached: new connections get {} s to send their request",
            GRACE.as_secs()
        );
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let (stop, stopping) = watch::channel(());
    // Every connection holds a receiver; when none is left, all have finished.
    let (finished, connection_alive) = watch::channel(());
    let open = Arc::new(Open::default());
    let cap_log = Arc::new(CapLog {
        last: Mutex::new(None),
        hits: AtomicUsize::new(0),
    });
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    tokio::pin!(shutdown);
    loop {
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of files, most likely: wait for some to be given back instead of spinning.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = open.take();
        let over = slot.count > limits.max_portal_connections;
        if over {
            let close = slot.count > limits.max_portal_connections.saturating_mul(2);
            cap_log.hit(slot.count, close);
            if close {
                continue;
            }
        }
        let header_read_timeout = if over {
            GRACE.min(limits.header_read_timeout)
        } else {
            limits.header_read_timeout
        };
        let service = match make_service.call(peer).await {
            Ok(service) => service,
            Err(never) => match never {},
        };
        let (mut stopping, alive) = (stopping.clone(), connection_alive.clone());
        tokio::spawn(async move {
            let mut http = http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let connection = http
                .serve_connection(TokioIo::new(socket), TowerToHyperService::new(service))
                .with_upgrades();
            tokio::pin!(connection);
            tokio::select! {
                _ = &mut connection => {}
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop((slot, alive));
        });
    }
    drop((listener, connection_alive));
    let _ = stop.send(());
    finished.closed().await;
}
