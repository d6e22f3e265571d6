//! `voltgate bench history`: a charge history of a million sessions, and how long the portal's
//! history page takes to get its rows and totals from it (the store calls the page makes, timed one
//! after the other), on a fresh SQLite file or an empty PostgreSQL database.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Duration as Span, Utc};
use clap::Args;
use rand::{Rng, SeedableRng};
use voltgate_domain::authz::ManageUsers;
use voltgate_domain::chart::Buckets;
use voltgate_domain::text::{Address, Name};
use voltgate_domain::{
    ChargePointIdentity, ChargerId, Email, InstallationId, InstallationType, Principal, Zone,
};
use voltgate_store::{HistoryFilter, ImportedSession, NewCharger, NewInstallation, NewUser, Store};

use crate::authz;

/// Options of `voltgate bench history`.
#[derive(Args, Debug, Clone)]
pub struct HistoryBench {
    /// Sessions to seed in all.
    #[arg(long, default_value_t = 1_000_000)]
    pub sessions: usize,
    /// Installations they are spread over; the first (measured) one holds a tenth of them.
    #[arg(long, default_value_t = 100)]
    pub installations: usize,
    /// Chargers per installation.
    #[arg(long, default_value_t = 10)]
    pub chargers: usize,
    /// Timed page loads per kind of filter.
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
    /// PostgreSQL URL to measure on instead of a fresh SQLite file (the database must be empty).
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Three years of history, ending now.
const YEARS: i64 = 3;

async fn seed(
    store: &dyn Store,
    options: &HistoryBench,
) -> anyhow::Result<(InstallationId, Vec<ChargerId>)> {
    let owner = store
        .create_user(&NewUser {
            email: Email::parse("owner@bench.example")?,
            full_name: Name::parse("Bench")?,
            password_hash: "not a login".into(),
        })
        .await?;
    let operator = Principal::Operator;
    let mut rng = rand::rngs::StdRng::seed_from_u64(14);
    let end = Utc::now();
    let span = Span::days(365 * YEARS);
    let big = options.sessions / 10;
    let rest = options.installations.saturating_sub(1).max(1);
    let mut measured = None;
    let started = Instant::now();
    for n in 0..options.installations.max(1) {
        let site = NewInstallation {
            name: Name::parse(&format!("Bench {n}"))?,
            address: Address::parse("")?,
            installation_type: InstallationType::Pro,
            time_zone: Zone::default(),
        };
        let installation = store
            .create_installation(owner.id, &site, &operator)
            .await?;
        let (_, manage) =
            authz::installation::<ManageUsers>(store, &operator, installation.id).await?;
        let sessions = if n == 0 {
            big
        } else {
            (options.sessions - big) / rest
        };
        let per_charger = sessions / options.chargers.max(1);
        let mut chargers = Vec::new();
        for c in 0..options.chargers.max(1) {
            let charger = store
                .create_charger(
                    &manage,
                    &NewCharger {
                        identity: ChargePointIdentity::parse(&format!("HIST-{n}-{c}"))?,
                        name: Name::parse(&format!("Charger {c}"))?,
                        connectors: 2,
                        password_hash: "not a login".into(),
                    },
                )
                .await?;
            let step = span.num_seconds() / per_charger.max(1) as i64;
            let rows: Vec<ImportedSession> = (0..per_charger)
                .map(|i| {
                    let started_at = end - span
                        + Span::seconds(step * i as i64 + rng.gen_range(0..step.max(1) / 2));
                    let wh = rng.gen_range(1_000..40_000);
                    ImportedSession {
                        connector_id: rng.gen_range(1..=2),
                        id_tag: format!("TAG-{}", rng.gen_range(0..50)),
                        started_at,
                        stopped_at: started_at + Span::minutes(rng.gen_range(20..600)),
                        meter_start: i as i64 * 50_000,
                        meter_stop: i as i64 * 50_000 + wh,
                    }
                })
                .collect();
            store.import_charge_sessions(charger.id, &rows).await?;
            chargers.push(charger.id);
        }
        if n == 0 {
            measured = Some((installation.id, chargers));
        }
        if n % 10 == 9 {
            println!(
                "  seeded {} installations in {:.0} s",
                n + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    store.refresh_statistics().await?;
    measured.context("no installation")
}

fn percentile(times: &mut [Duration], q: f64) -> f64 {
    times.sort();
    let i = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len().max(1)) - 1;
    times.get(i).map_or(0.0, |t| t.as_secs_f64() * 1000.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

/// Times `requests` page loads (rows of page `page` and the totals) with filters from `filter`.
async fn measure(
    store: &dyn Store,
    installation: InstallationId,
    requests: usize,
    page: i64,
    mut filter: impl FnMut(usize) -> HistoryFilter,
) -> anyhow::Result<(Vec<Duration>, i64)> {
    let mut times = Vec::with_capacity(requests);
    let mut matched = 0;
    for n in 0..requests {
        let filter = filter(n);
        let sent = Instant::now();
        let totals = store.charge_history_totals(installation, &filter).await?;
        let rows = store
            .charge_history(installation, &filter, 50, (page - 1) * 50)
            .await?;
        times.push(sent.elapsed());
        matched += totals.sessions;
        std::hint::black_box(rows);
    }
    Ok((times, matched / requests.max(1) as i64))
}

/// Seeds the history and prints the figures.
pub async fn run(options: &HistoryBench) -> anyhow::Result<()> {
    let file;
    let url = match &options.database_url {
        Some(url) => url.clone(),
        None => {
            file = tempfile::tempdir()?;
            format!("sqlite:{}", file.path().join("bench.db").display())
        }
    };
    let db = voltgate_store::connect(&url).await?;
    let store = db.store.as_ref();
    println!(
        "seeding {} sessions over {} installations x {} chargers ({:?})",
        options.sessions, options.installations, options.chargers, db.engine
    );
    let seeding = Instant::now();
    let (installation, chargers) = seed(store, options).await?;
    println!(
        "seeded in {:.0} s; load average {}",
        seeding.elapsed().as_secs_f64(),
        load_average()
    );
    let zone = Zone::default();
    let today = zone.date_of(Utc::now());
    let month = move |n: usize| {
        let first = today - Span::days(30 + (n as i64 * 37) % (365 * YEARS - 60));
        (
            zone.start_of_day(first),
            zone.start_of_day(first + Span::days(31)),
        )
    };
    type Filter = Box<dyn FnMut(usize) -> HistoryFilter>;
    let one = chargers.clone();
    let kinds: Vec<(&str, i64, Filter)> = vec![
        (
            "a month, all chargers, page 1",
            1,
            Box::new(move |n| {
                let (from, to) = month(n);
                HistoryFilter {
                    from: Some(from),
                    to: Some(to),
                    ..HistoryFilter::default()
                }
            }),
        ),
        (
            "a month, one charger, page 1",
            1,
            Box::new(move |n| {
                let (from, to) = month(n);
                HistoryFilter {
                    charger: Some(one[n % one.len()]),
                    from: Some(from),
                    to: Some(to),
                    ..HistoryFilter::default()
                }
            }),
        ),
        (
            "a month, all chargers, page 10",
            10,
            Box::new(move |n| {
                let (from, to) = month(n);
                HistoryFilter {
                    from: Some(from),
                    to: Some(to),
                    ..HistoryFilter::default()
                }
            }),
        ),
        (
            "no filter (whole installation), page 1",
            1,
            Box::new(|_| HistoryFilter::default()),
        ),
    ];
    println!(
        "{:42} {:>9} {:>9} {:>9} {:>9}  load average",
        "history page: rows + totals", "sessions", "p50 ms", "p95 ms", "p99 ms"
    );
    for (name, page, filter) in kinds {
        let (mut times, matched) =
            measure(store, installation, options.requests, page, filter).await?;
        println!(
            "{name:42} {matched:>9} {:>9.2} {:>9.2} {:>9.2}  {}",
            percentile(&mut times, 0.5),
            percentile(&mut times, 0.95),
            percentile(&mut times, 0.99),
            load_average()
        );
    }
    let mut chart = Vec::new();
    for n in 0..options.requests {
        let days = Buckets::last_days(zone, Utc::now() - Span::days((n as i64 * 11) % 900), 30);
        let sent = Instant::now();
        store
            .energy_by_bucket(installation, &HistoryFilter::default(), &days.bounds)
            .await?;
        chart.push(sent.elapsed());
    }
    println!(
        "{:42} {:>9} {:>9.2} {:>9.2} {:>9.2}  {}",
        "chart: energy per day, 30 days",
        "",
        percentile(&mut chart, 0.5),
        percentile(&mut chart, 0.95),
        percentile(&mut chart, 0.99),
        load_average()
    );
    Ok(())
}
