//! Languages: English, German and Norwegian bokmål, from fluent message catalogues in `locales/`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{langid, LanguageIdentifier, Loader};
use voltgate_domain::Message;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Plain text around names: no Unicode isolation marks in the output.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A portal language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    De,
    Nb,
}

impl Lang {
    /// Every language, in the order the switch shows them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::De, Lang::Nb];

    /// `en`, `de`, `nb` or `no` (any case, any region such as `de-AT`); anything else is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let primary = raw
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "de" => Some(Self::De),
            "nb" | "no" | "nn" => Some(Self::Nb),
            _ => None,
        }
    }

    /// The first supported language of an `Accept-Language` header, by preference weight.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut ranked: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Self::parse(pieces.next()?)?;
                let weight = pieces
                    .find_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                (weight > 0.0).then_some((weight, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|(_, lang)| *lang)
    }

    /// The code used in URLs, storage and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Nb => "nb",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::De => "Deutsch",
            Self::Nb => "Norsk bokmål",
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Self::En => langid!("en"),
            Self::De => langid!("de"),
            Self::Nb => langid!("nb"),
        }
    }
}

/// Translates message ids for one language; templates call `tr.t("id")` and `tr.with("id", …)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tr(pub Lang);

impl Tr {
    /// The message `id`.
    pub fn t(&self, id: &str) -> String {
        LOCALES.lookup(&self.0.id(), id)
    }

    /// The message `id` with its variables.
    pub fn with(&self, id: &str, args: &[(&'static str, &str)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.to_string())))
            .collect();
        LOCALES.lookup_with_args(&self.0.id(), id, &args)
    }

    /// A domain message (id and arguments) in this language.
    pub fn msg(&self, message: &Message) -> String {
        let reason = message.reason.as_ref().map(|inner| self.msg(inner));
        let mut args: Vec<(&'static str, &str)> = message
            .args
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        if let Some(reason) = &reason {
            args.push(("reason", reason));
        }
        self.with(message.id, &args)
    }

    /// A role's name (`owner`, `admin`, `user`, `member`).
    pub fn role(&self, role: impl std::fmt::Display) -> String {
        self.t(&format!("role-{role}"))
    }

    /// A message with a count: `id` with `$count` (the catalogue picks the plural form).
    pub fn n(&self, id: &str, count: usize) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        args.insert(Cow::Borrowed("count"), FluentValue::from(count));
        LOCALES.lookup_with_args(&self.0.id(), id, &args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_language_codes() {
        assert_eq!(Lang::parse("DE-at"), Some(Lang::De));
        assert_eq!(Lang::parse("no"), Some(Lang::Nb));
        assert_eq!(Lang::parse("nb_NO"), Some(Lang::Nb));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::parse(""), None);
    }

    #[test]
    fn accept_language_by_weight() {
        assert_eq!(
            Lang::from_accept_language("fr-FR, nb;q=0.5, de;q=0.9"),
            Some(Lang::De)
        );
        assert_eq!(Lang::from_accept_language("fr, it"), None);
        assert_eq!(
            Lang::from_accept_language("de;q=0, en;q=0.1"),
            Some(Lang::En)
        );
    }

    #[test]
    fn every_message_a_template_names_exists() {
        let english = include_str!("../locales/en/main.ftl");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for call in [".t(\"", ".with(\"", ".n(\""] {
                for piece in text.split(call).skip(1) {
                    let id = piece.split('"').next().unwrap_or_default();
                    assert!(
                        english.lines().any(|l| l.starts_with(&format!("{id} = "))),
                        "{} names {id}, which the catalogue lacks",
                        path.display()
                    );
                }
            }
        }
    }

    #[test]
    fn every_language_has_every_message() {
        let english = include_str!("../locales/en/main.ftl");
        let ids: Vec<&str> = english
            .lines()
            .filter(|line| !line.starts_with([' ', '#']) && line.contains(" = "))
            .filter_map(|line| line.split(" = ").next())
            .collect();
        assert!(ids.len() > 50, "{} messages", ids.len());
        for (lang, catalogue) in [
            (Lang::De, include_str!("../locales/de/main.ftl")),
            (Lang::Nb, include_str!("../locales/nb/main.ftl")),
        ] {
            for id in &ids {
                assert!(
                    catalogue
                        .lines()
                        .any(|line| line.starts_with(&format!("{id} = "))),
                    "{lang:?} lacks {id}"
                );
            }
        }
        assert_eq!(
            Tr(Lang::De).with("request-banner", &[("partner", "Acme")]),
            "Acme bittet um Zugriff auf Ihre Installation"
        );
    }
}
