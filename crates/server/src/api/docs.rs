//! The API described: `GET /api/openapi.json` (OpenAPI 3, generated from the handlers' annotations)
//! and `GET /api/docs`, a page listing every operation, rendered on the server (no CDN, no script).

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{chargers, history, installations, messaging, report, tokens, zaptec};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/docs", get(docs))
}

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "voltgate partner API", description = "Zaptec-compatible REST API of voltgate: \
        routes and JSON keys are matched case-insensitively, output is PascalCase. Get a token at \
        /oauth/token (password grant), send it as `Authorization: Bearer …`."),
    paths(
        tokens::token, tokens::revoke, tokens::discovery, zaptec::constants,
        installations::list, installations::show, installations::hierarchy, installations::update,
        chargers::list, chargers::show, chargers::state, chargers::update, chargers::send_command,
        chargers::firmware, history::history, history::session, history::archived,
        report::report_get, report::report_post, messaging::installation_details, messaging::group_details,
    ),
    modifiers(&Bearer),
    tags((name = "tokens", description = "OAuth 2 tokens"), (name = "zaptec", description = "The Zaptec-compatible surface"))
)]
pub struct ApiDoc;

/// The OpenAPI document.
pub async fn openapi() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Every operation with its summary, parameters and answers, for people.
pub async fn docs() -> Html<String> {
    let doc = ApiDoc::openapi();
    let mut body = String::new();
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            body.push_str(&format!(
                "<section><h2><code>{method} {}</code></h2>",
                escape(path)
            ));
            let text = operation
                .description
                .as_deref()
                .or(operation.summary.as_deref())
                .unwrap_or_default();
            body.push_str(&format!("<p>{}</p>", escape(text)));
            if let Some(parameters) = &operation.parameters {
                body.push_str("<ul>");
                for parameter in parameters {
                    let utoipa::openapi::RefOr::T(parameter) = parameter else {
                        continue;
                    };
                    body.push_str(&format!(
                        "<li><code>{}</code> {}</li>",
                        escape(&parameter.name),
                        escape(parameter.description.as_deref().unwrap_or_default())
                    ));
                }
                body.push_str("</ul>");
            }
            body.push_str("<dl>");
            for (status, response) in &operation.responses.responses {
                let description = match response {
                    utoipa::openapi::RefOr::T(response) => response.description.clone(),
                    utoipa::openapi::RefOr::Ref(reference) => reference.ref_location.clone(),
                };
                body.push_str(&format!(
                    "<dt>{}</dt><dd>{}</dd>",
                    escape(status),
                    escape(&description)
                ));
            }
            body.push_str("</dl></section>");
        }
    }
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>voltgate API</title>\
         <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main><h1>voltgate API</h1>\
         <p>{}</p><p>The machine-readable document: <a href=\"/api/openapi.json\">/api/openapi.json</a>.</p>\
         {body}</main></body></html>",
        escape(doc.info.description.as_deref().unwrap_or_default())
    ))
}
