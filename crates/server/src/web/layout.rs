//! What every portal page shows around its content: title, navigation, language switch, and the CSRF
//! token for its forms.

use voltgate_store::User;

use super::session::{csrf_token, Visit};
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;

/// One entry of the language switch.
pub struct LangLink {
    pub name: &'static str,
    pub code: &'static str,
    pub current: bool,
}

/// The frame of a page.
pub struct Layout {
    pub title: String,
    pub user: Option<User>,
    /// This session's CSRF token, for the hidden field of every form on the page.
    pub csrf: String,
    /// The User groups tab: always there for people logged in (its page explains what a group is for).
    pub groups_tab: bool,
    /// The page's language.
    pub tr: Tr,
    pub languages: Vec<LangLink>,
    /// Where the language switch comes back to: this page, without a `lang` parameter (the choice
    /// made with the switch wins over the link's).
    pub back_here: String,
    /// `?lang=xx` when the page's link asked for a language, for the actions of its forms, so that the
    /// answer to a form speaks the same language; else empty.
    pub keep_lang: String,
}

/// `here` without its `lang` parameter, other parameters kept.
fn without_lang(here: &str) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    pairs.retain(|(key, _)| key != "lang");
    if pairs.is_empty() {
        return path.to_owned();
    }
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

impl Layout {
    /// The frame for `user` (or a visitor) on a page titled `title`.
    pub async fn new(
        app: &AppState,
        visit: &Visit,
        user: Option<&User>,
        title: impl Into<String>,
    ) -> Result<Self, AppError> {
        let groups_tab = user.is_some();
        let languages = Lang::ALL
            .into_iter()
            .map(|lang| LangLink {
                name: lang.name(),
                code: lang.code(),
                current: lang == visit.lang,
            })
            .collect();
        Ok(Self {
            title: title.into(),
            user: user.cloned(),
            csrf: csrf_token(app, visit).await?,
            groups_tab,
            tr: Tr(visit.lang),
            languages,
            back_here: without_lang(&visit.here),
            keep_lang: visit
                .asked_lang
                .map(|lang| format!("?lang={}", lang.code()))
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_keeps_the_page_and_its_parameters() {
        assert_eq!(without_lang("/login?lang=de"), "/login");
        assert_eq!(
            without_lang("/access/request/ABCD?partnerName=A+B&lang=en"),
            "/access/request/ABCD?partnerName=A+B"
        );
    }
}
