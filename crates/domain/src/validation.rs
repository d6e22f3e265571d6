//! Collects the problems of a submitted form, one message per field, so a page can show each next to
//! its field.

use std::collections::BTreeMap;

use crate::message::Message;

/// Field name → what is wrong with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationErrors(BTreeMap<&'static str, Message>);

impl ValidationErrors {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `result`'s error under `field` and returns its value, if any.
    pub fn check<T, E: Into<Message>>(
        &mut self,
        field: &'static str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error);
                None
            }
        }
    }

    /// Records a message for `field`; the first message for a field wins.
    pub fn add(&mut self, field: &'static str, message: impl Into<Message>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    /// The message for `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&Message> {
        self.0.get(field)
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, else these errors.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }

    /// All messages, by field.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Message)> {
        self.0.iter().map(|(field, message)| (*field, message))
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&parts.join("; "))
    }
}
