//! Creating and changing user groups: the rules the portal and the command line share.

use serde::Deserialize;
use voltgate_domain::return_url::SupportUrl;
use voltgate_domain::text::Description;
use voltgate_domain::Principal;
use voltgate_domain::{Email, Message, Name, RegisteredReturnUrl, ValidationErrors};
use voltgate_store::{Group, GroupDetails, NewGroup, Store, StoreError, User};

use crate::lookup_keys::with_fresh_key;

/// The most return URLs one group may register.
pub const MAX_RETURN_URLS: usize = 20;

/// A new group as typed: every field a string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct GroupInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub support_email: String,
    #[serde(default)]
    pub support_url: String,
    /// One URL per line.
    #[serde(default)]
    pub return_urls: String,
}

/// Parses return URLs, one per line (blank lines ignored); errors name the line.
pub fn parse_return_urls<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<RegisteredReturnUrl>, Message> {
    let mut urls = Vec::new();
    for (number, line) in lines
        .into_iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let url = RegisteredReturnUrl::parse(line).map_err(|e| {
            Message::new("err-return-url-line")
                .arg("line", number + 1)
                .because(e)
        })?;
        urls.push(url);
    }
    if urls.len() > MAX_RETURN_URLS {
        return Err(Message::new("err-return-urls-count").arg("max", MAX_RETURN_URLS));
    }
    Ok(urls)
}

fn optional<T, E>(raw: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<Option<T>, E> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse(raw).map(Some)
    }
}

impl GroupInput {
    /// Checks every field.
    pub fn parse(&self) -> Result<NewGroup, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.check("name", Name::parse(&self.name));
        let description = errors.check("description", Description::parse(&self.description));
        let support_email =
            errors.check("support_email", optional(&self.support_email, Email::parse));
        let support_url = errors.check(
            "support_url",
            optional(&self.support_url, SupportUrl::parse),
        );
        let return_urls = errors.check("return_urls", parse_return_urls(self.return_urls.lines()));
        match (name, description, support_email, support_url, return_urls) {
            (
                Some(name),
                Some(description),
                Some(support_email),
                Some(support_url),
                Some(return_urls),
            ) => Ok(NewGroup {
                name,
                description,
                support_email,
                support_url,
                return_urls,
            }),
            _ => Err(errors),
        }
    }
}

impl GroupInput {
    /// Checks the fields a group's owners may change later: name, description, support contacts.
    pub fn details(&self) -> Result<GroupDetails, ValidationErrors> {
        let only_details = GroupInput {
            return_urls: String::new(),
            ..self.clone()
        };
        only_details.parse().map(|new| GroupDetails {
            name: new.name,
            description: new.description,
            support_email: new.support_email,
            support_url: new.support_url,
        })
    }

    /// The group's details as the edit form shows them first.
    pub fn of(group: &Group) -> Self {
        Self {
            name: group.name.clone(),
            description: group.description.clone(),
            support_email: group.support_email.clone().unwrap_or_default(),
            support_url: group.support_url.clone().unwrap_or_default(),
            return_urls: String::new(),
        }
    }
}

/// Why a group was not created.
#[derive(Debug, thiserror::Error)]
pub enum GroupRefused {
    /// Problems with the fields, by field (a name that looks like another group's among them).
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error(transparent)]
    Failed(#[from] StoreError),
}

/// Creates a group owned by `owner`, with a fresh lookup key. A name that looks like another group's
/// (the same TR39 skeleton) is refused against the name field.
pub async fn create(
    store: &dyn Store,
    owner: &User,
    new: &NewGroup,
    by: &Principal,
) -> Result<Group, GroupRefused> {
    let created =
        with_fresh_key(|key| async move { store.create_group(owner.id, new, &key, by).await })
            .await;
    match created {
        Err(StoreError::Conflict("name")) => {
            let mut errors = ValidationErrors::new();
            errors.add("name", Message::new("err-group-name-taken"));
            Err(GroupRefused::Invalid(errors))
        }
        other => Ok(other?),
    }
}
