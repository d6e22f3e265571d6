//! Pushed access requests: a partner sends the access link's parameters over the API and gets a short
//! link back (`/access/request/<key>?request=<id>`). The parameters live on the server, so nothing in
//! the link can be changed; the link lasts [`LINK_LIFETIME_DAYS`] and takes one decision.

use chrono::{DateTime, Duration, Utc};

use crate::access_request::{ParamError, RequestParams};
use crate::grant::{GrantRight, GrantRights};
use crate::ids::InstallationId;
use crate::return_url::{RegisteredReturnUrl, ReturnTarget};
use crate::text::check_line;

/// How long a pushed request's link works.
pub const LINK_LIFETIME_DAYS: i64 = 7;

/// The longest `state` kept (characters); it is handed back unchanged with the decision.
pub const MAX_STATE_CHARS: usize = 512;

/// When a link pushed at `now` stops working.
pub fn link_expires(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::days(LINK_LIFETIME_DAYS)
}

/// Why a pushed request was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PushRefused {
    /// One of the link's own parameters is wrong.
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error("state must be at most {MAX_STATE_CHARS} characters without control characters.")]
    State,
    #[error(
        "Unknown right {0:?}: use view, changeSettings, controlChargers or configureChargers."
    )]
    Right(String),
    #[error("until must be a date and time (RFC 3339) in the future.")]
    Until,
    #[error(
        "returnUrl is not registered for this group: register it first (POST /api/userGroups/{{id}}/returnUrls \
         or on the group page)."
    )]
    ReturnUrlNotRegistered,
    /// Neither an installation nor a return URL: nothing the group's plain access link does not say.
    #[error(
        "Name the installation (installationId) or where the owner returns after the decision \
         (returnUrl): a request with neither asks for nothing the group's access link does not."
    )]
    Empty,
    /// The installation is shared with the group already (the group sees it, so saying so reveals
    /// nothing).
    #[error(
        "The group already has access to this installation (GET /api/userGroups/{{id}}/installations \
         shows its rights); its owner changes them on the installation's Permissions tab."
    )]
    AlreadyShared,
}

/// A pushed request as the partner sends it, before it is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushedParams {
    pub installation_id: Option<InstallationId>,
    pub return_url: Option<String>,
    pub state: Option<String>,
    pub lang: Option<String>,
    pub partner_name: Option<String>,
}

impl PushedParams {
    /// The parameters as the access link's query would carry them: what the review page reads.
    pub fn as_query(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        if let Some(id) = self.installation_id {
            pairs.push(("installationId".to_owned(), id.to_string()));
        }
        if let Some(url) = &self.return_url {
            pairs.push(("returnUrl".to_owned(), url.clone()));
        }
        if let Some(name) = &self.partner_name {
            pairs.push(("partnerName".to_owned(), name.clone()));
        }
        if let Some(lang) = &self.lang {
            pairs.push(("lang".to_owned(), lang.clone()));
        }
        pairs
    }

    /// Checks the request against the link's rules and the group's registered return URLs: a
    /// `returnUrl` none of them admits is refused (a pushed request is made by the group itself, so
    /// it learns at once instead of the owner being told later), and so is a request that names
    /// neither an installation nor a return URL. The installation is a hint for the owner's review
    /// page: whether it exists is not checked here (the group could not tell otherwise).
    pub fn check(&self, registered: &[String]) -> Result<RequestParams, PushRefused> {
        if self
            .state
            .as_deref()
            .is_some_and(|s| s.chars().count() > MAX_STATE_CHARS || check_line(s).is_err())
        {
            return Err(PushRefused::State);
        }
        let params = RequestParams::parse(&self.as_query())?;
        if let Some(raw) = &params.return_url {
            let admitted = ReturnTarget::parse(raw).is_some_and(|target| {
                registered
                    .iter()
                    .filter_map(|url| RegisteredReturnUrl::parse(url).ok())
                    .any(|url| url.admits(&target))
            });
            if !admitted {
                return Err(PushRefused::ReturnUrlNotRegistered);
            }
        }
        if params.installation_id.is_none() && params.return_url.is_none() {
            return Err(PushRefused::Empty);
        }
        Ok(params)
    }
}

/// The rights asked for, from the API's words (`view`, `changeSettings`, `controlChargers`,
/// `configureChargers`, or the links' `settings`, `control`, `configure`): all of them when none are
/// named; seeing the installation always. Answers them as text to keep, as [`GrantRights`] prints them.
pub fn requested_rights(words: Option<&[String]>) -> Result<String, PushRefused> {
    let Some(words) = words else {
        return Ok(GrantRights::ALL.to_string());
    };
    let mut rights = GrantRights::VIEW;
    for word in words {
        if word.trim().eq_ignore_ascii_case("view") {
            continue;
        }
        let right =
            GrantRight::named(word.trim()).ok_or_else(|| PushRefused::Right(word.clone()))?;
        rights = rights.with(right);
    }
    Ok(rights.to_string())
}

/// The end of the access asked for: an RFC 3339 time after `now`.
pub fn grant_until(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, PushRefused> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|at| at.with_timezone(&Utc))
        .ok()
        .filter(|at| *at > now)
        .ok_or(PushRefused::Until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered() -> Vec<String> {
        vec!["https://partner.example/done".to_owned()]
    }

    #[test]
    fn a_return_url_the_group_did_not_register_is_refused() {
        let mut params = PushedParams {
            return_url: Some("https://evil.example/done".into()),
            ..Default::default()
        };
        assert_eq!(
            params.check(&registered()),
            Err(PushRefused::ReturnUrlNotRegistered)
        );
        params.return_url = Some("https://partner.example/done".into());
        assert!(params.check(&registered()).is_ok());
        params.return_url = None;
        params.installation_id = Some(InstallationId::random());
        assert!(params.check(&[]).is_ok(), "no returnUrl: the receipt");
    }

    #[test]
    fn a_request_that_names_neither_installation_nor_return_url_is_refused() {
        let mut params = PushedParams {
            state: Some("abc".into()),
            partner_name: Some("Acme".into()),
            lang: Some("en".into()),
            ..Default::default()
        };
        assert_eq!(params.check(&registered()), Err(PushRefused::Empty));
        assert_eq!(PushedParams::default().check(&[]), Err(PushRefused::Empty));
        params.return_url = Some("https://partner.example/done".into());
        assert!(params.check(&registered()).is_ok());
    }

    #[test]
    fn state_is_opaque_but_bounded() {
        let at_most = PushedParams {
            state: Some("é".repeat(MAX_STATE_CHARS)),
            installation_id: Some(InstallationId::random()),
            ..Default::default()
        };
        assert!(at_most.check(&[]).is_ok());
        for bad in ["x".repeat(MAX_STATE_CHARS + 1), "a\nb".to_owned()] {
            let params = PushedParams {
                state: Some(bad),
                ..Default::default()
            };
            assert_eq!(params.check(&[]), Err(PushRefused::State));
        }
    }

    #[test]
    fn the_links_own_rules_apply() {
        let params = PushedParams {
            partner_name: Some("x".repeat(101)),
            ..Default::default()
        };
        assert_eq!(
            params.check(&[]),
            Err(PushRefused::Param(ParamError::PartnerName))
        );
    }

    #[test]
    fn rights_default_to_all_and_always_include_seeing() {
        assert_eq!(
            requested_rights(None).unwrap(),
            "view,settings,control,configure"
        );
        assert_eq!(
            requested_rights(Some(&["CONTROLCHARGERS".into(), "view".into()])).unwrap(),
            "view,control"
        );
        assert_eq!(requested_rights(Some(&[])).unwrap(), "view");
        assert!(matches!(
            requested_rights(Some(&["everything".into()])),
            Err(PushRefused::Right(_))
        ));
    }

    #[test]
    fn until_is_in_the_future() {
        let now = Utc::now();
        assert!(grant_until("2999-01-01T00:00:00Z", now).is_ok());
        assert_eq!(
            grant_until("2000-01-01T00:00:00Z", now),
            Err(PushRefused::Until)
        );
        assert_eq!(grant_until("tomorrow", now), Err(PushRefused::Until));
    }

    #[test]
    fn links_last_seven_days() {
        let now = Utc::now();
        assert_eq!(link_expires(now) - now, Duration::days(7));
    }
}
