//! Messages for people as catalogue ids with arguments. The domain decides *what* is wrong; the server
//! says it in the reader's language (`crates/server/locales`).

use std::fmt;

/// A message id of the server's catalogues, with its named arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// A message that this one names as its `$reason` ("Line 2: <reason>").
    pub reason: Option<Box<Message>>,
}

impl Message {
    /// The message `id` without arguments.
    pub fn new(id: &'static str) -> Self {
        Self {
            id,
            args: Vec::new(),
            reason: None,
        }
    }

    /// Gives the message its `$reason`, another message.
    pub fn because(mut self, reason: impl Into<Message>) -> Self {
        self.reason = Some(Box::new(reason.into()));
        self
    }

    /// Adds the argument `name`.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

/// Shows the id and arguments (for logs; people see the translated text).
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)?;
        for (name, value) in &self.args {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

/// An error that people read: it names its catalogue message.
pub trait Coded {
    fn message(&self) -> Message;
}

impl<E: Coded> From<E> for Message {
    fn from(error: E) -> Self {
        error.message()
    }
}
