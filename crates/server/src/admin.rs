//! `voltgate admin …`: operators' tasks for scripts. Prints the new thing's id or key on success;
//! a clear message and a non-zero exit code on any error.

use std::io::Read;

use anyhow::{anyhow, bail, Context};
use clap::Subcommand;
use voltgate_domain::authz::{ManageGroup, ManageUsers, Right, VerifyGroup};
use voltgate_domain::text::Name;
use voltgate_domain::{Authorized, InstallationAccess, Principal};
use voltgate_domain::{
    ChargePointIdentity, Email, GroupRole, InstallationId, LookupKey, Role, ValidationErrors,
};
use voltgate_store::{Group, Store, StoreError, User};

use crate::accounts::{self, SignupError, SignupFrom};
use crate::authz;
use crate::charging::secrets;
use crate::groups::{self, GroupInput, GroupRefused};
use crate::i18n::{Lang, Tr};
use crate::installations::InstallationInput;

/// What an operator can do from the shell.
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Installations.
    Installation {
        #[command(subcommand)]
        command: InstallationCommand,
    },
    /// User groups.
    Group {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// Chargers.
    Charger {
        #[command(subcommand)]
        command: ChargerCommand,
    },
}

/// `voltgate admin charger …`
#[derive(Subcommand, Debug)]
pub enum ChargerCommand {
    /// Register a charger on an installation; prints the password it must use (shown only now).
    Add {
        installation_id: String,
        identity: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value_t = 1)]
        connectors: u8,
    },
}

/// `voltgate admin user …`
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `voltgate admin installation …`
#[derive(Subcommand, Debug)]
pub enum InstallationCommand {
    /// Create an installation owned by an existing account; prints its id.
    Add {
        name: String,
        #[arg(long)]
        owner: String,
        /// `go` (Go/Home) or `pro`.
        #[arg(long = "type", default_value = "go")]
        installation_type: String,
        #[arg(long, default_value = "")]
        address: String,
    },
    /// Give an account a role on an installation.
    AddUser {
        id: String,
        email: String,
        /// `owner`, `admin` or `user`.
        #[arg(long)]
        role: String,
    },
}

/// `voltgate admin group …`
#[derive(Subcommand, Debug)]
pub enum GroupCommand {
    /// Create a user group owned by an existing account; prints its lookup key.
    Add {
        name: String,
        #[arg(long)]
        owner: String,
        /// A return URL the access flow may send browsers back to (repeatable).
        #[arg(long = "return-url")]
        return_urls: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, default_value = "")]
        support_email: String,
        #[arg(long, default_value = "")]
        support_url: String,
    },
    /// Mark the group named by a lookup key as checked: its review page then says voltgate has verified
    /// who it is.
    Verify {
        lookup_key: String,
        /// Take the mark away instead.
        #[arg(long)]
        undo: bool,
    },
    /// Add an account to the group named by a lookup key.
    AddMember {
        lookup_key: String,
        email: String,
        /// Make the account an owner of the group.
        #[arg(long)]
        owner: bool,
    },
}

fn invalid(errors: &ValidationErrors) -> anyhow::Error {
    let lines: Vec<String> = errors
        .iter()
        .map(|(field, message)| format!("{field}: {}", Tr(Lang::En).msg(message)))
        .collect();
    anyhow!("{}", lines.join("\n"))
}

async fn account(store: &dyn Store, email: &str) -> anyhow::Result<User> {
    let parsed = Email::parse(email).map_err(|e| anyhow!("{email:?}: {e}"))?;
    store
        .user_by_email(&parsed)
        .await?
        .ok_or_else(|| anyhow!("no account has the e-mail {email}"))
}

fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from standard input")?;
    let trimmed = password.strip_suffix('\n').unwrap_or(&password);
    Ok(trimmed.strip_suffix('\r').unwrap_or(trimmed).to_owned())
}

/// The operator: who acts from the command line. Its capabilities come from the same `authorize()` as
/// everyone's, and the audit log names the command line as the actor.
const OPERATOR: Principal = Principal::Operator;

/// The operator's capability for `R` on an installation; a clear message when it does not exist.
async fn on_installation<R: Right<Facts = InstallationAccess>>(
    store: &dyn Store,
    id: InstallationId,
) -> anyhow::Result<Authorized<R>> {
    match authz::installation::<R>(store, &OPERATOR, id).await {
        Ok((_, capability)) => Ok(capability),
        Err(crate::error::AppError::NotFound) => Err(anyhow!("no installation has the id {id}")),
        Err(other) => Err(other.into()),
    }
}

async fn user_command(store: &dyn Store, command: UserCommand) -> anyhow::Result<String> {
    let UserCommand::Add {
        email,
        name,
        password_stdin,
    } = command;
    if !password_stdin {
        bail!("pass --password-stdin and write the password to standard input");
    }
    let password = read_password()?;
    match accounts::sign_up(store, &email, &name, &password, SignupFrom::Operator).await {
        Ok(user) => Ok(user.id.to_string()),
        Err(SignupError::Invalid(errors)) => Err(invalid(&errors)),
        Err(SignupError::Throttled(_)) => bail!("the operator is never throttled"),
        Err(SignupError::Failed(error)) => Err(error.into()),
    }
}

async fn installation_command(
    store: &dyn Store,
    command: InstallationCommand,
) -> anyhow::Result<String> {
    match command {
        InstallationCommand::Add {
            name,
            owner,
            installation_type,
            address,
        } => {
            let new = InstallationInput {
                name,
                address,
                installation_type,
                ..InstallationInput::default()
            }
            .parse()
            .map_err(|e| invalid(&e))?;
            let owner = account(store, &owner).await?;
            let installation = store.create_installation(owner.id, &new, &OPERATOR).await?;
            Ok(installation.id.to_string())
        }
        InstallationCommand::AddUser { id, email, role } => {
            let id: InstallationId = id
                .parse()
                .map_err(|_| anyhow!("{id:?} is not an installation id"))?;
            let role: Role = role.parse().map_err(|e| anyhow!("--role: {e}"))?;
            let user = account(store, &email).await?;
            let manage = on_installation::<ManageUsers>(store, id).await?;
            store.set_installation_role(&manage, user.id, role).await?;
            Ok(format!("{} is now {role} of {id}", user.email))
        }
    }
}

/// The group a lookup key names.
async fn group_named(store: &dyn Store, lookup_key: &str) -> anyhow::Result<Group> {
    let key = LookupKey::parse(lookup_key).map_err(|e| anyhow!("{lookup_key:?}: {e}"))?;
    store
        .group_by_lookup_key(&key)
        .await?
        .ok_or_else(|| anyhow!("no group has the lookup key {key}"))
}

async fn group_command(store: &dyn Store, command: GroupCommand) -> anyhow::Result<String> {
    match command {
        GroupCommand::Add {
            name,
            owner,
            return_urls,
            description,
            support_email,
            support_url,
        } => {
            let input = GroupInput {
                name,
                description,
                support_email,
                support_url,
                return_urls: return_urls.join("\n"),
            };
            let new = input.parse().map_err(|e| invalid(&e))?;
            let owner = account(store, &owner).await?;
            let group = match groups::create(store, &owner, &new, &OPERATOR).await {
                Ok(group) => group,
                Err(GroupRefused::Invalid(errors)) => return Err(invalid(&errors)),
                Err(GroupRefused::Failed(error)) => return Err(error.into()),
            };
            Ok(group.lookup_key.to_string())
        }
        GroupCommand::Verify { lookup_key, undo } => {
            let group = group_named(store, &lookup_key).await?;
            let (_, verify) = authz::group::<VerifyGroup>(store, &OPERATOR, group.id).await?;
            store.set_group_verified(&verify, !undo).await?;
            let outcome = if undo {
                "no longer verified"
            } else {
                "verified"
            };
            Ok(format!(
                "{} ({}) is {outcome}",
                group.name, group.lookup_key
            ))
        }
        GroupCommand::AddMember {
            lookup_key,
            email,
            owner,
        } => {
            let group = group_named(store, &lookup_key).await?;
            let user = account(store, &email).await?;
            let role = if owner {
                GroupRole::Owner
            } else {
                GroupRole::Member
            };
            let (_, manage) = authz::group::<ManageGroup>(store, &OPERATOR, group.id).await?;
            store.set_group_role(&manage, user.id, role).await?;
            Ok(format!("{} is now {role} of {}", user.email, group.name))
        }
    }
}

async fn charger_command(store: &dyn Store, command: ChargerCommand) -> anyhow::Result<String> {
    let ChargerCommand::Add {
        installation_id,
        identity,
        name,
        connectors,
    } = command;
    let installation: InstallationId = installation_id
        .parse()
        .map_err(|_| anyhow!("{installation_id:?} is not an installation id"))?;
    let identity =
        ChargePointIdentity::parse(&identity).map_err(|e| anyhow!("{identity:?}: {e}"))?;
    let name = Name::parse(name.as_deref().unwrap_or(identity.as_str()))
        .map_err(|e| anyhow!("--name: {e}"))?;
    if !(1..=16).contains(&connectors) {
        bail!("--connectors: choose 1 to 16");
    }
    let manage = on_installation::<ManageUsers>(store, installation).await?;
    let (new, password) = secrets::new_charger(identity, name, connectors);
    match store.create_charger(&manage, &new).await {
        Ok(_) => Ok(password),
        Err(StoreError::NotFound) => Err(anyhow!("no installation has the id {installation}")),
        Err(StoreError::Conflict(_)) => Err(anyhow!(
            "another charger already uses the identity {}",
            new.identity
        )),
        Err(other) => Err(other.into()),
    }
}

/// Runs one admin command against the database at `database_url` and prints its result.
pub async fn run(database_url: &str, command: AdminCommand) -> anyhow::Result<()> {
    let db = voltgate_store::connect(database_url)
        .await
        .context("opening the database")?;
    let store = db.store.as_ref();
    let output = match command {
        AdminCommand::User { command } => user_command(store, command).await?,
        AdminCommand::Installation { command } => installation_command(store, command).await?,
        AdminCommand::Group { command } => group_command(store, command).await?,
        AdminCommand::Charger { command } => charger_command(store, command).await?,
    };
    println!("{output}");
    Ok(())
}
