//! How the service is configured: flags, each with an environment variable.

use clap::Args;

/// The default database: a SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://voltgate.db";

/// Where the database is; shared by `serve` and `admin`.
#[derive(Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// `sqlite://FILE` (created if missing) or `postgres://USER@HOST:PORT/DB`.
    #[arg(long = "database-url", env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub url: String,
    /// Connections this process opens to PostgreSQL at most, 8 to 10 000 (SQLite ignores it). Keep
    /// the sum over every process below the server's `max_connections` (100 by default).
    #[arg(long = "database-connections", env = "VOLTGATE_DATABASE_CONNECTIONS",
        default_value_t = voltgate_store::DEFAULT_CONNECTIONS,
        value_parser = clap::value_parser!(u32).range(
            i64::from(voltgate_store::MIN_CONNECTIONS)..=i64::from(voltgate_store::MAX_CONNECTIONS)))]
    pub connections: u32,
}

/// Settings of `voltgate serve`.
#[derive(Args, Clone, Debug)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(long, env = "VOLTGATE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// The address people reach the service at, e.g. `https://voltgate.example`. With https, session
    /// cookies are marked Secure.
    #[arg(long, env = "VOLTGATE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds a charger has to answer a command.
    #[arg(long, env = "VOLTGATE_OCPP_COMMAND_TIMEOUT", default_value_t = 30)]
    pub ocpp_command_timeout: u64,
    /// Sign-ups one client address may make in an hour (counted in the database, for all processes).
    #[arg(long, env = "VOLTGATE_SIGNUPS_PER_HOUR", default_value_t = 10)]
    pub signups_per_hour: u32,
    /// Access-request pages one client address may open in a minute (counted by each process), so
    /// lookup keys cannot be enumerated.
    #[arg(
        long,
        env = "VOLTGATE_ACCESS_REQUESTS_PER_MINUTE",
        default_value_t = 60
    )]
    pub access_requests_per_minute: u32,
    /// Seconds a client has to send a request's headers; also how long an idle keep-alive connection
    /// stays open.
    #[arg(long, env = "VOLTGATE_HEADER_READ_TIMEOUT", default_value_t = 10)]
    pub header_read_timeout: u64,
    /// Connections that may be open in HTTP at once (WebSocket connections of chargers do not count).
    /// Past it, new connections get one second to send their request, and past twice it they are
    /// closed at once, so that the process's files are left for chargers. Keep it well below the
    /// process's file limit minus the chargers it serves.
    #[arg(long, env = "VOLTGATE_MAX_PORTAL_CONNECTIONS", default_value_t = 4096)]
    pub max_portal_connections: usize,
    /// Hours an API access token lasts (its refresh token lasts thirty times as long).
    #[arg(long, env = "VOLTGATE_API_TOKEN_HOURS", default_value_t = 24)]
    pub api_token_hours: u32,
    /// API requests one token (and token requests one client address) may make per second.
    #[arg(long, env = "VOLTGATE_API_RATE_PER_SECOND", default_value_t = 10)]
    pub api_rate_per_second: u32,
    /// API requests one token may make at once above the rate before it is refused.
    #[arg(long, env = "VOLTGATE_API_RATE_BURST", default_value_t = 15)]
    pub api_rate_burst: u32,
    /// Seconds a process of a PostgreSQL cluster holds its chargers without renewing its lease (it
    /// renews every third of it): when a process dies, its chargers show offline after at most this.
    #[arg(long, env = "VOLTGATE_CLUSTER_LEASE", default_value_t = 30)]
    pub cluster_lease: u64,
    /// Lets webhooks be delivered to private, loopback and link-local addresses (development only:
    /// otherwise a group could make the service call into its own network).
    #[arg(long, env = "VOLTGATE_ALLOW_PRIVATE_WEBHOOK_TARGETS")]
    pub allow_private_webhook_targets: bool,
    /// Do not send webhooks from this process (another process on the same database sends them).
    #[arg(long, env = "VOLTGATE_NO_WEBHOOK_DELIVERY")]
    pub no_webhook_delivery: bool,
    /// Milliseconds before a failed webhook delivery is tried again the first time; each further
    /// wait is twice as long, at most an hour.
    #[arg(long, env = "VOLTGATE_WEBHOOK_RETRY_BASE_MS", default_value_t = 30_000)]
    pub webhook_retry_base_ms: u64,
    /// Seconds a webhook delivery is retried before its endpoint is disabled.
    #[arg(long, env = "VOLTGATE_WEBHOOK_RETRY_WINDOW", default_value_t = 86_400)]
    pub webhook_retry_window: u64,
    /// Seconds a worker holds the webhook deliveries it claimed: a delivery whose worker died is sent
    /// again by another after this. Never less than the receivers' timeout and a second.
    #[arg(long, env = "VOLTGATE_WEBHOOK_CLAIM_LEASE", default_value_t = 60)]
    pub webhook_claim_lease: u64,
    /// A PEM file of root certificates that webhook endpoints' certificates may also chain to, besides
    /// the Mozilla roots (an internal CA, or a test CA).
    #[arg(long, env = "VOLTGATE_WEBHOOK_ROOT_CA")]
    pub webhook_root_ca: Option<std::path::PathBuf>,
    /// Milliseconds between two looks for grants whose end passed (each is told once, by one
    /// process, with an audit entry and `access.expired` webhooks).
    #[arg(long, env = "VOLTGATE_GRANT_EXPIRY_SWEEP_MS", default_value_t = 5_000)]
    pub grant_expiry_sweep_ms: u64,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

impl ServeSettings {
    /// Settings for a server on `database_url`, listening on a random local port (tests use this).
    /// Every test browser comes from 127.0.0.1, so the per-address limits are wide; the tests of those
    /// limits set them.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            bind: "127.0.0.1:0".into(),
            public_url: None,
            ocpp_command_timeout: 30,
            signups_per_hour: 1000,
            access_requests_per_minute: 10_000,
            header_read_timeout: 10,
            max_portal_connections: 4096,
            api_token_hours: 24,
            api_rate_per_second: 10_000,
            api_rate_burst: 10_000,
            cluster_lease: 30,
            allow_private_webhook_targets: false,
            no_webhook_delivery: false,
            webhook_retry_base_ms: 30_000,
            webhook_retry_window: 86_400,
            webhook_claim_lease: 60,
            webhook_root_ca: None,
            grant_expiry_sweep_ms: 5_000,
            database: DatabaseArgs {
                url: database_url.into(),
                connections: voltgate_store::DEFAULT_CONNECTIONS,
            },
        }
    }

    /// Whether cookies must only travel over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }
}
