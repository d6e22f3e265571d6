//! What every portal page shows around its content: title, navigation, the CSRF token for its forms.

use tower_sessions::Session;
use voltgate_store::User;

use super::session::csrf_token;
use crate::error::AppError;
use crate::state::AppState;

/// The frame of a page.
pub struct Layout {
    pub title: String,
    pub user: Option<User>,
    /// This session's CSRF token, for the hidden field of every form on the page.
    pub csrf: String,
    /// The User groups tab appears only for users who own a group.
    pub groups_tab: bool,
}

impl Layout {
    /// The frame for `user` (or a visitor) on a page titled `title`.
    pub async fn new(
        app: &AppState,
        session: &Session,
        user: Option<&User>,
        title: impl Into<String>,
    ) -> Result<Self, AppError> {
        let groups_tab = match user {
            Some(user) => app.store.owns_a_group(user.id).await?,
            None => false,
        };
        Ok(Self {
            title: title.into(),
            user: user.cloned(),
            csrf: csrf_token(session).await?,
            groups_tab,
        })
    }
}
