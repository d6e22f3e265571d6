//! `/ocpp/{identity}`: where chargers connect (OCPP 1.6J over WebSocket, HTTP Basic auth).

use std::future::Future;
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use axum::extract::{Path, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use voltgate_domain::ChargePointIdentity;
use voltgate_ocpp::{
    run_session, CentralSystem, ChargerRef, Registry, SessionConfig, WsIn, WsOut, SUBPROTOCOL,
};

use crate::charging::secrets;
use crate::error::AppError;
use crate::state::AppState;

/// Every connection holds its whole read buffer for its whole life (tungstenite zeroes it to read into
/// it), so it is small: 1 KiB instead of tungstenite's 128 KiB. Heartbeats, statuses and most meter
/// values are a few hundred bytes; room for a larger message is reserved when its header arrives,
/// and it is read 1 KiB at a time.
const READ_BUFFER: usize = 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/ocpp/{identity}", get(connect))
}

fn refuse(status: StatusCode, reason: &'static str) -> Response {
    (status, reason).into_response()
}

fn unauthorized() -> Response {
    let mut response = refuse(
        StatusCode::UNAUTHORIZED,
        "unknown charge point or wrong password",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Basic realm=\"voltgate OCPP\""),
    );
    response
}

/// `(user, password)` from an `Authorization: Basic …` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn offers_ocpp16(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case(SUBPROTOCOL))
}

async fn connect(
    State(app): State<AppState>,
    Path(identity): Path<String>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let Ok(identity) = ChargePointIdentity::parse(&identity) else {
        return Ok(refuse(
            StatusCode::BAD_REQUEST,
            "the charge point identity must be 1-48 printable ASCII characters",
        ));
    };
    if !offers_ocpp16(&headers) {
        return Ok(refuse(
            StatusCode::BAD_REQUEST,
            "this central system speaks the WebSocket subprotocol ocpp1.6 only",
        ));
    }
    let Some((user, password)) = basic_credentials(&headers) else {
        return Ok(unauthorized());
    };
    let charger = match app.store.charger_credentials(identity.as_str()).await? {
        Some((charger, hash)) if user == identity.as_str() && secrets::verify(&password, &hash) => {
            charger
        }
        _ => {
            tracing::warn!(charger = %identity, "refused a charger connection: unknown identity or wrong password");
            return Ok(unauthorized());
        }
    };
    let charger = ChargerRef {
        id: charger.id,
        identity,
        installation: charger.installation_id,
        connectors: charger.connectors.max(0) as u32,
    };
    // The transport takes messages up to the largest StopTransaction; the session holds every other
    // message to the tighter limit.
    let largest = app.sessions.max_stop_transaction;
    let upgrade = upgrade
        .protocols([SUBPROTOCOL])
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(largest)
        .max_frame_size(largest);
    // The connection's task keeps what its closure captures for as long as it runs: one box, not
    // the whole application state.
    let connection = Box::new(Connection {
        charger,
        registry: app.registry.clone(),
        central: app.central.clone(),
        config: app.sessions,
    });
    Ok(upgrade
        .on_upgrade(move |socket| serve(*connection, socket))
        .into_response())
}

/// What a charger's connection needs for its session.
struct Connection {
    charger: ChargerRef,
    registry: Arc<Registry>,
    central: Arc<dyn CentralSystem>,
    config: SessionConfig,
}

/// Whether the transport refused a message for its size.
fn too_big(error: &axum::Error) -> bool {
    use std::error::Error as _;
    use tokio_tungstenite::tungstenite::error::{CapacityError, Error};
    matches!(
        error.source().and_then(|e| e.downcast_ref::<Error>()),
        Some(Error::Capacity(CapacityError::MessageTooLong { .. }))
    )
}

/// The session over the socket. Not an `async fn`: the socket is split before the future is made, so
/// the future (kept for the connection's whole life) holds the two halves, not the socket too.
fn serve(connection: Connection, socket: WebSocket) -> impl Future<Output = ()> {
    let (sink, stream) = socket.split();
    let sink = sink.with(|out: WsOut| async move {
        Ok::<_, axum::Error>(match out {
            WsOut::Text(text) => Message::Text(text.into()),
            WsOut::Ping => Message::Ping(Default::default()),
            WsOut::Close(reason) => Message::Close(Some(CloseFrame {
                code: reason.code(),
                reason: Utf8Bytes::default(),
            })),
        })
    });
    let stream = stream.filter_map(|message| async move {
        match message {
            Ok(Message::Text(text)) => Some(WsIn::Text(text.into())),
            Ok(Message::Binary(_)) => Some(WsIn::Binary),
            Ok(Message::Close(_)) => Some(WsIn::Close),
            Err(error) if too_big(&error) => Some(WsIn::TooBig),
            Err(_) => Some(WsIn::Close),
            Ok(_) => None,
        }
    });
    run_session(
        connection.charger,
        Box::pin(sink),
        Box::pin(stream),
        connection.registry,
        connection.central,
        connection.config,
    )
}
