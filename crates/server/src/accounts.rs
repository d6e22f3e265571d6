//! Signing up and logging in: the rules around accounts that both the portal and the command line use.

use std::net::IpAddr;

use chrono::Utc;
use voltgate_domain::text::{sanitize, Lines};
use voltgate_domain::throttle::ThrottlePolicy;
use voltgate_domain::{Email, Message, Name, Password, ValidationErrors};
use voltgate_store::{NewUser, Store, StoreError, User};

use crate::error::AppError;
use crate::passwords;

/// Why a sign-up did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    /// Problems with the fields, by field.
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// Too many sign-ups from this address; try again after this many seconds.
    #[error("too many sign-ups from this address")]
    Throttled(u64),
    #[error(transparent)]
    Failed(#[from] AppError),
}

/// Where a sign-up comes from: a browser at a client address (throttled per address), or the operator.
#[derive(Clone, Copy, Debug)]
pub enum SignupFrom<'a> {
    /// The portal: at most `policy` sign-ups per client address.
    Client(IpAddr, &'a ThrottlePolicy),
    /// The command line.
    Operator,
}

/// Counts one attempt under `key`; `Err(seconds)` when it is over the policy's limit.
async fn count(
    store: &dyn Store,
    key: &str,
    policy: &ThrottlePolicy,
) -> Result<Result<(), u64>, AppError> {
    let now = Utc::now();
    let count = store.count_attempt(key, policy, now).await?;
    Ok(policy.admit(count, now))
}

/// The form's errors with the e-mail marked as taken.
fn taken(mut errors: ValidationErrors) -> ValidationErrors {
    errors.add("email", Message::new("err-email-taken"));
    errors
}

/// Creates an account after checking every field; a taken e-mail is reported against the field. From
/// a client, the attempt is counted against its address first.
pub async fn sign_up(
    store: &dyn Store,
    email: &str,
    full_name: &str,
    password: &str,
    from: SignupFrom<'_>,
) -> Result<User, SignupError> {
    let mut errors = ValidationErrors::new();
    let email = errors.check("email", Email::parse(email));
    let full_name = errors.check("full_name", Name::parse(full_name));
    let password = errors.check("password", Password::parse(password));
    let (Some(email), Some(full_name), Some(password)) = (email, full_name, password) else {
        return Err(SignupError::Invalid(errors));
    };
    if let SignupFrom::Client(client, policy) = from {
        count(store, &format!("signup:{client}"), policy)
            .await?
            .map_err(SignupError::Throttled)?;
    }
    if store
        .user_by_email(&email)
        .await
        .map_err(AppError::from)?
        .is_some()
    {
        return Err(SignupError::Invalid(taken(errors)));
    }
    let password_hash = passwords::hash(password).await.map_err(AppError::from)?;
    match store
        .create_user(&NewUser {
            email,
            full_name,
            password_hash,
        })
        .await
    {
        Ok(user) => Ok(user),
        Err(StoreError::Conflict(_)) => Err(SignupError::Invalid(taken(errors))),
        Err(other) => Err(SignupError::Failed(other.into())),
    }
}

/// How a login attempt ended.
#[derive(Debug)]
pub enum LoginOutcome {
    /// The password matched; the session epoch read with the hash that was checked (a session or
    /// token made from this login carries it, so a password change meanwhile ends it).
    LoggedIn(User, i64),
    /// Unknown account or wrong password: the caller must not say which.
    Refused,
    /// Too many attempts for this account or from this address; try again after this many seconds.
    /// Nothing was checked.
    Throttled(u64),
}

fn throttle_keys(email: &str, client: IpAddr) -> [(String, ThrottlePolicy); 2] {
    let account = sanitize(&email.to_lowercase(), Lines::One, 254);
    [
        (format!("account:{account}"), ThrottlePolicy::PER_ACCOUNT),
        (format!("address:{client}"), ThrottlePolicy::PER_ADDRESS),
    ]
}

/// Checks credentials, throttled per account and per client address. The attempt is counted against
/// both keys before any password is checked, so however many arrive at once, at most the limits are
/// ever verified in a window, whether or not the account exists. A successful login clears its
/// account's count and does not count against its address.
pub async fn log_in(
    store: &dyn Store,
    email: &str,
    password: &str,
    client: IpAddr,
) -> Result<LoginOutcome, AppError> {
    let [(account_key, per_account), (address_key, per_address)] = throttle_keys(email, client);
    let by_account = count(store, &account_key, &per_account).await?;
    let by_address = count(store, &address_key, &per_address).await?;
    if let Err(retry_after) = by_account.and(by_address) {
        return Ok(LoginOutcome::Throttled(retry_after));
    }
    let account = match Email::parse(email) {
        Ok(email) => store.credentials(&email).await?,
        Err(_) => None,
    };
    let plausible = password.chars().count() <= Password::MAX_CHARS;
    let (user, hash) = account.map_or((None, None), |(user, hash, epoch)| {
        (Some((user, epoch)), Some(hash))
    });
    let matches = plausible && passwords::verify(password.to_owned(), hash).await?;
    match user {
        Some((user, epoch)) if matches => {
            store.clear_attempts(&account_key).await?;
            store.uncount_attempt(&address_key).await?;
            Ok(LoginOutcome::LoggedIn(user, epoch))
        }
        _ => Ok(LoginOutcome::Refused),
    }
}

/// The existing account an e-mail names, for adding someone to an installation or a group. The inner
/// error says, for the form, what is wrong with the address.
pub async fn account_named(
    store: &dyn Store,
    email: &str,
) -> Result<Result<User, Message>, AppError> {
    let email = match Email::parse(email) {
        Ok(email) => email,
        Err(error) => return Ok(Err(error.into())),
    };
    Ok(store
        .user_by_email(&email)
        .await?
        .ok_or_else(|| Message::new("err-no-account")))
}
