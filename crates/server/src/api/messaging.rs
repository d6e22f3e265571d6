//! `GET /api/installation/{id}/messagingConnectionDetails` and
//! `GET /api/userGroups/{id}/messagingConnectionDetails`: Zaptec hands out Azure Service Bus
//! credentials here. voltgate has no service bus, so after the usual check a caller who may see the
//! installation (or belongs to the group) hears that, as a 403 with code 526 (FeatureNotEnabled):
//! pyzaptec and the Home Assistant integration read a 403 as "no streaming" and go on polling. Anyone
//! else gets the plain 403 every API route answers, without data.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use voltgate_domain::authz::{ViewGroup, ViewInstallation};
use voltgate_domain::{GroupId, InstallationId};

use super::zaptec::path_id;
use super::ApiUser;
use crate::error::{ApiError, AppError};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/installation/{id}/messagingconnectiondetails",
            get(installation_details),
        )
        .route(
            "/usergroups/{id}/messagingconnectiondetails",
            get(group_details),
        )
}

/// What a caller with access hears: streaming is not offered.
fn not_offered() -> ApiError {
    ApiError(AppError::Coded {
        status: StatusCode::FORBIDDEN,
        code: 526,
        details: "voltgate offers no service bus (streaming): poll the REST API instead.".into(),
    })
}

/// Service bus credentials of an installation (deprecated at Zaptec): voltgate has none.
#[utoipa::path(get, path = "/api/installation/{id}/messagingConnectionDetails", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The installation")), security(("bearer" = [])),
    responses((status = 401, description = "No valid token"), (status = 403, description = "Streaming is not offered (code 526) to those who may see the installation; no right or no relation to it (code 533) to others"), (status = 404, description = "Not an id")))]
pub async fn installation_details(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> ApiError {
    let id: InstallationId = match path_id(&id) {
        Ok(id) => id,
        Err(error) => return error,
    };
    match super::installation::<ViewInstallation>(&app, &caller, id).await {
        Ok(_) => not_offered(),
        Err(error) => error,
    }
}

/// Service bus credentials of a user group: voltgate has none.
#[utoipa::path(get, path = "/api/userGroups/{id}/messagingConnectionDetails", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The user group")), security(("bearer" = [])),
    responses((status = 401, description = "No valid token"), (status = 403, description = "Streaming is not offered (code 526) to the group's members; not a member (code 533) to others"), (status = 404, description = "Not an id")))]
pub async fn group_details(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> ApiError {
    let id: GroupId = match path_id(&id) {
        Ok(id) => id,
        Err(error) => return error,
    };
    match app.group::<ViewGroup>(&caller.principal(), id).await {
        Ok(_) => not_offered(),
        Err(error) => super::hidden(error),
    }
}
