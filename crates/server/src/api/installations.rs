//! `GET /api/installation`, `/api/installation/{id}`, `/api/installation/{id}/hierarchy` and
//! `POST /api/installation/{id}/update`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use voltgate_domain::authz::rules::{may_change_max_current, zaptec_roles};
use voltgate_domain::authz::{ChangeSettings, ViewInstallation};
use voltgate_domain::zaptec::{InstallationUpdate, UpdateRefused};
use voltgate_domain::{AvailableCurrent, InstallationAccess, InstallationId};
use voltgate_store::Installation;

use super::zaptec::{self, bad_request, path_id, timestamp, Page, Paging};
use super::{ApiUser, Json, Query};
use crate::error::{ApiError, AppError};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/installation", get(list))
        .route("/installation/{id}", get(show))
        .route("/installation/{id}/hierarchy", get(hierarchy))
        .route("/installation/{id}/update", post(update))
}

/// One installation as Zaptec shows it. With `ReturnIdNameOnly=true` only `Id` and `Name` are given.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct InstallationView {
    pub id: Uuid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 0 Pro, 1 Smart (Go/Home).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installation_type: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_current: Option<f64>,
    /// The current available to all phases alike; null when set per phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_current: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_current_phase1: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_current_phase2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_current_phase3: Option<f64>,
    /// 0: the available current is set by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_current_mode: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_required_authentication: Option<bool>,
    /// 3 TN_1_Phase, 4 TN_3_Phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_type: Option<i32>,
    /// The caller's roles: User 1, Owner 2, Maintainer 4 (a group's grant), Administrator 8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_user_roles: Option<u32>,
    /// 0 Native.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_type: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_on_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_on: Option<String>,
}

impl InstallationView {
    fn full(installation: &Installation, access: &InstallationAccess) -> Self {
        let settings = &installation.settings;
        let [p1, p2, p3] = settings.available_current.phases();
        let all = match settings.available_current {
            AvailableCurrent::AllPhases(all) => Some(all.get()),
            AvailableCurrent::PerPhase(_) => None,
        };
        Self {
            id: installation.id.as_uuid(),
            name: installation.name.clone(),
            address: Some(installation.address.clone()),
            installation_type: Some(zaptec::installation_type(installation.installation_type)),
            active: Some(true),
            max_current: Some(settings.max_current.get()),
            available_current: all,
            available_current_phase1: Some(p1.get()),
            available_current_phase2: Some(p2.get()),
            available_current_phase3: Some(p3.get()),
            available_current_mode: Some(0),
            is_required_authentication: Some(settings.authentication_required),
            network_type: Some(zaptec::network_type(settings.phases.count())),
            current_user_roles: Some(zaptec_roles(access)),
            authentication_type: Some(0),
            created_on_date: Some(timestamp(installation.created_at)),
            updated_on: Some(timestamp(installation.updated_at)),
        }
    }

    fn id_name(installation: &Installation) -> Self {
        Self {
            id: installation.id.as_uuid(),
            name: installation.name.clone(),
            address: None,
            installation_type: None,
            active: None,
            max_current: None,
            available_current: None,
            available_current_phase1: None,
            available_current_phase2: None,
            available_current_phase3: None,
            available_current_mode: None,
            is_required_authentication: None,
            network_type: None,
            current_user_roles: None,
            authentication_type: None,
            created_on_date: None,
            updated_on: None,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Keep installations where the caller's roles share a bit with this mask.
    #[param(rename = "Roles")]
    roles: Option<u32>,
    #[param(rename = "PageIndex")]
    pageindex: Option<i64>,
    #[param(rename = "PageSize")]
    pagesize: Option<i64>,
    #[param(rename = "ReturnIdNameOnly")]
    returnidnameonly: Option<bool>,
}

/// The installations the caller may see, by name.
#[utoipa::path(get, path = "/api/installation", tag = "zaptec", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<InstallationView>), (status = 400, description = "Invalid paging"), (status = 401, description = "No valid token")))]
pub async fn list(
    State(app): State<AppState>,
    caller: ApiUser,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Page<InstallationView>>, ApiError> {
    let paging = Paging::parse(query.pageindex, query.pagesize)?;
    let visible = app.visible_installations(&caller.principal()).await?;
    let rows: Vec<InstallationView> = visible
        .iter()
        .filter(|(_, cap)| {
            query
                .roles
                .is_none_or(|mask| zaptec_roles(cap.facts()) & mask != 0)
        })
        .map(|(installation, cap)| {
            if query.returnidnameonly == Some(true) {
                InstallationView::id_name(installation)
            } else {
                InstallationView::full(installation, cap.facts())
            }
        })
        .collect();
    Ok(axum::Json(paging.page(rows)))
}

/// One installation.
#[utoipa::path(get, path = "/api/installation/{id}", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The installation")), security(("bearer" = [])),
    responses((status = 200, body = InstallationView), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown, or no relation to it")))]
pub async fn show(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<axum::Json<InstallationView>, ApiError> {
    let id: InstallationId = path_id(&id)?;
    let (installation, cap) = super::installation::<ViewInstallation>(&app, &caller, id).await?;
    Ok(axum::Json(InstallationView::full(
        &installation,
        cap.facts(),
    )))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HierarchyCharger {
    pub id: Uuid,
    pub device_id: String,
    pub name: String,
    pub active: bool,
    pub device_type: i32,
}

/// The installation's one circuit.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Circuit {
    pub id: Uuid,
    pub name: String,
    pub max_current: f64,
    pub is_active: bool,
    pub installation_id: Uuid,
    pub installation_name: String,
    pub chargers: Vec<HierarchyCharger>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Hierarchy {
    pub id: Uuid,
    pub name: String,
    pub network_type: i32,
    pub circuits: Vec<Circuit>,
}

/// The installation's circuits and chargers; 204 without access (as Zaptec answers once access was
/// revoked).
#[utoipa::path(get, path = "/api/installation/{id}/hierarchy", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The installation")), security(("bearer" = [])),
    responses((status = 200, body = Hierarchy), (status = 204, description = "No access (any more)"), (status = 401, description = "No valid token")))]
pub async fn hierarchy(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Ok(id) = id.parse::<InstallationId>() else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let installation = match app
        .installation::<ViewInstallation>(&caller.principal(), id)
        .await
    {
        Ok((installation, _)) => installation,
        Err(AppError::NotFound | AppError::Forbidden) => {
            return Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(other) => return Err(other.into()),
    };
    let device_type = zaptec::device_type(installation.installation_type);
    let chargers = app.store.charger_list(id).await?;
    let circuit = Circuit {
        id: installation.id.as_uuid(),
        name: installation.name.clone(),
        max_current: installation.settings.max_current.get(),
        is_active: true,
        installation_id: installation.id.as_uuid(),
        installation_name: installation.name.clone(),
        chargers: chargers
            .into_iter()
            .map(|charger| HierarchyCharger {
                id: charger.id.as_uuid(),
                device_id: charger.identity,
                name: charger.name,
                active: true,
                device_type,
            })
            .collect(),
    };
    Ok(axum::Json(Hierarchy {
        id: installation.id.as_uuid(),
        name: installation.name,
        network_type: zaptec::network_type(installation.settings.phases.count()),
        circuits: vec![circuit],
    })
    .into_response())
}

/// `POST /api/installation/{id}/update`; keys in any case.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct UpdateBody {
    /// Amperes for all phases, capped at `MaxCurrent`; negative clears the override.
    #[schema(rename = "AvailableCurrent")]
    availablecurrent: Option<f64>,
    #[schema(rename = "AvailableCurrentPhase1")]
    availablecurrentphase1: Option<f64>,
    #[schema(rename = "AvailableCurrentPhase2")]
    availablecurrentphase2: Option<f64>,
    #[schema(rename = "AvailableCurrentPhase3")]
    availablecurrentphase3: Option<f64>,
    /// The fuse; owners and administrators only.
    #[schema(rename = "MaxCurrent")]
    maxcurrent: Option<f64>,
}

/// Changes the available current (all phases or each) or, for owners and admins, the maximum; the
/// chargers are rebalanced as after the portal's settings form.
#[utoipa::path(post, path = "/api/installation/{id}/update", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The installation")), request_body = UpdateBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Saved"), (status = 400, description = "Invalid values (code 529)"), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown, or no relation to it")))]
pub async fn update(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Json(body): Json<UpdateBody>,
) -> Result<StatusCode, ApiError> {
    let id: InstallationId = path_id(&id)?;
    let (installation, change) = super::installation::<ChangeSettings>(&app, &caller, id).await?;
    let update = InstallationUpdate {
        available_current: body.availablecurrent,
        phases: [
            body.availablecurrentphase1,
            body.availablecurrentphase2,
            body.availablecurrentphase3,
        ],
        max_current: body.maxcurrent,
    };
    let settings = update
        .apply(
            &installation.settings,
            may_change_max_current(change.facts()),
        )
        .map_err(|refused| match refused {
            UpdateRefused::Invalid(message) => bad_request(529, message),
            UpdateRefused::MaxCurrentForbidden => ApiError(AppError::Forbidden),
        })?;
    app.store.update_settings(&change, &settings).await?;
    app.charging.rebalance(id);
    Ok(StatusCode::OK)
}
