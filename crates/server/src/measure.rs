//! A `voltgate serve` child process, to measure from outside what one server process costs: its
//! address, its memory, its open files. The benchmarks and the resource tests start servers this way.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use voltgate_domain::authz::ManageUsers;
use voltgate_domain::text::{Address, Name};
use voltgate_domain::{ChargePointIdentity, Email, InstallationType, Principal};
use voltgate_store::{NewInstallation, NewUser};

use crate::authz;
use crate::charging::secrets;

/// A running server process; killed when dropped.
pub struct ServerProcess {
    child: tokio::process::Child,
    pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    logs: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts `exe serve` on a free local port with `database_url` and `extra` arguments, and waits
    /// until `/healthz` answers.
    pub async fn start(exe: &Path, database_url: &str, extra: &[&str]) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let bind = format!("127.0.0.1:{port}");
        let mut child = tokio::process::Command::new(exe)
            .args(["serve", "--bind", &bind, "--database-url", database_url])
            .args(extra)
            .env("VOLTGATE_LOG", "warn")
            .env("VOLTGATE_LOG_FORMAT", "json")
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let pid = child
            .id()
            .ok_or_else(|| anyhow!("the server did not start"))?;
        let logs = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let logs = logs.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    logs.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(line);
                }
            });
        }
        let server = Self {
            child,
            pid,
            base: format!("http://{bind}"),
            logs,
        };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            let health = http.get(format!("{}/healthz", server.base)).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server at {} did not answer /healthz", server.base)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// The log lines (JSON) the process has written so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn status_kib(&self, field: &str) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let line = status
            .lines()
            .find(|l| l.starts_with(field))
            .ok_or_else(|| anyhow!("no {field} in /proc/{}/status", self.pid))?;
        Ok(line.split_whitespace().nth(1).unwrap_or("0").parse()?)
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        self.status_kib("VmRSS:")
    }

    /// The most resident memory the process has had, in KiB.
    pub fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        self.status_kib("VmHWM:")
    }

    /// How many files (sockets included) the process holds open.
    pub fn open_files(&self) -> anyhow::Result<usize> {
        Ok(std::fs::read_dir(format!("/proc/{}/fd", self.pid))?.count())
    }

    /// Stops the process.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf(html: &str) -> anyhow::Result<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).ok_or_else(|| anyhow!("no CSRF token"))? + marker.len();
    Ok(html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned())
}

/// A browser-like client (cookie jar, redirects not followed) whose connections come from loopback
/// address number `n` (127.0.x.y), so that per-address limits see one client per number.
pub fn client_from(n: u16) -> anyhow::Result<reqwest::Client> {
    let [high, low] = n.to_be_bytes();
    let address = std::net::Ipv4Addr::new(127, 0, high.saturating_add(1), low.max(1));
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::V4(address))
        .build()?)
}

/// Opens `path` with each client, then has every client post the page's form back at once, with the
/// fields `fields(i)` and its CSRF token. Answers each response's status and whether it had a
/// `Retry-After`.
pub async fn forms_at_once(
    clients: &[reqwest::Client],
    base: &str,
    path: &str,
    fields: impl Fn(usize) -> Vec<(&'static str, String)>,
) -> anyhow::Result<Vec<(reqwest::StatusCode, bool)>> {
    let url = format!("{base}{path}");
    let mut forms = Vec::with_capacity(clients.len());
    for (i, client) in clients.iter().enumerate() {
        let page = client.get(&url).send().await?.text().await?;
        let mut form = fields(i);
        form.push(("csrf", csrf(&page)?));
        forms.push(client.post(&url).form(&form));
    }
    let sent = futures::future::join_all(forms.into_iter().map(|request| async move {
        let response = request.send().await?;
        let retry_after = response
            .headers()
            .contains_key(reqwest::header::RETRY_AFTER);
        Ok::<_, reqwest::Error>((response.status(), retry_after))
    }))
    .await;
    Ok(sent.into_iter().collect::<Result<_, _>>()?)
}

/// Opens `count` connections to `address` that each send half a request's headers and then wait, as
/// a slow client does.
pub async fn half_open(address: &str, count: usize) -> anyhow::Result<Vec<TcpStream>> {
    let mut connections = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = TcpStream::connect(address).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: voltgate\r\nX-Slow: ")
            .await?;
        connections.push(stream);
    }
    Ok(connections)
}

/// How many of `connections` the server has closed: a read ends at once (whatever the server said
/// first). Closed ones are dropped from the list.
pub async fn closed_by_server(connections: &mut Vec<TcpStream>) -> usize {
    let before = connections.len();
    let mut still_open = Vec::with_capacity(before);
    for mut stream in connections.drain(..) {
        let mut buffer = [0u8; 512];
        let open = loop {
            match tokio::time::timeout(Duration::from_millis(2), stream.read(&mut buffer)).await {
                Err(_) => break true,
                Ok(Ok(0)) | Ok(Err(_)) => break false,
                Ok(Ok(_)) => continue,
            }
        };
        if open {
            still_open.push(stream);
        }
    }
    *connections = still_open;
    before - connections.len()
}

/// Registers a charger `identity` on a new installation of a new account in the database at
/// `database_url`, as the operator; answers its password.
pub async fn register_charger(database_url: &str, identity: &str) -> anyhow::Result<String> {
    let db = voltgate_store::connect(database_url).await?;
    let owner = db
        .store
        .create_user(&NewUser {
            email: Email::parse(&format!(
                "owner-of-{}@voltgate.example",
                identity.to_lowercase()
            ))?,
            full_name: Name::parse("Owner")?,
            password_hash: "not a usable hash".into(),
        })
        .await?;
    let site = NewInstallation {
        name: Name::parse("Measured")?,
        address: Address::parse("")?,
        installation_type: InstallationType::Go,
        time_zone: voltgate_domain::Zone::default(),
    };
    let operator = Principal::Operator;
    let installation = db
        .store
        .create_installation(owner.id, &site, &operator)
        .await?;
    let (_, manage) =
        authz::installation::<ManageUsers>(db.store.as_ref(), &operator, installation.id).await?;
    let (new, password) = secrets::new_charger(
        ChargePointIdentity::parse(identity)?,
        Name::parse(identity)?,
        1,
    );
    db.store.create_charger(&manage, &new).await?;
    Ok(password)
}
