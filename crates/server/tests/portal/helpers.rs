//! Starting a real server on a random port, and browsers (cookie jars) that talk to it.

use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use voltgate_domain::authz::Right;
use voltgate_domain::{Authorized, InstallationAccess, InstallationId, Principal};
use voltgate_server::events::Events;
use voltgate_server::{Application, ServeSettings};
use voltgate_store::testing::{on_installation, TestDatabase};
use voltgate_store::{Database, Engine};

/// Runs each listed `async fn name(engine)` as two tests: `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(voltgate_store::Engine::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(voltgate_store::Engine::Postgres).await } )* }
    };
}

/// A running server on its own fresh database.
pub struct TestApp {
    pub base: String,
    pub database_url: String,
    /// What happens in the service, as the server hears it.
    pub events: Events,
    /// The same database, opened directly, to check what was (not) written.
    pub db: Database,
    _database: TestDatabase,
}

/// Starts one more server process's worth of application with `settings`; returns its base URL.
pub async fn serve(settings: ServeSettings) -> String {
    serve_with_events(settings).await.0
}

/// Like [`serve`], with the application's event stream.
pub async fn serve_with_events(settings: ServeSettings) -> (String, Events) {
    let app = Application::build(settings)
        .await
        .expect("the application starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let events = app.events();
    tokio::spawn(app.run_until_stopped());
    (base, events)
}

/// Starts the real application on port 0 with a fresh database on `engine`.
pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |_| {}).await
}

/// Like [`spawn_app`], with settings changed by `adjust` first.
pub async fn spawn_app_with(engine: Engine, adjust: impl FnOnce(&mut ServeSettings)) -> TestApp {
    let database = TestDatabase::new(engine).await;
    let mut settings = ServeSettings::for_tests(&database.url);
    adjust(&mut settings);
    let (base, events) = serve_with_events(settings).await;
    let db = voltgate_store::connect(&database.url)
        .await
        .expect("the test opens the database");
    TestApp {
        base,
        events,
        database_url: database.url.clone(),
        db,
        _database: database,
    }
}

/// One person's browser: its own cookie jar; redirects are not followed so tests can see them.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

/// The value of the first hidden `csrf` field on a page.
pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("the page has a CSRF field");
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The lookup key in a group's page (from its access link).
pub fn lookup_key_in(html: &str) -> String {
    html.split("/access/request/")
        .nth(1)
        .and_then(|rest| rest.split(['<', '"', '?']).next())
        .expect("the page shows the access link")
        .to_owned()
}

impl TestApp {
    /// A browser with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            base: self.base.clone(),
        }
    }

    /// A browser signed in to a new account.
    pub async fn signed_up(&self, email: &str, name: &str) -> Browser {
        let browser = self.browser();
        let response = browser
            .submit(
                "/signup",
                "/signup",
                &[
                    ("email", email),
                    ("full_name", name),
                    ("password", "correct horse battery"),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-up of {email}"
        );
        browser
    }
}

impl Browser {
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET")
    }

    /// Status and body of a page.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// Posts a form as is (no CSRF token added).
    pub async fn post(&self, action: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{action}", self.base))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Opens `page` like a person would, then sends its form to `action` with the page's CSRF token.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let (status, html) = self.page(page).await;
        assert_eq!(status, StatusCode::OK, "{page} opens before submitting");
        let token = csrf_in(&html);
        let mut all = fields.to_vec();
        all.push(("csrf", &token));
        self.post(action, &all).await
    }

    /// Submits and returns status and body. A charger command answers with post/redirect/get: then
    /// the body is the charger page it leads to (where its outcome is shown once).
    pub async fn submit_page(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let response = self.submit(page, action, fields).await;
        self.follow_to_charger(response).await
    }

    /// The status, and the body or, after a redirect to a charger page, that page's body.
    pub async fn follow_to_charger(&self, response: Response) -> (StatusCode, String) {
        let status = response.status();
        let target = location(&response);
        if status == StatusCode::SEE_OTHER && target.starts_with("/chargers/") {
            return (status, self.page(&target).await.1);
        }
        (status, response.text().await.unwrap())
    }
}

/// Where a redirect points.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The operator's capability for `R` on an installation: for tests that read what was written.
pub async fn operator<R>(db: &Database, id: InstallationId) -> Authorized<R>
where
    R: Right<Facts = InstallationAccess>,
{
    on_installation(db.store.as_ref(), Principal::Operator, id)
        .await
        .expect("the operator may")
}
