//! The API described: `GET /api/openapi.json` (OpenAPI 3, generated from the handlers' annotations)
//! and `GET /api/docs`, a page listing every operation, rendered on the server (no CDN, no script).

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    chargers, history, installations, messaging, partner, report, tokens, webhooks, zaptec,
};
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
        /oauth/token (password grant, or client credentials for a group's service account), send it as `Authorization: Bearer …`."),
    paths(
        tokens::token, tokens::revoke, tokens::discovery, zaptec::constants,
        installations::list, installations::show, installations::hierarchy, installations::update,
        chargers::list, chargers::show, chargers::state, chargers::update, chargers::send_command,
        chargers::firmware, history::history, history::session, history::archived,
        report::report_get, report::report_post, messaging::installation_details, messaging::group_details,
        partner::groups, partner::installations, partner::give_up, partner::return_urls,
        partner::add_return_url, partner::remove_return_url, partner::push_request, partner::request_status,
        webhooks::list, webhooks::create, webhooks::remove, webhooks::rotate,
    ),
    modifiers(&Bearer),
    tags((name = "tokens", description = "OAuth 2 tokens"), (name = "zaptec", description = "The Zaptec-compatible surface"), (name = "partner", description = "Partner endpoints beyond Zaptec's: groups, shared installations, return URLs, pushed access requests, webhooks"))
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

/// Text from the document for people: escaped, with `code` spans.
fn prose(text: &str) -> String {
    let mut html = String::new();
    for (i, part) in escape(text).split('`').enumerate() {
        if i % 2 == 1 {
            html.push_str(&format!("<code>{part}</code>"));
        } else {
            html.push_str(part);
        }
    }
    html
}

/// Where the example commands send requests: the reader sets it.
const BASE: &str = "$VOLTGATE";

/// The anchor of an operation: `op-get-api-chargers-id`.
pub fn operation_anchor(method: &str, path: &str) -> String {
    let slug: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("op-{}-{slug}", method.to_ascii_lowercase())
}

fn schema_anchor(name: &str) -> String {
    format!("schema-{}", escape(name))
}

/// The name a `$ref` points at (`#/components/schemas/Name` → `Name`).
fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// A schema's type for people, with links to named schemas.
fn type_html(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = ref_name(reference);
        return format!("<a href=\"#{}\">{}</a>", schema_anchor(name), escape(name));
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema.get(combinator).and_then(Value::as_array) {
            let words: Vec<String> = parts.iter().map(type_html).collect();
            let joiner = if combinator == "allOf" {
                " and "
            } else {
                " or "
            };
            return words.join(joiner);
        }
    }
    let mut kinds: Vec<String> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.clone()],
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    if kinds.is_empty() {
        kinds.push(if schema.get("properties").is_some() {
            "object".into()
        } else {
            "any".into()
        });
    }
    let nullable = kinds.iter().any(|kind| kind == "null")
        || schema.get("nullable") == Some(&Value::Bool(true));
    let words: Vec<String> = kinds
        .iter()
        .filter(|kind| *kind != "null")
        .map(|kind| match kind.as_str() {
            "array" => format!(
                "array of {}",
                schema.get("items").map_or("any".into(), type_html)
            ),
            other => match schema.get("format").and_then(Value::as_str) {
                Some(format) => format!("{} ({})", escape(other), escape(format)),
                None => escape(other),
            },
        })
        .collect();
    let mut text = if words.is_empty() {
        "null".to_owned()
    } else {
        words.join(" or ")
    };
    if nullable && !words.is_empty() {
        text.push_str(" or null");
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(|v| escape(&v.to_string())).collect();
        text.push_str(&format!(", one of {}", values.join(", ")));
    }
    let bound = |key: &str| schema.get(key).map(|v| escape(&v.to_string()));
    match (bound("minimum"), bound("maximum")) {
        (Some(min), Some(max)) => text.push_str(&format!(", {min} to {max}")),
        (Some(min), None) => text.push_str(&format!(", at least {min}")),
        (None, Some(max)) => text.push_str(&format!(", at most {max}")),
        (None, None) => {}
    }
    text
}

/// A schema's properties as a table (or its type, when it has none).
fn properties_html(schema: &Value, components: &Value, caption: &str) -> String {
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => components.get(ref_name(reference)).unwrap_or(schema),
        None => schema,
    };
    let Some(properties) = resolved.get("properties").and_then(Value::as_object) else {
        return format!("<p>{}</p>", type_html(schema));
    };
    let required: Vec<&str> = resolved
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut html = format!(
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Type</th>\
         <th scope=\"col\">Required</th><th scope=\"col\">Description</th></tr></thead><tbody>",
        escape(caption)
    );
    for (name, property) in properties {
        html.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            type_html(property),
            if required.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            },
            prose(
                property
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            )
        ));
    }
    html.push_str("</tbody></table>");
    html
}

/// An example value of a schema, for the curl commands.
fn example(schema: &Value, components: &Value, depth: usize) -> Value {
    if depth > 3 {
        return Value::Null;
    }
    if let Some(given) = schema.get("example") {
        return given.clone();
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return components
            .get(ref_name(reference))
            .map_or(Value::Null, |s| example(s, components, depth + 1));
    }
    if let Some(parts) = schema
        .get("oneOf")
        .or(schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        let part = parts.iter().find(|p| p.get("type") != Some(&json!("null")));
        return part.map_or(Value::Null, |p| example(p, components, depth + 1));
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or("null"),
        _ => "object",
    };
    match kind {
        "integer" => json!(schema
            .get("minimum")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .max(0)),
        "number" => json!(10),
        "boolean" => json!(true),
        "array" => json!([]),
        "string" => match schema.get("format").and_then(Value::as_str) {
            Some("uuid") => json!("00000000-0000-0000-0000-000000000000"),
            Some("date-time") => json!("2026-01-01T00:00:00"),
            _ => json!("…"),
        },
        "object" => {
            // The fields that are required or have an example, else all of them.
            let properties: Vec<(&String, &Value)> = schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .collect();
            let required = |name: &str| {
                schema
                    .get("required")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|n| n == name))
            };
            let chosen: Vec<&(&String, &Value)> = properties
                .iter()
                .filter(|(name, property)| required(name) || property.get("example").is_some())
                .collect();
            let chosen = if chosen.is_empty() {
                properties.iter().collect()
            } else {
                chosen
            };
            let fields = chosen.into_iter().map(|(name, property)| {
                ((*name).clone(), example(property, components, depth + 1))
            });
            Value::Object(fields.collect())
        }
        _ => Value::Null,
    }
}

/// Single-quoted for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// A curl command for an operation: required query parameters with example values, the token, and
/// an example body.
fn curl(method: &str, path: &str, operation: &Value, components: &Value) -> String {
    let parameters = operation
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut url = path.to_owned();
    let mut query = Vec::new();
    for parameter in &parameters {
        let name = parameter
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let schema = parameter.get("schema").cloned().unwrap_or(Value::Null);
        let value = match example(&schema, components, 0) {
            Value::String(text) => text,
            other => other.to_string(),
        };
        match parameter.get("in").and_then(Value::as_str) {
            Some("path") => url = url.replace(&format!("{{{name}}}"), &value),
            Some("query") if parameter.get("required") == Some(&Value::Bool(true)) => {
                query.push(format!("{name}={value}"))
            }
            _ => {}
        }
    }
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
    }
    let mut lines = vec![format!("curl -X {method} \"{BASE}{url}\"")];
    if operation.get("security").is_some() {
        lines.push("-H \"Authorization: Bearer $TOKEN\"".to_owned());
    }
    if let Some(content) = operation
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
    {
        if let Some((kind, media)) = content.iter().next() {
            let body = example(media.get("schema").unwrap_or(&Value::Null), components, 0);
            if kind == "application/x-www-form-urlencoded" {
                for (name, value) in body.as_object().into_iter().flatten() {
                    let value = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned);
                    lines.push(format!(
                        "--data-urlencode {}",
                        shell_quote(&format!("{name}={value}"))
                    ));
                }
            } else {
                lines.push(format!(
                    "-H {}",
                    shell_quote(&format!("Content-Type: {kind}"))
                ));
                lines.push(format!("-d {}", shell_quote(&body.to_string())));
            }
        }
    }
    lines.join(" \\\n  ")
}

/// The operations of the document, in its order: (method, path, operation).
pub fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(operation) = item.get(method) {
                found.push((method.to_ascii_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

/// What an answer means: its description, else the status's reason phrase.
fn meaning<'a>(status: &str, response: &'a Value) -> &'a str {
    match response.get("description").and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() => text,
        _ => status
            .parse::<u16>()
            .ok()
            .and_then(|code| axum::http::StatusCode::from_u16(code).ok())
            .and_then(|code| code.canonical_reason())
            .unwrap_or_default(),
    }
}

fn operation_html(method: &str, path: &str, operation: &Value, components: &Value) -> String {
    let anchor = operation_anchor(method, path);
    let mut html = format!(
        "<section id=\"{anchor}\" aria-labelledby=\"{anchor}-title\"><h2 id=\"{anchor}-title\"><code>{method} {}</code></h2>",
        escape(path)
    );
    for key in ["summary", "description"] {
        if let Some(text) = operation.get(key).and_then(Value::as_str) {
            if key == "description"
                && Some(text) == operation.get("summary").and_then(Value::as_str)
            {
                continue;
            }
            html.push_str(&format!("<p>{}</p>", prose(text)));
        }
    }
    html.push_str(if operation.get("security").is_some() {
        "<p>Needs a bearer token.</p>"
    } else {
        "<p>Needs no token.</p>"
    });
    let parameters = operation
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    html.push_str("<h3>Parameters</h3>");
    if parameters.is_empty() {
        html.push_str("<p>None.</p>");
    } else {
        html.push_str(
            "<table><caption>Parameters</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">In</th>\
             <th scope=\"col\">Type</th><th scope=\"col\">Required</th><th scope=\"col\">Description</th></tr></thead><tbody>",
        );
        for parameter in &parameters {
            let text = |key: &str| {
                parameter
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            };
            html.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(text("name")),
                escape(text("in")),
                type_html(parameter.get("schema").unwrap_or(&Value::Null)),
                if parameter.get("required") == Some(&Value::Bool(true)) {
                    "yes"
                } else {
                    "no"
                },
                prose(text("description"))
            ));
        }
        html.push_str("</tbody></table>");
    }
    html.push_str("<h3>Request body</h3>");
    match operation
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
    {
        Some(content) => {
            for (kind, media) in content {
                let schema = media.get("schema").unwrap_or(&Value::Null);
                html.push_str(&format!("<p><code>{}</code></p>", escape(kind)));
                html.push_str(&properties_html(schema, components, "Request body fields"));
            }
        }
        None => html.push_str("<p>None.</p>"),
    }
    html.push_str(
        "<h3>Responses</h3><table><caption>Responses</caption><thead><tr><th scope=\"col\">Status</th>\
         <th scope=\"col\">Meaning</th><th scope=\"col\">Body</th></tr></thead><tbody>",
    );
    for (status, response) in operation
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let schema = response.pointer("/content/application~1json/schema");
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(status),
            prose(meaning(status, response)),
            schema.map_or_else(|| "—".to_owned(), type_html)
        ));
    }
    html.push_str("</tbody></table>");
    html.push_str(&format!(
        "<h3>Example</h3><pre><code>{}</code></pre></section>",
        escape(&curl(method, path, operation, components))
    ));
    html
}

/// The document for people: a contents list, then every operation with its parameters, request
/// body, responses and a curl example, then every schema; all from the OpenAPI document.
pub fn render(doc: &Value) -> String {
    let components = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    let operations = operations(doc);
    let mut contents =
        String::from("<nav aria-labelledby=\"contents\"><h2 id=\"contents\">Operations</h2><ul>");
    let mut body = String::new();
    for (method, path, operation) in &operations {
        let summary = operation
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or_default();
        contents.push_str(&format!(
            "<li><a href=\"#{}\"><code>{method} {}</code></a> {}</li>",
            operation_anchor(method, path),
            escape(path),
            escape(summary)
        ));
        body.push_str(&operation_html(method, path, operation, &components));
    }
    contents.push_str("</ul></nav>");
    let mut schemas =
        String::from("<section aria-labelledby=\"schemas\"><h2 id=\"schemas\">Schemas</h2>");
    for (name, schema) in components.as_object().into_iter().flatten() {
        schemas.push_str(&format!(
            "<h3 id=\"{}\">{}</h3>",
            schema_anchor(name),
            escape(name)
        ));
        if let Some(text) = schema.get("description").and_then(Value::as_str) {
            schemas.push_str(&format!("<p>{}</p>", prose(text)));
        }
        schemas.push_str(&properties_html(
            schema,
            &components,
            &format!("Fields of {name}"),
        ));
    }
    schemas.push_str("</section>");
    let text = |pointer: &str| {
        doc.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main><h1>{title}</h1>\
         <p>{description}</p><p>The machine-readable document: <a href=\"/api/openapi.json\">/api/openapi.json</a>. \
         The examples read the server's address from <code>VOLTGATE</code> and a token from <code>TOKEN</code>: \
         <code>export VOLTGATE=https://voltgate.example TOKEN=$(curl -s \"$VOLTGATE/oauth/token\" \
         --data-urlencode grant_type=password --data-urlencode username=you@example.com \
         --data-urlencode password=… | jq -r .access_token)</code>.</p>\
         {contents}{body}{schemas}</main></body></html>",
        title = escape(text("/info/title")),
        description = escape(text("/info/description")),
    )
}

/// Every operation with its parameters, request body, responses and a curl example, for people;
/// rendered on the server from the OpenAPI document (no script, nothing fetched from elsewhere).
pub async fn docs() -> Html<String> {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    Html(render(&doc))
}
