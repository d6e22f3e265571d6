# voltgate — English
nav-installations = Installations
nav-groups = User groups
nav-logout = Log out
nav-login = Log in
nav-signup = Sign up
language = Language
back-home = Back to voltgate

login-title = Log in
login-refused = The e-mail or the password is wrong.
field-email = E-mail
field-password = Password
field-full-name = Full name
field-new-password = Password (at least 10 characters)
login-button = Log in
login-no-account = No account yet?
signup-title = Sign up
signup-button = Create account
signup-have-account = Already have an account?

request-banner = { $partner } asks for access to your installation
request-banner-anonymous = A partner asks for access to your installation
request-banner-note = This name comes from the link you followed. After you log in, voltgate shows who is really asking.

review-title = Access request
review-asks = { $group } asks for access to one of your installations
review-link-name = The link called this partner “{ $partner }”. The name above is the one registered with voltgate.
review-verified = ✓ voltgate checked who this group is on { $date }.
review-unverified = voltgate has not checked who this group is. Make sure you know them: compare the lookup key and the web addresses below with what the partner told you.
review-facts = About this group
review-lookup-key = Lookup key
review-domains = Web addresses it returns to
review-no-domains = none registered
review-created = Registered with voltgate
review-approvals = Installations that gave it access
review-support = Support
review-choose = Which installation?
review-already = already has access
type-go = Go/Home
type-pro = Pro
review-can = They will be able to
review-can-see = see the installation and its charging history
review-can-settings = change the installation's settings
review-whole = The access covers the whole installation, not single chargers.
review-cannot = They will not be able to
review-cannot-manage = manage who has access
review-cannot-pass = pass the access on
review-cannot-delete = delete the installation
review-cannot-others = see your other installations
review-revoke-note = You can revoke this at any time under Installation → Permissions.
review-return-untrusted = The partner's return address is not registered with voltgate, so you will stay on voltgate after your decision.
review-approve = Approve
review-deny = Deny
review-named-not-grantable = The link names an installation you cannot give access to. Choose one of yours, or ask that installation's owner.
review-deny-anyway = You can still deny the request.
nothing-no-installations = You own or administer no installation of this kind that could be shared.
review-create-installation = Create an installation and come back here
installation-new-then-request = Once it exists, you come back to the request and can give access to it.
nothing-granted-to = { $group } already has access to { $installations }.
back-to-request = Back to the request
nothing-pro-needs-id = Pro installations can only be shared through a link that names the installation. Ask the partner for such a link.
way-out-partner = Back to the partner
way-out-installations = Go to your installations
choose-installation = Choose an installation to approve.

receipt-approved = { $group } now has access to { $installation }.
receipt-approved-next = Its members can now: { $rights }. You can narrow or revoke this access at any time under Permissions.
receipt-denied = You denied the request of { $group }.
receipt-denied-next = Nothing was shared. The partner can send you a new link.
receipt-return-refused = The partner's return address was not trusted, so you stay on voltgate.
receipt-permissions = Open the installation's permissions
receipt-some-installation = the installation

error-unknown-key-title = No such partner
error-unknown-key = No partner has the lookup key “{ $key }”. Check the link, or ask the partner for a new one.
error-bad-link-title = This link is not valid
error-bad-param = The link's parameter { $param } is not valid: { $reason }
param-installation-id = it must be an installation id.
param-installation-type = it must be 1 (Go/Home) or 0 (Pro).
param-show-existing = it must be true or false.
param-partner-name = it must be at most 100 characters without control characters.
param-return-url = it must be at most 2048 characters.
param-query = the link's query could not be read.
error-back = Back to voltgate
too-many-title = Too many attempts
too-many-seconds = Too many attempts from here. Try again in { $seconds } seconds.
too-many-minutes = Too many attempts from here. Try again in { $minutes } minutes.

nav-account = Account
account-title = Your account
account-tokens = API tokens
account-tokens-help = Programs that use the voltgate API on your behalf hold these tokens. Revoke one, and the program loses access on its next request.
account-no-tokens = No program holds an API token of yours.
account-created = Issued
account-last-used = Last used
account-from = From
account-never = never
account-revoke = Revoke
account-everywhere = Log out everywhere
account-everywhere-help = Ends your sessions in every browser, this one too, and revokes every API token of yours.
account-password = Change password
account-password-help = A new password ends your sessions in every other browser and revokes every API token of yours; you stay logged in here.
account-password-button = Change password
account-password-changed = Your password is changed. Every other browser session and every API token of yours has ended.
field-current-password = Current password
account-new-password = New password (at least 10 characters)
field-new-password-again = New password again
## Errors and validation
error-not-found-title = Not found
error-not-found = There is nothing here, or you have no access to it.
error-forbidden-title = Not allowed
error-forbidden = You may see this, but not change it.
error-csrf-title = Form expired
error-csrf = This form was not sent from voltgate or has expired. Go back, reload the page and try again.
error-bad-request-title = This did not work
error-conflict-title = Not possible
error-busy-title = Busy
error-busy = voltgate is very busy right now. Try again in a few seconds.
error-internal-title = Something went wrong
error-internal = Please try again in a moment.
err-required = This field is required.
err-too-long = At most { $max } characters.
err-control = Control characters are not allowed.
err-direction = Characters that change the direction of text are not allowed.
err-invisible = Enter visible characters, not only spaces or invisible ones.
err-date = Enter a date like 2026-11-25, between the years 1970 and 9999.
err-url-malformed = Enter an absolute web address such as https://partner.example/return.
err-url-scheme = Use https:// (http:// is allowed only for localhost and 127.0.0.1).
err-url-userinfo = A return address must not contain a user name or password.
err-url-fragment = A return address must not contain a #fragment.
err-key-length = A lookup key has { $min } to { $max } characters.
err-key-alphabet = A lookup key holds only letters and digits (without 0, O, 1, I and L).
err-amperes = Enter a number of amperes, such as 16 or 16.5.
err-amperes-range = Must be between 0 and { $max } A.
err-amperes-above = Must not exceed the maximum current ({ $max } A).
err-max-current-owners = Only the installation's owners and administrators may change the maximum current.
max-current-fixed = Set by the installation's owners and administrators: the rating of the circuit the chargers share.
err-choose-one = Choose one of: { $choices }.
err-last-owner = The last owner cannot be removed or demoted; make someone else an owner first.
err-no-longer-manage = You no longer manage the people of this installation.
err-owners-only = Only an owner can give, change or take away the owner role.
err-email-empty = Enter an e-mail address.
err-email-malformed = This is not a valid e-mail address.
err-email-taken = An account with this e-mail already exists. Log in instead.
err-password-short = At least { $min } characters.
err-password-mismatch = The two new passwords differ. Type the same one twice.
err-current-password = This is not your current password.
err-id-tag = An RFID token has 1 to 20 printable characters, as the charger reports it.
err-identity = A charge point identity has 1 to 48 printable characters without spaces.
err-identity-taken = Another charger already uses this identity.
err-yes-no = Choose yes or no.
err-available-mode = Choose all phases or per phase.
err-phases = Choose 1 or 3 phases.
err-connectors = Choose 1 to 16 connectors.
err-connector = Choose a connector from 1 to { $max }.
err-nothing-charging = Nothing is charging on this connector.
err-command = Choose a command.
err-no-account = No account has this e-mail. Ask them to sign up first.
err-group-name-taken = Another group already has this name or one that looks the same. Choose a name that tells your group apart.
err-token-holder = Tokens belong to people with access to this installation.
err-taken = { $what ->
    [email] That e-mail address is already taken.
    [identity] That charge point identity is already taken.
    [lookup_key] That lookup key is already taken.
   *[other] That name is already taken.
}
err-filter-date = The date “{ $reason }” is not valid: enter a date like 2026-11-25.
err-filter-charger = Choose a charger of this installation.
err-page = The page number must be a whole number from 1.
err-choose-member = Choose a member to remove.
err-choose-person = Choose a person to remove.
err-choose-language = Choose English, Deutsch or Norsk bokmål.
err-choose-decision = Choose Approve or Deny.
err-receipt = This receipt link is not valid. Open the installation's Permissions tab to see who has access.
err-form-too-large = The form is larger than { $kib } KiB.
err-form-unreadable = The form could not be read. Reload the page and try again.
err-config-shape = A key has 1 to 50 characters and a value at most 500, on one line, without control characters.
err-config-integer = Enter a whole number from { $min } to { $max }.
err-config-boolean = Enter true or false.
err-config-list = Enter a comma-separated list of names, such as Energy.Active.Import.Register,Power.Active.Import.

## Frame, tabs, common words
tab-overview = Overview
tab-history = Charging history
tab-permissions = Permissions
tab-audit = Audit log
save = Save
cancel = Cancel
yes = Yes
no = No
optional = optional
copy = Copy
show = Show
from = From
to = To
pages = Pages
newer = Newer
older = Older
page-of = page { $page } of { $pages }
never = never
online = online
offline = offline
details = Details
description = Description
installation = Installation
col-name = Name
col-address = Address
col-type = Type
col-your-access = Your access
col-your-role = Your role
col-role = Role
col-since = Since
col-actions = Actions
col-created = Created
col-state = State
col-group = Group
col-granted = Granted
col-when = When
col-who = Who
col-what = What
col-outcome = Outcome
col-user-token = Who charged
col-started = Started
col-stopped = Stopped
col-energy = Energy
col-reason = Reason
role-owner = owner
role-admin = admin
role-user = user
role-member = member
through-groups = through { $groups }

## Installations
count-installations = { $count ->
    [one] 1 installation
   *[other] { $count } installations
}
installations-empty = You have no installations yet. Create one below, or ask an installation's owner to add you.
installation-new = New installation
installation-create = Create installation
groups-link = Create or manage a user group
groups-link-hint = for partners who manage installations for others.
settings = Settings
max-current = Maximum current
available-current = Available current
same-all-phases = The same on all phases
all-phases = All phases
per-phase = Per phase
phase-n = Phase { $n }
auth-required = Charging requires authentication
network-phases = Network phases
one-phase = 1 phase
three-phases = 3 phases
settings-save = Save settings
settings-owners-only = Only the installation's owners and admins can change its settings.
settings-six-amps = With { $amps } A available, the { $count } connectors charging now cannot all get the 6 A a car needs; some will pause.
chargers = Chargers
charger = Charger
count-chargers = { $count ->
    [one] 1 charger
   *[other] { $count } chargers
}
chargers-empty = No chargers yet.
chargers-empty-add = Add one below, then configure it with the OCPP address and password shown.
last-heard = Last heard from
tokens = RFID tokens
count-tokens = { $count ->
    [one] 1 token
   *[other] { $count } tokens
}
tokens-hint = when the installation requires authentication, only these may charge
token = Token
belongs-to = Belongs to
remove-token = Remove { $token }
token-email = E-mail of the person it belongs to
token-register = Register token
people = People
count-people = { $count ->
    [one] 1 person
   *[other] { $count } people
}
people-add = Add a person or change a role
member-email = E-mail of their voltgate account
people-hint = Owners and admins manage settings and people; users can only look. Only owners give, change or take away the owner role, and an installation always keeps at least one owner.
people-manage-link = Add, change or remove people on the Overview tab
remove-person = Remove { $email }
notice-settings = Settings saved.
notice-people = People updated.
notice-tokens = RFID tokens updated.
notice-members = Members updated.
notice-key = New lookup key made. The old key no longer works.
notice-return-urls = Return addresses saved.
notice-revoked = Access revoked. The group's members lost it with their very next request.

## Chargers
connectors = Connectors
connectors-none = The charger has not reported its connectors yet.
connector-n = Connector { $n }
connector-line = Connector { $n }: { $text }
power = Power
current-per-phase = Current L1 / L2 / L3
session-energy = Energy this session
session-duration = Charging for
session-label = session #{ $number }, { $energy }
state-available = Available
state-preparing = Car connected, waiting to start
state-charging = Charging
state-paused-limit = Paused by the installation's limit
state-paused-you = Paused by you
state-paused-car = Paused by the car
state-finishing = Finishing
state-reserved = Reserved
state-faulted = Faulted
state-unavailable = Unavailable
state-unknown = Unknown
pending-start = Starting…
pending-stop = Stopping…
pending-pause = Pausing…
pending-resume = Resuming…
pending-unlock = Unlocking…
pending-restart = Restarting…
pending-enable = Enabling…
pending-disable = Disabling…
cmd-start = Start charging
cmd-stop = Stop charging
cmd-pause = Pause
cmd-resume = Resume
cmd-unlock = Unlock cable
cmd-restart = Restart
cmd-refresh = Ask for its state
cmd-enable = Enable
cmd-disable = Disable
start-with = Start with token
start-without-token = without a token (authentication is off)
charger-whole = The whole charger
charger-whole-hint = These act on the charger and every connector at once.
confirm-restart-title = Restart { $charger }?
confirm-restart = The charger restarts now. Charging on every connector stops and the charger is offline for a minute or two.
confirm-restart-button = Restart now
confirm-disable-title = Disable { $charger }?
confirm-disable = Nobody can charge at { $charger } until it is enabled again. Charging on every connector stops.
confirm-disable-button = Disable the charger
charger-details = About this charger
charger-identity = Charge point identity
charger-identity-hint = as configured in the charger, 1–48 characters
charger-ocpp-url = OCPP address
charger-protocol = Protocol
charger-protocol-value = OCPP 1.6J, security profile 1 (HTTP Basic)
charger-user = User
charger-vendor-model = Vendor / model
charger-serial = Serial number
charger-firmware = Firmware
charger-new-password = Make a new password
charger-configure-with = Configure the charger with these
charger-password-once = The password is shown only now; voltgate keeps only its hash. Make a new one if it is lost.
charger-add = Add a charger
configuration = Configuration
limit-amps = limit { $amps } A
limit-rejected = The charger rejected its current limit.
limit-offline = The charger is offline; its current limit was not sent.
limit-unconfirmed = The charger did not confirm its current limit.
outcome-answered = The charger answered: { $answer }.
answer-accepted = accepted
answer-rejected = rejected
answer-reboot-required = accepted, takes effect after a restart
answer-not-supported = not supported
answer-scheduled = scheduled
answer-unlocked = unlocked
answer-unlock-failed = could not unlock
outcome-limit-accepted = The charger accepted its new limit.
outcome-limit-rejected = The charger rejected its new limit.
outcome-limit-offline = The charger is offline; the limit will be sent when it is back.
outcome-limit-unknown = The charger did not confirm its new limit.
outcome-limit-none = Done; the limit was already in place or waits for free current.
outcome-ended = The charging session was ended.
outcome-offline = No result: the charger is offline.
outcome-busy = No result: the charger is busy. Try again in a moment.
outcome-timeout = No result: the charger did not answer in time.
outcome-disconnected = No result: the charger's connection closed before it answered.
outcome-no-answer = No result: the charger's answer could not be read.
outcome-nothing-charging = Nothing is charging on this connector.
outcome-no-session = That charging session is not running on this charger.
outcome-not-recorded = No result: the command could not be recorded, so it was not sent.
outcome-not-permitted = Not sent: your access does not cover this command.

## Configuration
config-title = Configuration of { $charger }
config-count = { $count ->
    [one] 1 key, as the charger reports it
   *[other] { $count } keys, as the charger reports them
}
config-key = Key
config-value = Value
config-change = Change
config-readonly = read-only
config-unreadable = The configuration could not be read.
config-refused = { $key } was not sent: { $reason }
config-range = Values: { $min } to { $max }{ $unit }.
config-boolean = Values: true or false.
config-list = Values: a comma-separated list.
unit-seconds = seconds
config-help-HeartbeatInterval = How often the charger says it is still there.
config-help-ConnectionTimeOut = How long the charger waits for a car after authorisation before it gives up.
config-help-MeterValueSampleInterval = How often the charger sends meter readings during charging (0: never).
config-help-ClockAlignedDataInterval = Meter readings at fixed times of the clock (0: off).
config-help-WebSocketPingInterval = How often the connection is checked (0: off).
config-help-MinimumStatusDuration = How long a state must last before the charger reports it.
config-help-TransactionMessageAttempts = How often the charger retries a failed session message.
config-help-TransactionMessageRetryInterval = The wait between those retries.
config-help-ResetRetries = How often the charger retries a failed restart.
config-help-MeterValuesSampledData = What the charger measures during charging.
config-help-MeterValuesAlignedData = What the charger measures at fixed times.
config-help-AuthorizeRemoteTxRequests = Whether a start from voltgate is checked like an RFID token.
config-help-LocalAuthorizeOffline = Whether known tokens may charge while the charger is offline.
config-help-LocalPreAuthorize = Whether known tokens start at once, without asking voltgate first.
config-help-AllowOfflineTxForUnknownId = Whether unknown tokens may charge while the charger is offline.
config-help-StopTransactionOnEVSideDisconnect = Whether unplugging at the car ends the session.
config-help-StopTransactionOnInvalidId = Whether a session ends when its token turns out to be invalid.
config-help-UnlockConnectorOnEVSideDisconnect = Whether the cable is released when unplugged at the car.

## Audit log
audit-empty = Nothing has happened here yet.
audit-operator = operator (command line)
audit-removed-account = a removed account
audit-by-service = voltgate (automatically)
audit-installation-created = Created the installation “{ $name }”
audit-settings-changed = Changed the installation's settings
audit-role-set = Gave { $email } the role { $role }
audit-role-removed = Removed { $email } (was { $role })
audit-access-approved = Approved access for { $group }
audit-access-denied = Denied access to { $group }
audit-access-changed = Changed the access of { $group } to: { $rights }
audit-access-revoked = Revoked the access of { $group }
audit-access-expired = The access of { $group } to { $installation } expired
audit-charger-added = Added the charger { $charger }
audit-charger-password = Made a new password for { $charger }
audit-cmd-start = Started charging on { $charger }, connector { $connector }
audit-cmd-stop = Stopped charging on { $charger }
audit-cmd-pause = Paused charging on { $charger }, connector { $connector }
audit-cmd-resume = Resumed charging on { $charger }, connector { $connector }
audit-cmd-end = Ended a charging session on { $charger }
audit-cmd-unlock = Unlocked connector { $connector } of { $charger }
audit-cmd-restart = Restarted { $charger }
audit-cmd-availability = Enabled or disabled { $charger }
audit-cmd-configure = Changed { $key } on { $charger }
audit-cmd-read-configuration = Read the configuration of { $charger }
audit-cmd-refresh = Asked { $charger } for its state
audit-cmd-other = Sent { $command } to { $charger }
audit-other = Something else happened
audit-outcome-accepted = Accepted
audit-outcome-rejected = Rejected
audit-outcome-none = No answer
audit-changed = Changed { $what } { $before } → { $after }
audit-what-max-current = maximum current
audit-what-available-current = available current
audit-what-phases = phases
audit-what-authentication = authentication
audit-on = on
audit-off = off
audit-role-changed = Changed the role of { $email } { $before } → { $after }
audit-cmd-configure-value = Changed { $key } on { $charger } to “{ $value }”
audit-cmd-stop-connector = Stopped charging on { $charger }, connector { $connector }
audit-cmd-end-connector = Ended a charging session on { $charger }, connector { $connector }
audit-filter-all = All
audit-filter-apply = Filter
audit-filter-clear = Show everything
audit-kind-settings = Settings
audit-kind-people = People and roles
audit-kind-access = Group access
audit-kind-chargers = Chargers
audit-kind-commands = Charger commands
audit-filtered-empty = Nothing matches these filters.
err-audit-kind = Choose a kind of event from the list.
err-audit-person = Choose a person from the list.
err-audit-group = Choose a group from the list.
count-events = { $count ->
    [one] 1 event, newest first
   *[other] { $count } events, newest first
}

## Permissions
partner-groups = Partner groups
count-groups-access = { $count ->
    [one] 1 group with access
   *[other] { $count } groups with access
}
grants-empty = No partner group has access. A partner asks for it with a link; you approve it.
grants-owners-only = Only the installation's owners and admins see who else has access.
granted-by = by { $name }
revoke = Revoke
revoke-title = Revoke the access of { $group }?
revoke-what = Every member of { $group } stops being able to see { $installation } and its charging history, change its settings, and control or configure its chargers — from their very next request.
revoke-again = To get access again, the group must ask with a new request that an owner or admin approves.
revoke-button = Revoke access

## User groups
count-groups = { $count ->
    [one] 1 group
   *[other] { $count } groups
}
groups-empty = You belong to no user group. A partner — an operator, an installer, an integrator — creates a group so that installation owners can give it access.
group-new = New user group
group-create = Create group
support-email = Support e-mail
support-url = Support web page
return-urls = Return addresses
return-urls-hint = one per line; https://, or http://localhost for development
return-urls-explain = After an owner approves or denies your access request, voltgate sends the browser back only to one of these addresses.
return-urls-save = Save return addresses
one-per-line = One per line
access-link = Access link
key-new = Make a new lookup key
key-new-hint = A new key replaces the old one at once: links with the old key stop working.
key-new-confirm = The key { $key } stops working at once: every access link you have already sent leads nowhere. Installations that already gave access keep it.
members = Members
count-members = { $count ->
    [one] 1 member
   *[other] { $count } members
}
members-add = Add a member or change a role
group-owner = Owner of the group
group-leave = Leave this group
group-edit-details = Change name, description and support contacts
notice-group-details = The group's details are saved.
group-has-access = { $count ->
    [one] This group has access to 1 installation.
   *[other] This group has access to { $count } installations.
}
group-installations-empty = Send installation owners the access link above; once they approve, their installation appears here.
give-up-access = Give up access

## Charging history
all-chargers = All chargers
filter-user = Person (e-mail)
count-sessions = { $count ->
    [one] 1 charging session
   *[other] { $count } charging sessions
}
kwh-in-all = { $kwh } kWh in all
download-csv = Download CSV
history-empty = No charging sessions match. Sessions appear here when chargers start and stop charging.
not-authorised = not authorised
err-filter-range = The “from” date ({ $from }) is after the “to” date ({ $to }): choose a “from” date on or before the “to” date.
err-time-zone = Choose a time zone from the list, such as Europe/Oslo.
col-duration = Duration
history-live = { $kwh } kWh so far
times-in-zone = Times in { $zone }.
time-zone = Time zone
time-zone-hint = Every time on the installation's pages is shown in this zone.
time-zone-save = Save time zone
notice-time-zone = Time zone saved.
chart-when = Period
chart-value = Value
chart-week = Week { $week }, { $year }
chart-week-short = W{ $week }
chart-energy-title-days = Energy per day, last 30 days
chart-history-title = Energy of these charging sessions
chart-energy-desc = { $total } kWh in all from { $first } to { $last }.
chart-power-title = Power, last 24 hours
chart-power-desc = Average power per hour; highest { $peak } kW.
audit-time-zone-changed = Changed the time zone from { $before } to { $after }

## Durations
duration-under-minute = less than a minute
duration-minutes = { $m } min
duration-hours = { $h } h { $m } min
receipt-no-longer = { $group } has no access to { $installation } now.
err-return-url-line = Line { $line }: { $reason }
err-return-urls-count = At most { $max } return addresses.
nav-main = Main menu
outcome-expired = No result: the charger was busy until the deadline; the command was not sent.
outcome-refused = No result: the charger refused the command ({ $why }).
builder = Build a link
builder-partner = your name, shown before login
builder-return = only addresses registered below
builder-show-existing = also list installations that already gave access
builder-make = Make the link

sa-title = API credentials
sa-explain = Service accounts let your group's software use the REST API as the group: they reach exactly the installations shared with the group, with the group's rights, and nothing about its people.
sa-manage = Manage API credentials
sa-new = New API credentials
sa-secret-once = Copy the secret now: it is shown only this once.
sa-client-id = Client id
sa-secret = Client secret
sa-none = No API credentials yet.
sa-create = Create API credentials
sa-revoked = Revoked
param-request = the access request is unknown, belongs to another group, was already decided or has expired (links last 7 days).
err-request-decided = This access request was already decided, or its link has expired.
# Webhooks (group page)
webhooks = Webhooks
webhooks-manage = Manage webhooks
webhooks-explain = voltgate POSTs signed JSON to these addresses when access is granted, changed, revoked or expires, when sessions start and end, and when chargers come online or go offline on installations shared with the group. Failed deliveries are retried for 24 hours; then the endpoint is disabled.
webhooks-empty = No webhook endpoints yet.
webhook-endpoints = Endpoints
webhook-events = Events
webhook-event = Event
webhook-state = State
webhook-active = Active
webhook-disabled = Disabled since { $at }:
webhook-rotating = The previous secret also signs until { $until }.
webhook-rotate = New secret
webhook-delete = Delete
webhook-add = Add endpoint
webhook-secret = Signing secret
webhook-secret-once = The secret for { $url }. Copy it now: it is not shown again. Verify the Voltgate-Signature header with it.
webhook-attempts = Recent deliveries
webhook-attempts-empty = Nothing delivered yet.
webhook-when = When
webhook-outcome = Outcome
err-webhook-events-empty = Choose at least one event.
err-webhook-limit = A group has at most { $max } webhook endpoints: delete one first.
err-webhook-event-unknown = Unknown event type { $name }.
# Grant rights and end dates
review-can-control = start, stop, restart, pause and unlock every charger of the installation
review-can-configure = configure every charger: its settings, OCPP configuration and charging limits
review-until = Until (optional)
review-until-hint = Leave empty for access until you revoke it. The access ends after this day.
param-rights = use a comma-separated list of settings, control and configure.
err-grant-rights = Unknown right: choose from settings, control and configure.
err-grant-until = Give the end date as a date, such as 2026-12-31.
err-grant-until-past = The end date must be today or later.
grant-rights = Rights
grant-right-view = see
grant-right-settings = settings
grant-right-control = control chargers
grant-right-configure = configure chargers
grant-until = Until
grant-no-end = until revoked
grant-expired = expired
grant-change = Change rights or end date
grant-changed = The access of { $group } now reads: { $rights }.
receipt-changed = { $group } already had access to { $installation }; its access now reads: { $rights }.
receipt-unchanged = { $group } already had access to { $installation } with exactly these rights: { $rights }. Nothing changed.
receipt-unchanged-next = To change or end its access, open the installation's permissions.
audit-charger-settings = Changed a charger's current and phase limits
audit-id-tag-set = Added the RFID token { $tag }
audit-id-tag-removed = Removed the RFID token { $tag }
audit-group-created = Created the group “{ $name }”
audit-group-details-changed = Changed the group's name, description or support contact
audit-group-member-set = Gave { $email } the group role { $role }
audit-group-member-removed = Removed { $email } from the group
audit-lookup-key-rotated = Replaced the lookup key { $old } with { $new }
audit-group-verified = The operator marked the group as checked
audit-return-urls-set = Set the registered return addresses: { $urls }
audit-return-url-added = Registered the return address { $url }
audit-return-url-removed = Removed the return address { $url }
audit-service-account-created = Created the API credentials “{ $name }”
audit-service-account-revoked = Revoked the API credentials “{ $name }”
audit-webhook-added = Added the webhook { $url }
audit-webhook-removed = Removed the webhook { $url }
audit-webhook-rotated = Made a new signing secret for the webhook { $url }
audit-outside-group = someone outside the group
col-installation = Installation
group-events-link = Audit log of the group
group-events-explain = Changes to the group, and what its members and API credentials did on the installations shared with it.
