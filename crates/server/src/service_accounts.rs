//! Creating a group's service account, the same for the portal and anything else that makes one: a
//! random secret, kept only as its SHA-256 (32 random bytes need no slow hash), shown once.

use chrono::Utc;
use voltgate_domain::authz::ManageGroup;
use voltgate_domain::Authorized;
use voltgate_store::{ServiceAccount, Store};

use crate::api::{new_token, token_hash};
use crate::error::AppError;

/// Creates a service account of the group `manage` names; answers it with its secret, which is not
/// kept anywhere and cannot be shown again.
pub async fn create(
    store: &dyn Store,
    manage: &Authorized<ManageGroup>,
    name: &str,
) -> Result<(ServiceAccount, String), AppError> {
    let secret = new_token();
    let account = store
        .create_service_account(manage, name, &token_hash(&secret), Utc::now())
        .await?;
    Ok((account, secret))
}
