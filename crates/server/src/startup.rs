//! Building and running the service; `main` and the tests start it the same way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tower_sessions::cookie::time;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};
use voltgate_ocpp::{Registry, SessionConfig};
use voltgate_store::cluster::NodeId;
use voltgate_store::SessionBackend;

use crate::charging::route::{ClusterRoutes, Local, Routes};
use crate::charging::Charging;

use crate::config::ServeSettings;
use crate::csrf::{CsrfKey, SecureCookies};
use crate::events::cluster::ClusterBus;
use crate::events::Events;
use crate::expiry::run_expiry_sweep;
use crate::serve::{serve, ConnectionLimits};
use crate::state::AppState;
use crate::throttles::Throttles;
use crate::web;
use crate::webhooks::{run_worker, WorkerSettings};
use voltgate_domain::webhook::RetryPolicy;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "voltgate_session";

/// A bound, ready-to-run service.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    sessions: SessionBackend,
    limits: ConnectionLimits,
    charging: Arc<Charging>,
    /// This process's place among the processes on one PostgreSQL.
    cluster: Option<Arc<ClusterRoutes>>,
    /// How this process sends webhooks; `None` when it does not.
    webhooks: Option<WorkerSettings>,
    /// How often this process looks for grants whose end passed.
    expiry_sweep: Duration,
}

impl Application {
    /// Opens and migrates the database, binds the listener and wires the routes.
    pub async fn build(settings: ServeSettings) -> anyhow::Result<Self> {
        let db =
            voltgate_store::connect_with(&settings.database.url, settings.database.connections)
                .await
                .with_context(|| {
                    format!("opening the database at {}", redact(&settings.database.url))
                })?;
        let listener = TcpListener::bind(&settings.bind)
            .await
            .with_context(|| format!("listening on {}", settings.bind))?;
        let session_layer = SessionManagerLayer::new(db.sessions.clone())
            .with_name(SESSION_COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(settings.secure_cookies())
            .with_expiry(Expiry::OnInactivity(time::Duration::days(7)));
        let sessions = SessionConfig {
            command_timeout: Duration::from_secs(settings.ocpp_command_timeout.max(1)),
            ..SessionConfig::default()
        };
        let csrf = CsrfKey::shared(db.store.as_ref())
            .await
            .context("loading the shared CSRF key")?;
        let node = NodeId::random();
        let events = match db.cluster.clone() {
            Some(cluster) => Events::over(Arc::new(
                ClusterBus::start(cluster, node)
                    .await
                    .context("listening for the other processes' events")?,
            )),
            None => Events::local(),
        };
        let registry = Arc::new(Registry::new());
        let lease = Duration::from_secs(settings.cluster_lease.max(1));
        let cluster = match db.cluster.clone() {
            Some(cluster) => Some(
                ClusterRoutes::start(registry.clone(), cluster, node, lease)
                    .await
                    .context("joining the other processes on the database")?,
            ),
            None => None,
        };
        let routes: Arc<dyn Routes> = match &cluster {
            Some(cluster) => cluster.clone(),
            None => Arc::new(Local::new(registry.clone())),
        };
        let charging = Arc::new(Charging::new(
            db.store.clone(),
            registry.clone(),
            routes,
            db.cluster.clone(),
            events.clone(),
            sessions.command_timeout,
        ));
        if cluster.is_some() {
            tokio::spawn(charging.clone().watch_leases(lease / 3));
        }
        let state = AppState {
            central: charging.clone(),
            charging: charging.clone(),
            events,
            store: db.store,
            registry,
            sessions,
            public_url: public_url(&settings, &listener),
            throttles: Throttles::new(&settings),
            api_token_lifetime: chrono::Duration::hours(i64::from(settings.api_token_hours.max(1))),
            csrf,
        };
        let routes =
            web::router(state, SecureCookies(settings.secure_cookies())).layer(session_layer);
        // The API's paths are matched case-insensitively: lowercased before routing.
        let router = axum::Router::new().fallback_service(
            tower::ServiceBuilder::new()
                .map_request(crate::api::lowercase_api_path)
                .service(routes),
        );
        let limits = ConnectionLimits {
            header_read_timeout: Duration::from_secs(settings.header_read_timeout.max(1)),
            max_portal_connections: settings.max_portal_connections.max(1),
        };
        Ok(Self {
            listener,
            router,
            sessions: db.sessions,
            limits,
            charging,
            cluster,
            webhooks: webhook_worker(&settings)?,
            expiry_sweep: Duration::from_millis(settings.grant_expiry_sweep_ms.max(10)),
        })
    }

    /// Where the service listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The charging service: what the portal's and the API's charger commands go through (the
    /// conformance tests send theirs the same way).
    pub fn charging(&self) -> Arc<Charging> {
        self.charging.clone()
    }

    /// What happens in the service, as this process hears it (tests subscribe here).
    pub fn events(&self) -> Events {
        self.charging.events.clone()
    }

    /// The port it listens on (tests bind port 0 and read the real one here).
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let cleanup = tokio::spawn(
            self.sessions
                .continuously_delete_expired(Duration::from_secs(3600)),
        );
        let giving_back = tokio::spawn(crate::memory::give_back_freed());
        let webhooks = self
            .webhooks
            .map(|settings| tokio::spawn(run_worker(self.charging.store.clone(), settings)));
        let expiry = tokio::spawn(run_expiry_sweep(
            self.charging.store.clone(),
            self.charging.events.clone(),
            self.expiry_sweep,
        ));
        serve(self.listener, self.router, self.limits, shutdown_signal()).await;
        cleanup.abort();
        giving_back.abort();
        expiry.abort();
        if let Some(webhooks) = webhooks {
            webhooks.abort();
        }
        if let Err(error) = self.charging.store.flush().await {
            tracing::warn!(%error, "the chargers' last batched writes could not be written");
        }
        if let Some(cluster) = &self.cluster {
            cluster.leave().await;
        }
        Ok(())
    }
}

/// The webhook worker's settings, unless this process does not send webhooks; an error when the
/// extra root certificates cannot be read.
fn webhook_worker(settings: &ServeSettings) -> anyhow::Result<Option<WorkerSettings>> {
    if settings.no_webhook_delivery {
        return Ok(None);
    }
    let retry = RetryPolicy {
        base: Duration::from_millis(settings.webhook_retry_base_ms.max(1)),
        window: Duration::from_secs(settings.webhook_retry_window),
        ..RetryPolicy::default()
    };
    let extra_roots = match &settings.webhook_root_ca {
        Some(path) => {
            let pem = std::fs::read(path)
                .with_context(|| format!("reading --webhook-root-ca {}", path.display()))?;
            let roots = reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("--webhook-root-ca {}", path.display()))?;
            anyhow::ensure!(
                !roots.is_empty(),
                "--webhook-root-ca {} holds no PEM certificate",
                path.display()
            );
            roots
        }
        None => Vec::new(),
    };
    Ok(Some(WorkerSettings {
        retry,
        allow_private_targets: settings.allow_private_webhook_targets,
        claim_lease: Duration::from_secs(settings.webhook_claim_lease),
        extra_roots: extra_roots.into(),
    }))
}

/// Where people reach the service: `--public-url`, else (with a warning) the address it listens on.
fn public_url(settings: &ServeSettings, listener: &TcpListener) -> String {
    if let Some(url) = &settings.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let address = listener
        .local_addr()
        .map_or_else(|_| settings.bind.clone(), |a| a.to_string());
    let url = format!("http://{address}");
    tracing::warn!(
        %url,
        "--public-url (VOLTGATE_PUBLIC_URL) is not set: installers are shown OCPP URLs on {url}, \
         and cookies are not marked Secure"
    );
    url
}

/// A database URL fit for logs: any password replaced.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
