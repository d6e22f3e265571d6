//! `voltgate bench api`: requests per second and p99 of an authorized
//! `GET /api/chargers?InstallationId=…` by a group member, next to `/healthz` of the same server, on a
//! fresh SQLite file or an empty PostgreSQL database. Starts `voltgate serve` as a child process and
//! loads it from this process with keep-alive connections.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use voltgate_domain::authz::{ManageGroup, ManagePermissions, ManageUsers};
use voltgate_domain::text::{Address, Description, Name};
use voltgate_domain::GrantTerms;
use voltgate_domain::{
    authorize, ChargePointIdentity, Email, GroupRole, InstallationId, InstallationType, LookupKey,
    Password, Principal,
};
use voltgate_store::{NewCharger, NewGroup, NewInstallation, NewUser, RequestContext};

use crate::authz;
use crate::charging::secrets;
use crate::measure::ServerProcess;
use crate::passwords;

/// Options of `voltgate bench api`.
#[derive(Args, Debug, Clone)]
pub struct ApiBench {
    /// Seconds to load each endpoint.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Requests in flight at once (one keep-alive connection each).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Chargers on the installation listed.
    #[arg(long, default_value_t = 10)]
    pub chargers: usize,
    /// PostgreSQL URL to measure on instead of a fresh SQLite file (the database must be empty).
    #[arg(long)]
    pub database_url: Option<String>,
}

const MEMBER: &str = "member@bench.example";
const PASSWORD: &str = "bench password for the api";

/// An owner's installation with chargers, a group with access and a member in it.
async fn prepare(url: &str, chargers: usize) -> anyhow::Result<InstallationId> {
    let db = voltgate_store::connect(url).await?;
    let hash = passwords::hash(Password::parse(PASSWORD)?).await?;
    let mut users = Vec::new();
    for email in ["owner@bench.example", MEMBER] {
        users.push(
            db.store
                .create_user(&NewUser {
                    email: Email::parse(email)?,
                    full_name: Name::parse("Bench")?,
                    password_hash: hash.clone(),
                })
                .await?,
        );
    }
    let operator = Principal::Operator;
    let site = NewInstallation {
        name: Name::parse("Bench")?,
        address: Address::parse("")?,
        installation_type: InstallationType::Pro,
        time_zone: voltgate_domain::Zone::default(),
    };
    let installation = db
        .store
        .create_installation(users[0].id, &site, &operator)
        .await?;
    let (_, manage) =
        authz::installation::<ManageUsers>(db.store.as_ref(), &operator, installation.id).await?;
    let charger_hash = secrets::hash(PASSWORD);
    for n in 0..chargers {
        let new = NewCharger {
            identity: ChargePointIdentity::parse(&format!("API-BENCH-{n}"))?,
            name: Name::parse(&format!("Charger {n}"))?,
            connectors: 1,
            password_hash: charger_hash.clone(),
        };
        db.store.create_charger(&manage, &new).await?;
    }
    let group = NewGroup {
        name: Name::parse("Bench partner")?,
        description: Description::parse("")?,
        support_email: None,
        support_url: None,
        return_urls: Vec::new(),
    };
    let group = db
        .store
        .create_group(
            users[0].id,
            &group,
            &LookupKey::generate(&mut rand::thread_rng()),
            &operator,
        )
        .await?;
    let (_, on_group) = db
        .store
        .group_for(&operator, group.id)
        .await?
        .context("the group")?;
    let on_group = authorize::<ManageGroup>(&operator, on_group)?;
    db.store
        .set_group_role(&on_group, users[1].id, GroupRole::Member)
        .await?;
    let (_, permissions) =
        authz::installation::<ManagePermissions>(db.store.as_ref(), &operator, installation.id)
            .await?;
    db.store
        .grant_access(
            &permissions,
            group.id,
            &GrantTerms::default(),
            &RequestContext::default(),
        )
        .await?;
    Ok(installation.id)
}

/// Requests per second and latency percentiles of one endpoint under load.
struct Figures {
    requests: usize,
    failures: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn load(
    url: &str,
    token: Option<&str>,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Figures> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let until = Instant::now() + duration;
    let url = Arc::new(url.to_owned());
    let token = token.map(str::to_owned);
    let mut workers = Vec::new();
    let started = Instant::now();
    for _ in 0..concurrency {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut failures = 0usize;
            while Instant::now() < until {
                let sent = Instant::now();
                let mut request = client.get(url.as_str());
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        times.push(sent.elapsed());
                    }
                    _ => failures += 1,
                }
            }
            (times, failures)
        }));
    }
    let mut times = Vec::new();
    let mut failures = 0;
    for worker in workers {
        let (t, f) = worker.await?;
        times.extend(t);
        failures += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    let percentile = |p: f64| {
        times
            .get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)))
            .map_or(0.0, |t| t.as_secs_f64() * 1000.0)
    };
    Ok(Figures {
        requests: times.len(),
        failures,
        per_second: times.len() as f64 / elapsed,
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
    })
}

/// Runs the benchmark and prints its figures.
pub async fn run(options: &ApiBench) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "voltgate-bench-api-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let url = options
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));
    let engine = if url.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let installation = prepare(&url, options.chargers).await?;
    let exe = std::env::current_exe()?;
    // The per-token limit would measure itself: lift it for the benchmark.
    let server = ServerProcess::start(
        &exe,
        &url,
        &[
            "--api-rate-per-second",
            "1000000",
            "--api-rate-burst",
            "1000000",
        ],
    )
    .await?;
    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oauth/token", server.base))
        .form(&[
            ("grant_type", "password"),
            ("username", MEMBER),
            ("password", PASSWORD),
        ])
        .send()
        .await?
        .json()
        .await?;
    let Some(token) = token["access_token"].as_str() else {
        bail!("no token: {token}");
    };
    let chargers = format!("{}/api/chargers?InstallationId={installation}", server.base);
    let check: serde_json::Value = reqwest::Client::new()
        .get(&chargers)
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    let listed = check["Data"].as_array().map_or(0, Vec::len);
    if listed != options.chargers {
        bail!(
            "the member sees {listed} chargers, not {}",
            options.chargers
        );
    }
    let duration = Duration::from_secs(options.duration.max(1));
    let health = load(
        &format!("{}/healthz", server.base),
        None,
        options.concurrency,
        duration,
    )
    .await?;
    let api = load(&chargers, Some(token), options.concurrency, duration).await?;
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "engine {engine}, {} chargers, {} connections, {} s each",
        options.chargers, options.concurrency, options.duration
    );
    for (name, figures) in [
        ("GET /healthz", &health),
        ("GET /api/chargers (member)", &api),
    ] {
        println!(
            "{name:28} {:8.0} req/s  p50 {:6.2} ms  p99 {:6.2} ms  ({} requests, {} failed)",
            figures.per_second, figures.p50_ms, figures.p99_ms, figures.requests, figures.failures
        );
    }
    println!(
        "ratio api/healthz: {:.2}",
        api.per_second / health.per_second.max(1.0)
    );
    Ok(())
}
