//! The access-request link (`/access/request/<lookup_key>?…`): its parameters, and which installations
//! the person reviewing it may pick.

use crate::ids::InstallationId;
use crate::installation::InstallationType;
use crate::return_url::ReturnTarget;
use crate::text::check_line;

/// Why a link's parameter was refused; each names the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("installationId must be an installation id (a UUID).")]
    InstallationId,
    #[error("installationtype must be 1 (Go/Home) or 0 (Pro).")]
    InstallationType,
    #[error("showExisting must be true or false.")]
    ShowExisting,
    #[error(
        "partnerName must be at most {} characters without control characters.",
        PartnerName::MAX_CHARS
    )]
    PartnerName,
    #[error(
        "returnUrl must be a web address of at most 2048 characters without control characters."
    )]
    ReturnUrl,
}

/// The requester's own label for itself, shown before login — never trusted as the group's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerName(String);

impl PartnerName {
    /// The longest label shown.
    pub const MAX_CHARS: usize = 100;

    /// A trimmed label of 1–100 characters without control characters; empty means none.
    pub fn parse(raw: &str) -> Result<Option<Self>, ParamError> {
        let name = raw.trim();
        if name.is_empty() {
            return Ok(None);
        }
        if name.chars().count() > Self::MAX_CHARS || check_line(name).is_err() {
            return Err(ParamError::PartnerName);
        }
        Ok(Some(Self(name.to_owned())))
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A link's parameters, checked. The lookup key is handled separately (it names the group).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestParams {
    pub partner_name: Option<PartnerName>,
    pub installation_id: Option<InstallationId>,
    /// Which kind of installation to list: Go/Home unless `installationtype=0`.
    pub installation_type: Option<InstallationType>,
    /// The raw `returnUrl`, kept to report and audit; followed only if a registered URL admits it.
    pub return_url: Option<String>,
    pub show_existing: bool,
}

/// The query parameter named `name`, matched case-insensitively (Zaptec's input is); the first wins.
pub fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

impl RequestParams {
    /// Checks the parameters of a link; unknown parameters are ignored.
    pub fn parse(query: &[(String, String)]) -> Result<Self, ParamError> {
        let partner_name = PartnerName::parse(param(query, "partnerName").unwrap_or_default())?;
        let installation_id = match param(query, "installationId")
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(raw) => Some(raw.parse().map_err(|_| ParamError::InstallationId)?),
            None => None,
        };
        let installation_type = match param(query, "installationtype").map(str::trim) {
            None | Some("") => None,
            Some("1") => Some(InstallationType::Go),
            Some("0") => Some(InstallationType::Pro),
            Some(_) => return Err(ParamError::InstallationType),
        };
        let show_existing = match param(query, "showExisting")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("") | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(ParamError::ShowExisting),
        };
        let return_url = param(query, "returnUrl")
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if return_url.is_some_and(|url| url.len() > 2048 || check_line(url).is_err()) {
            return Err(ParamError::ReturnUrl);
        }
        Ok(Self {
            partner_name,
            installation_id,
            installation_type,
            return_url: return_url.map(str::to_owned),
            show_existing,
        })
    }

    /// The `returnUrl`, if it is a followable web address at all.
    pub fn return_target(&self) -> Option<ReturnTarget> {
        self.return_url.as_deref().and_then(ReturnTarget::parse)
    }
}

/// An installation the reviewer owns or administers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: InstallationId,
    pub installation_type: InstallationType,
    /// The group already holds a grant on it.
    pub already_granted: bool,
}

/// How an installation appears in the picker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Can be picked.
    Grantable,
    /// Shown greyed: the group already has access (only with `showExisting=true`).
    AlreadyGranted,
}

/// Why there is nothing to pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NothingToGrant {
    /// The reviewer owns or administers no installation (of the requested kind).
    NoInstallations,
    /// The group already has access to every one of them.
    AllGranted,
    /// Pro installations are offered only when the link names one with `installationId`.
    ProNeedsInstallationId,
}

/// What the review page offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picker {
    pub choices: Vec<(InstallationId, Choice)>,
    pub preselected: Option<InstallationId>,
    /// The link named an installation the reviewer cannot grant (unknown, not theirs, or filtered out).
    pub named_not_grantable: bool,
    pub nothing: Option<NothingToGrant>,
}

/// Whether a link with these parameters offers an installation of this kind: Go/Home ones unless the
/// link asks for Pro, Pro ones only when the link names them with `installationId`. A decision is
/// held to this too, however the form was posted.
pub fn offered(id: InstallationId, kind: InstallationType, params: &RequestParams) -> bool {
    let named = params.installation_id == Some(id);
    match kind {
        InstallationType::Pro => named,
        InstallationType::Go => params.installation_type != Some(InstallationType::Pro) || named,
    }
}

/// Decides the picker: Go/Home installations by default, Pro ones only when named by `installationId`;
/// already-granted ones hidden unless `showExisting`; the named one pre-selected if it can be picked.
pub fn picker(candidates: &[Candidate], params: &RequestParams) -> Picker {
    let wanted = params.installation_type.unwrap_or(InstallationType::Go);
    let of_kind: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| offered(c.id, c.installation_type, params))
        .collect();
    let choices: Vec<(InstallationId, Choice)> = of_kind
        .iter()
        .filter(|c| params.show_existing || !c.already_granted)
        .map(|c| {
            (
                c.id,
                if c.already_granted {
                    Choice::AlreadyGranted
                } else {
                    Choice::Grantable
                },
            )
        })
        .collect();
    let grantable = |id: InstallationId| choices.contains(&(id, Choice::Grantable));
    let preselected = params.installation_id.filter(|id| grantable(*id));
    let named_not_grantable = params.installation_id.is_some() && preselected.is_none();
    let nothing = if choices
        .iter()
        .any(|(_, choice)| *choice == Choice::Grantable)
    {
        None
    } else if wanted == InstallationType::Pro && params.installation_id.is_none() {
        Some(NothingToGrant::ProNeedsInstallationId)
    } else if of_kind.is_empty() {
        Some(NothingToGrant::NoInstallations)
    } else {
        Some(NothingToGrant::AllGranted)
    };
    Picker {
        choices,
        preselected,
        named_not_grantable,
        nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn candidate(kind: InstallationType, granted: bool) -> Candidate {
        Candidate {
            id: InstallationId::random(),
            installation_type: kind,
            already_granted: granted,
        }
    }

    #[test]
    fn parses_every_parameter_case_insensitively() {
        let id = InstallationId::random().to_string();
        let params = RequestParams::parse(&query(&[
            ("partnerName", " Acme Energy "),
            ("installationid", &id),
            ("installationType", "0"),
            ("returnUrl", "https://acme.example/cb"),
            ("showexisting", "TRUE"),
            ("unknown", "ignored"),
        ]))
        .unwrap();
        assert_eq!(
            params.partner_name.as_ref().unwrap().as_str(),
            "Acme Energy"
        );
        assert_eq!(params.installation_id.unwrap().to_string(), id);
        assert_eq!(params.installation_type, Some(InstallationType::Pro));
        assert!(params.show_existing);
        assert!(params.return_target().is_some());
        assert_eq!(RequestParams::parse(&[]).unwrap(), RequestParams::default());
    }

    #[test]
    fn malformed_parameters_name_themselves() {
        let cases = [
            (("installationId", "42"), ParamError::InstallationId),
            (("installationtype", "2"), ParamError::InstallationType),
            (("showExisting", "yes"), ParamError::ShowExisting),
            (("partnerName", "Acme\u{0}"), ParamError::PartnerName),
            (("partnerName", "Acme\u{202E}"), ParamError::PartnerName),
            (("partnerName", "\u{200B}"), ParamError::PartnerName),
            (
                ("returnUrl", "https://acme.example/\u{0}"),
                ParamError::ReturnUrl,
            ),
        ];
        for ((name, value), error) in cases {
            assert_eq!(RequestParams::parse(&query(&[(name, value)])), Err(error));
        }
        let long = "x".repeat(101);
        assert_eq!(
            RequestParams::parse(&query(&[("partnerName", &long)])),
            Err(ParamError::PartnerName)
        );
        assert!(RequestParams::parse(&query(&[("partnerName", &"x".repeat(100))])).is_ok());
    }

    #[test]
    fn an_unusable_return_url_is_kept_but_not_followable() {
        let params = RequestParams::parse(&query(&[("returnUrl", "javascript:alert(1)")])).unwrap();
        assert_eq!(params.return_url.as_deref(), Some("javascript:alert(1)"));
        assert!(params.return_target().is_none());
    }

    #[test]
    fn go_installations_by_default_and_granted_ones_hidden() {
        let free = candidate(InstallationType::Go, false);
        let granted = candidate(InstallationType::Go, true);
        let pro = candidate(InstallationType::Pro, false);
        let all = [free.clone(), granted.clone(), pro.clone()];
        let shown = picker(&all, &RequestParams::default());
        assert_eq!(shown.choices, vec![(free.id, Choice::Grantable)]);
        assert_eq!((shown.preselected, shown.nothing), (None, None));
        let existing = picker(
            &all,
            &RequestParams {
                show_existing: true,
                ..RequestParams::default()
            },
        );
        assert_eq!(
            existing.choices,
            vec![
                (free.id, Choice::Grantable),
                (granted.id, Choice::AlreadyGranted)
            ]
        );
    }

    #[test]
    fn pro_installations_only_when_named() {
        let pro = candidate(InstallationType::Pro, false);
        let go = candidate(InstallationType::Go, false);
        let all = [pro.clone(), go.clone()];
        let unnamed = picker(
            &all,
            &RequestParams {
                installation_type: Some(InstallationType::Pro),
                ..RequestParams::default()
            },
        );
        assert_eq!(
            unnamed.nothing,
            Some(NothingToGrant::ProNeedsInstallationId)
        );
        assert!(unnamed.choices.is_empty());
        let named = RequestParams {
            installation_type: Some(InstallationType::Pro),
            installation_id: Some(pro.id),
            ..RequestParams::default()
        };
        let shown = picker(&all, &named);
        assert_eq!(
            (shown.choices, shown.preselected),
            (vec![(pro.id, Choice::Grantable)], Some(pro.id))
        );
        let by_id_alone = picker(
            &all,
            &RequestParams {
                installation_id: Some(pro.id),
                ..RequestParams::default()
            },
        );
        assert!(
            by_id_alone.choices.contains(&(pro.id, Choice::Grantable))
                && by_id_alone.preselected == Some(pro.id)
        );
    }

    #[test]
    fn a_pro_installation_is_offered_only_when_named() {
        let (pro, go) = (InstallationId::random(), InstallationId::random());
        let plain = RequestParams::default();
        assert!(
            !offered(pro, InstallationType::Pro, &plain),
            "not from a link without installationId"
        );
        assert!(offered(go, InstallationType::Go, &plain));
        let naming = RequestParams {
            installation_id: Some(pro),
            ..RequestParams::default()
        };
        assert!(offered(pro, InstallationType::Pro, &naming));
        let asking_pro = RequestParams {
            installation_type: Some(InstallationType::Pro),
            ..RequestParams::default()
        };
        assert!(!offered(go, InstallationType::Go, &asking_pro));
        assert!(!offered(pro, InstallationType::Pro, &asking_pro));
    }

    #[test]
    fn says_why_nothing_can_be_granted() {
        assert_eq!(
            picker(&[], &RequestParams::default()).nothing,
            Some(NothingToGrant::NoInstallations)
        );
        let granted = [candidate(InstallationType::Go, true)];
        assert_eq!(
            picker(&granted, &RequestParams::default()).nothing,
            Some(NothingToGrant::AllGranted)
        );
        let shown = picker(
            &granted,
            &RequestParams {
                show_existing: true,
                ..RequestParams::default()
            },
        );
        assert_eq!(shown.nothing, Some(NothingToGrant::AllGranted));
    }

    #[test]
    fn a_named_installation_that_cannot_be_granted_is_reported() {
        let mine = candidate(InstallationType::Go, false);
        let foreign = InstallationId::random();
        let shown = picker(
            std::slice::from_ref(&mine),
            &RequestParams {
                installation_id: Some(foreign),
                ..RequestParams::default()
            },
        );
        assert!(shown.named_not_grantable);
        assert_eq!(shown.preselected, None);
        assert_eq!(shown.choices, vec![(mine.id, Choice::Grantable)]);
    }

    fn any_candidates() -> impl Strategy<Value = Vec<Candidate>> {
        proptest::collection::vec((any::<bool>(), any::<bool>()), 0..6).prop_map(|v| {
            v.into_iter()
                .map(|(pro, granted)| {
                    candidate(
                        if pro {
                            InstallationType::Pro
                        } else {
                            InstallationType::Go
                        },
                        granted,
                    )
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_picker_offers_only_candidates_and_preselects_only_grantable(
            candidates in any_candidates(), show_existing: bool, pick in proptest::option::of(0usize..6), pro: bool,
        ) {
            let params = RequestParams {
                installation_id: pick.and_then(|i| candidates.get(i)).map(|c| c.id),
                installation_type: pro.then_some(InstallationType::Pro),
                show_existing,
                ..RequestParams::default()
            };
            let shown = picker(&candidates, &params);
            for (id, choice) in &shown.choices {
                let c = candidates.iter().find(|c| c.id == *id).expect("only candidates are offered");
                prop_assert_eq!(*choice == Choice::AlreadyGranted, c.already_granted);
                prop_assert!(c.installation_type == InstallationType::Go || params.installation_id == Some(c.id));
            }
            if let Some(id) = shown.preselected {
                prop_assert!(shown.choices.contains(&(id, Choice::Grantable)));
            }
            prop_assert_eq!(shown.nothing.is_none(), shown.choices.iter().any(|(_, c)| *c == Choice::Grantable));
        }
    }
}
