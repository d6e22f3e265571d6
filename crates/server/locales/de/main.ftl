# voltgate — Deutsch
nav-installations = Installationen
nav-groups = Benutzergruppen
nav-logout = Abmelden
nav-login = Anmelden
nav-signup = Registrieren
language = Sprache
back-home = Zurück zu voltgate

login-title = Anmelden
login-refused = Die E-Mail-Adresse oder das Passwort ist falsch.
field-email = E-Mail
field-password = Passwort
field-full-name = Vollständiger Name
field-new-password = Passwort (mindestens 10 Zeichen)
login-button = Anmelden
login-no-account = Noch kein Konto?
signup-title = Registrieren
signup-button = Konto erstellen
signup-have-account = Sie haben schon ein Konto?

request-banner = { $partner } bittet um Zugriff auf Ihre Installation
request-banner-anonymous = Ein Partner bittet um Zugriff auf Ihre Installation
request-banner-note = Dieser Name stammt aus dem Link, dem Sie gefolgt sind. Nach der Anmeldung zeigt voltgate, wer wirklich anfragt.

review-title = Zugriffsanfrage
review-asks = { $group } bittet um Zugriff auf eine Ihrer Installationen
review-link-name = Der Link nannte diesen Partner „{ $partner }“. Oben steht der bei voltgate registrierte Name.
review-verified = ✓ voltgate hat am { $date } geprüft, wer diese Gruppe ist.
review-unverified = voltgate hat nicht geprüft, wer diese Gruppe ist. Stellen Sie sicher, dass Sie sie kennen: Vergleichen Sie den Suchschlüssel und die Webadressen unten mit dem, was der Partner Ihnen gesagt hat.
review-facts = Über diese Gruppe
review-lookup-key = Suchschlüssel
review-domains = Webadressen, zu denen sie zurückführt
review-no-domains = keine registriert
review-created = Bei voltgate registriert
review-approvals = Installationen, die ihr Zugriff gegeben haben
review-support = Support
review-choose = Welche Installation?
review-already = hat bereits Zugriff
type-go = Go/Home
type-pro = Pro
review-can = Die Gruppe kann dann
review-can-see = die Installation und ihren Ladeverlauf sehen
review-can-settings = die Einstellungen der Installation ändern
review-whole = Der Zugriff gilt für die ganze Installation, nicht für einzelne Ladestationen.
review-cannot = Die Gruppe kann nicht
review-cannot-manage = verwalten, wer Zugriff hat
review-cannot-pass = den Zugriff weitergeben
review-cannot-delete = die Installation löschen
review-cannot-others = Ihre anderen Installationen sehen
review-revoke-note = Sie können dies jederzeit unter Installation → Berechtigungen widerrufen.
review-return-untrusted = Die Rücksprungadresse des Partners ist bei voltgate nicht registriert; Sie bleiben nach Ihrer Entscheidung auf voltgate.
review-approve = Genehmigen
review-deny = Ablehnen
review-named-not-grantable = Der Link nennt eine Installation, für die Sie keinen Zugriff gewähren können. Wählen Sie eine Ihrer Installationen oder fragen Sie deren Eigentümer.
review-deny-anyway = Sie können die Anfrage trotzdem ablehnen.
nothing-no-installations = Sie besitzen oder verwalten keine Installation dieser Art, die freigegeben werden könnte.
review-create-installation = Eine Installation anlegen und hierher zurückkehren
installation-new-then-request = Sobald sie angelegt ist, kehren Sie zur Anfrage zurück und können ihr Zugriff geben.
nothing-granted-to = { $group } hat bereits Zugriff auf { $installations }.
back-to-request = Zurück zur Anfrage
nothing-pro-needs-id = Pro-Installationen können nur über einen Link freigegeben werden, der die Installation nennt. Bitten Sie den Partner um einen solchen Link.
way-out-partner = Zurück zum Partner
way-out-installations = Zu Ihren Installationen
choose-installation = Wählen Sie die Installation, für die Sie den Zugriff genehmigen.

receipt-approved = { $group } hat jetzt Zugriff auf { $installation }.
receipt-approved-next = Ihre Mitglieder können jetzt: { $rights }. Sie können diesen Zugriff jederzeit unter Berechtigungen einschränken oder widerrufen.
receipt-denied = Sie haben die Anfrage von { $group } abgelehnt.
receipt-denied-next = Es wurde nichts freigegeben. Der Partner kann Ihnen einen neuen Link senden.
receipt-return-refused = Die Rücksprungadresse des Partners war nicht vertrauenswürdig; Sie bleiben auf voltgate.
receipt-permissions = Berechtigungen der Installation öffnen
receipt-some-installation = die Installation

error-unknown-key-title = Kein solcher Partner
error-unknown-key = Kein Partner hat den Lookup-Schlüssel „{ $key }“. Prüfen Sie den Link oder bitten Sie den Partner um einen neuen.
error-bad-link-title = Dieser Link ist ungültig
error-bad-param = Der Parameter { $param } des Links ist ungültig: { $reason }
param-installation-id = er muss eine Installations-ID sein.
param-installation-type = er muss 1 (Go/Home) oder 0 (Pro) sein.
param-show-existing = er muss true oder false sein.
param-partner-name = er darf höchstens 100 Zeichen ohne Steuerzeichen enthalten.
param-return-url = er darf höchstens 2048 Zeichen lang sein.
param-query = die Abfrage des Links konnte nicht gelesen werden.
error-back = Zurück zu voltgate
too-many-title = Zu viele Versuche
too-many-seconds = Zu viele Versuche von hier. Versuchen Sie es in { $seconds } Sekunden erneut.
too-many-minutes = Zu viele Versuche von hier. Versuchen Sie es in { $minutes } Minuten erneut.

nav-account = Konto
account-title = Ihr Konto
account-tokens = API-Tokens
account-tokens-help = Programme, die die voltgate-API in Ihrem Namen nutzen, halten diese Tokens. Widerrufen Sie eines, verliert das Programm bei seiner nächsten Anfrage den Zugriff.
account-no-tokens = Kein Programm hält ein API-Token von Ihnen.
account-created = Ausgestellt
account-last-used = Zuletzt benutzt
account-from = Von
account-never = nie
account-revoke = Widerrufen
account-everywhere = Überall abmelden
account-everywhere-help = Beendet Ihre Sitzungen in allen Browsern, auch in diesem, und widerruft alle Ihre API-Tokens.
account-password = Passwort ändern
account-password-help = Ein neues Passwort beendet Ihre Sitzungen in allen anderen Browsern und widerruft alle Ihre API-Tokens; hier bleiben Sie angemeldet.
account-password-button = Passwort ändern
account-password-changed = Ihr Passwort ist geändert. Alle anderen Browsersitzungen und alle Ihre API-Tokens sind beendet.
field-current-password = Aktuelles Passwort
account-new-password = Neues Passwort (mindestens 10 Zeichen)
field-new-password-again = Neues Passwort wiederholen
## Fehler und Prüfungen
error-not-found-title = Nicht gefunden
error-not-found = Hier gibt es nichts, oder Sie haben keinen Zugriff darauf.
error-forbidden-title = Nicht erlaubt
error-forbidden = Sie dürfen dies sehen, aber nicht ändern.
error-csrf-title = Formular abgelaufen
error-csrf = Dieses Formular wurde nicht von voltgate gesendet oder ist abgelaufen. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.
error-bad-request-title = Das hat nicht geklappt
error-conflict-title = Nicht möglich
error-busy-title = Ausgelastet
error-busy = voltgate ist gerade sehr ausgelastet. Versuchen Sie es in ein paar Sekunden noch einmal.
error-internal-title = Etwas ist schiefgegangen
error-internal = Bitte versuchen Sie es gleich noch einmal.
err-required = Dieses Feld ist erforderlich.
err-too-long = Höchstens { $max } Zeichen.
err-control = Steuerzeichen sind nicht erlaubt.
err-direction = Zeichen, die die Schreibrichtung ändern, sind nicht erlaubt.
err-invisible = Geben Sie sichtbare Zeichen ein, nicht nur Leerzeichen oder unsichtbare Zeichen.
err-date = Geben Sie ein Datum wie 2026-11-25 ein, zwischen den Jahren 1970 und 9999.
err-url-malformed = Geben Sie eine vollständige Webadresse ein, etwa https://partner.example/return.
err-url-scheme = Verwenden Sie https:// (http:// nur für localhost und 127.0.0.1).
err-url-userinfo = Eine Rücksprungadresse darf keinen Benutzernamen und kein Passwort enthalten.
err-url-fragment = Eine Rücksprungadresse darf kein #Fragment enthalten.
err-key-length = Ein Suchschlüssel hat { $min } bis { $max } Zeichen.
err-key-alphabet = Ein Suchschlüssel enthält nur Buchstaben und Ziffern (ohne 0, O, 1, I und L).
err-amperes = Geben Sie eine Stromstärke in Ampere ein, etwa 16 oder 16,5.
err-amperes-range = Muss zwischen 0 und { $max } A liegen.
err-amperes-above = Darf den Höchststrom ({ $max } A) nicht überschreiten.
err-max-current-owners = Nur Eigentümer und Administratoren der Installation dürfen den Höchststrom ändern.
max-current-fixed = Von Eigentümern und Administratoren der Installation festgelegt: die Absicherung des Stromkreises, den sich die Ladegeräte teilen.
err-choose-one = Wählen Sie eines von: { $choices }.
err-last-owner = Der letzte Eigentümer kann nicht entfernt oder herabgestuft werden; machen Sie zuerst jemand anderen zum Eigentümer.
err-no-longer-manage = Sie verwalten die Personen dieser Installation nicht mehr.
err-owners-only = Nur ein Eigentümer kann die Eigentümerrolle vergeben, ändern oder entziehen.
err-email-empty = Geben Sie eine E-Mail-Adresse ein.
err-email-malformed = Das ist keine gültige E-Mail-Adresse.
err-email-taken = Zu dieser E-Mail-Adresse gibt es schon ein Konto. Melden Sie sich stattdessen an.
err-password-short = Mindestens { $min } Zeichen.
err-password-mismatch = Die beiden neuen Passwörter unterscheiden sich. Geben Sie zweimal dasselbe ein.
err-current-password = Das ist nicht Ihr aktuelles Passwort.
err-id-tag = Ein RFID-Token hat 1 bis 20 druckbare Zeichen, so wie das Ladegerät es meldet.
err-identity = Eine Ladepunkt-Kennung hat 1 bis 48 druckbare Zeichen ohne Leerzeichen.
err-identity-taken = Ein anderes Ladegerät verwendet diese Kennung bereits.
err-yes-no = Wählen Sie Ja oder Nein.
err-available-mode = Wählen Sie „alle Phasen“ oder „je Phase“.
err-phases = Wählen Sie 1 oder 3 Phasen.
err-connectors = Wählen Sie 1 bis 16 Anschlüsse.
err-connector = Wählen Sie einen Anschluss von 1 bis { $max }.
err-nothing-charging = An diesem Anschluss wird gerade nicht geladen.
err-command = Wählen Sie einen Befehl.
err-no-account = Zu dieser E-Mail-Adresse gibt es kein Konto. Bitten Sie die Person, sich zuerst zu registrieren.
err-group-name-taken = Eine andere Gruppe hat bereits diesen oder einen zum Verwechseln ähnlichen Namen. Wählen Sie einen unterscheidbaren Namen.
err-token-holder = Tokens gehören Personen mit Zugriff auf diese Installation.
err-taken = { $what ->
    [email] Diese E-Mail-Adresse ist bereits vergeben.
    [identity] Diese Ladepunkt-Kennung ist bereits vergeben.
    [lookup_key] Dieser Suchschlüssel ist bereits vergeben.
   *[other] Dieser Name ist bereits vergeben.
}
err-filter-date = Das Datum „{ $reason }“ ist ungültig: Geben Sie ein Datum wie 2026-11-25 ein.
err-filter-charger = Wählen Sie ein Ladegerät dieser Installation.
err-page = Die Seitenzahl muss eine ganze Zahl ab 1 sein.
err-choose-member = Wählen Sie ein Mitglied zum Entfernen.
err-choose-person = Wählen Sie eine Person zum Entfernen.
err-choose-language = Wählen Sie English, Deutsch oder Norsk bokmål.
err-choose-decision = Wählen Sie „Zustimmen“ oder „Ablehnen“.
err-receipt = Dieser Bestätigungslink ist ungültig. Öffnen Sie den Reiter „Berechtigungen“ der Installation, um zu sehen, wer Zugriff hat.
err-form-too-large = Das Formular ist größer als { $kib } KiB.
err-form-unreadable = Das Formular konnte nicht gelesen werden. Laden Sie die Seite neu und versuchen Sie es noch einmal.
err-config-shape = Ein Schlüssel hat 1 bis 50 Zeichen und ein Wert höchstens 500, in einer Zeile, ohne Steuerzeichen.
err-config-integer = Geben Sie eine ganze Zahl von { $min } bis { $max } ein.
err-config-boolean = Geben Sie true oder false ein.
err-config-list = Geben Sie eine durch Kommas getrennte Liste von Namen ein, etwa Energy.Active.Import.Register,Power.Active.Import.

## Rahmen, Reiter, häufige Wörter
tab-overview = Übersicht
tab-history = Ladeverlauf
tab-permissions = Berechtigungen
tab-audit = Protokoll
save = Speichern
cancel = Abbrechen
yes = Ja
no = Nein
optional = freiwillig
copy = Kopieren
show = Anzeigen
from = Von
to = Bis
pages = Seiten
newer = Neuere
older = Ältere
page-of = Seite { $page } von { $pages }
never = nie
online = verbunden
offline = getrennt
details = Angaben
description = Beschreibung
installation = Installation
col-name = Name
col-address = Adresse
col-type = Art
col-your-access = Ihr Zugriff
col-your-role = Ihre Rolle
col-role = Rolle
col-since = Seit
col-actions = Aktionen
col-created = Angelegt
col-state = Zustand
col-group = Gruppe
col-granted = Gewährt
col-when = Wann
col-who = Wer
col-what = Was
col-outcome = Ergebnis
col-user-token = Wer hat geladen
col-started = Beginn
col-stopped = Ende
col-energy = Energie
col-reason = Grund
role-owner = Eigentümer
role-admin = Verwalter
role-user = Benutzer
role-member = Mitglied
through-groups = über { $groups }

## Installationen
count-installations = { $count ->
    [one] 1 Installation
   *[other] { $count } Installationen
}
installations-empty = Sie haben noch keine Installationen. Legen Sie unten eine an, oder bitten Sie den Eigentümer einer Installation, Sie hinzuzufügen.
installation-new = Neue Installation
installation-create = Installation anlegen
groups-link = Benutzergruppe anlegen oder verwalten
groups-link-hint = für Partner, die Installationen für andere betreuen.
settings = Einstellungen
max-current = Höchststrom
available-current = Verfügbarer Strom
same-all-phases = Gleich auf allen Phasen
all-phases = Alle Phasen
per-phase = Je Phase
phase-n = Phase { $n }
auth-required = Laden erfordert Anmeldung
network-phases = Netzphasen
one-phase = 1 Phase
three-phases = 3 Phasen
settings-save = Einstellungen speichern
settings-owners-only = Nur Eigentümer und Verwalter der Installation können ihre Einstellungen ändern.
settings-six-amps = Mit { $amps } A verfügbar können die { $count } gerade ladenden Anschlüsse nicht alle die 6 A bekommen, die ein Auto braucht; einige pausieren.
chargers = Ladegeräte
charger = Ladegerät
count-chargers = { $count ->
    [one] 1 Ladegerät
   *[other] { $count } Ladegeräte
}
chargers-empty = Noch keine Ladegeräte.
chargers-empty-add = Fügen Sie unten eines hinzu und konfigurieren Sie es dann mit der angezeigten OCPP-Adresse und dem Passwort.
last-heard = Zuletzt gemeldet
tokens = RFID-Tokens
count-tokens = { $count ->
    [one] 1 Token
   *[other] { $count } Tokens
}
tokens-hint = wenn die Installation eine Anmeldung verlangt, dürfen nur diese laden
token = Token
belongs-to = Gehört
remove-token = { $token } entfernen
token-email = E-Mail der Person, der es gehört
token-register = Token registrieren
people = Personen
count-people = { $count ->
    [one] 1 Person
   *[other] { $count } Personen
}
people-add = Person hinzufügen oder Rolle ändern
member-email = E-Mail ihres voltgate-Kontos
people-hint = Eigentümer und Verwalter ändern Einstellungen und Personen; Benutzer können nur schauen. Nur Eigentümer vergeben, ändern oder entziehen die Eigentümerrolle, und eine Installation behält immer mindestens einen Eigentümer.
people-manage-link = Personen im Reiter „Übersicht“ hinzufügen, ändern oder entfernen
remove-person = { $email } entfernen
notice-settings = Einstellungen gespeichert.
notice-people = Personen aktualisiert.
notice-tokens = RFID-Tokens aktualisiert.
notice-members = Mitglieder aktualisiert.
notice-key = Neuer Suchschlüssel erstellt. Der alte Schlüssel funktioniert nicht mehr.
notice-return-urls = Rücksprungadressen gespeichert.
notice-revoked = Zugriff entzogen. Die Mitglieder der Gruppe haben ihn mit ihrer nächsten Anfrage verloren.

## Ladegeräte
connectors = Anschlüsse
connectors-none = Das Ladegerät hat seine Anschlüsse noch nicht gemeldet.
connector-n = Anschluss { $n }
connector-line = Anschluss { $n }: { $text }
power = Leistung
current-per-phase = Strom L1 / L2 / L3
session-energy = Energie dieses Ladevorgangs
session-duration = Lädt seit
session-label = Ladevorgang #{ $number }, { $energy }
state-available = Frei
state-preparing = Auto angeschlossen, wartet auf Start
state-charging = Lädt
state-paused-limit = Pausiert durch das Limit der Installation
state-paused-you = Von Ihnen pausiert
state-paused-car = Vom Auto pausiert
state-finishing = Wird beendet
state-reserved = Reserviert
state-faulted = Störung
state-unavailable = Nicht verfügbar
state-unknown = Unbekannt
pending-start = Wird gestartet …
pending-stop = Wird gestoppt …
pending-pause = Wird pausiert …
pending-resume = Wird fortgesetzt …
pending-unlock = Wird entriegelt …
pending-restart = Startet neu …
pending-enable = Wird aktiviert …
pending-disable = Wird deaktiviert …
cmd-start = Laden starten
cmd-stop = Laden stoppen
cmd-pause = Pausieren
cmd-resume = Fortsetzen
cmd-unlock = Kabel entriegeln
cmd-restart = Neu starten
cmd-refresh = Zustand abfragen
cmd-enable = Aktivieren
cmd-disable = Deaktivieren
start-with = Starten mit Token
start-without-token = ohne Token (Anmeldung ist aus)
charger-whole = Das ganze Ladegerät
charger-whole-hint = Diese Befehle wirken auf das Ladegerät und alle Anschlüsse zugleich.
confirm-restart-title = { $charger } neu starten?
confirm-restart = Das Ladegerät startet jetzt neu. Das Laden an allen Anschlüssen endet, und das Ladegerät ist ein bis zwei Minuten nicht erreichbar.
confirm-restart-button = Jetzt neu starten
confirm-disable-title = { $charger } deaktivieren?
confirm-disable = An { $charger } kann niemand laden, bis es wieder aktiviert wird. Das Laden an allen Anschlüssen endet.
confirm-disable-button = Ladegerät deaktivieren
charger-details = Über dieses Ladegerät
charger-identity = Ladepunkt-Kennung
charger-identity-hint = wie im Ladegerät eingestellt, 1–48 Zeichen
charger-ocpp-url = OCPP-Adresse
charger-protocol = Protokoll
charger-protocol-value = OCPP 1.6J, Sicherheitsprofil 1 (HTTP Basic)
charger-user = Benutzername
charger-vendor-model = Hersteller / Modell
charger-serial = Seriennummer
charger-firmware = Firmware-Version
charger-new-password = Neues Passwort erstellen
charger-configure-with = Konfigurieren Sie das Ladegerät hiermit
charger-password-once = Das Passwort wird nur jetzt angezeigt; voltgate speichert nur seinen Hash. Erstellen Sie ein neues, wenn es verloren geht.
charger-add = Ladegerät hinzufügen
configuration = Konfiguration
limit-amps = Limit { $amps } A
limit-rejected = Das Ladegerät hat sein Stromlimit abgelehnt.
limit-offline = Das Ladegerät ist getrennt; sein Stromlimit wurde nicht gesendet.
limit-unconfirmed = Das Ladegerät hat sein Stromlimit nicht bestätigt.
outcome-answered = Das Ladegerät antwortete: { $answer }.
answer-accepted = angenommen
answer-rejected = abgelehnt
answer-reboot-required = angenommen, wirksam nach einem Neustart
answer-not-supported = nicht unterstützt
answer-scheduled = geplant
answer-unlocked = entriegelt
answer-unlock-failed = konnte nicht entriegeln
outcome-limit-accepted = Das Ladegerät hat sein neues Limit angenommen.
outcome-limit-rejected = Das Ladegerät hat sein neues Limit abgelehnt.
outcome-limit-offline = Das Ladegerät ist getrennt; das Limit wird gesendet, sobald es zurück ist.
outcome-limit-unknown = Das Ladegerät hat sein neues Limit nicht bestätigt.
outcome-limit-none = Erledigt; das Limit galt schon oder wartet auf freien Strom.
outcome-ended = Der Ladevorgang wurde beendet.
outcome-offline = Kein Ergebnis: Das Ladegerät ist getrennt.
outcome-busy = Kein Ergebnis: Das Ladegerät ist beschäftigt. Versuchen Sie es gleich noch einmal.
outcome-timeout = Kein Ergebnis: Das Ladegerät hat nicht rechtzeitig geantwortet.
outcome-disconnected = Kein Ergebnis: Die Verbindung des Ladegeräts brach vor der Antwort ab.
outcome-no-answer = Kein Ergebnis: Die Antwort des Ladegeräts war nicht lesbar.
outcome-nothing-charging = An diesem Anschluss wird gerade nicht geladen.
outcome-no-session = Dieser Ladevorgang läuft nicht an diesem Ladegerät.
outcome-not-recorded = Kein Ergebnis: Der Befehl konnte nicht protokolliert werden und wurde deshalb nicht gesendet.
outcome-not-permitted = Nicht gesendet: Ihr Zugang umfasst diesen Befehl nicht.

## Konfiguration
config-title = Konfiguration von { $charger }
config-count = { $count ->
    [one] 1 Schlüssel, wie das Ladegerät ihn meldet
   *[other] { $count } Schlüssel, wie das Ladegerät sie meldet
}
config-key = Schlüssel
config-value = Wert
config-change = Ändern
config-readonly = nur lesbar
config-unreadable = Die Konfiguration konnte nicht gelesen werden.
config-refused = { $key } wurde nicht gesendet: { $reason }
config-range = Werte: { $min } bis { $max }{ $unit }.
config-boolean = Werte: true oder false.
config-list = Werte: eine durch Kommas getrennte Liste.
unit-seconds = Sekunden
config-help-HeartbeatInterval = Wie oft das Ladegerät meldet, dass es noch da ist.
config-help-ConnectionTimeOut = Wie lange das Ladegerät nach der Freigabe auf ein Auto wartet.
config-help-MeterValueSampleInterval = Wie oft das Ladegerät beim Laden Zählerstände sendet (0: nie).
config-help-ClockAlignedDataInterval = Zählerstände zu festen Uhrzeiten (0: aus).
config-help-WebSocketPingInterval = Wie oft die Verbindung geprüft wird (0: aus).
config-help-MinimumStatusDuration = Wie lange ein Zustand dauern muss, bevor das Ladegerät ihn meldet.
config-help-TransactionMessageAttempts = Wie oft das Ladegerät eine fehlgeschlagene Ladevorgangsmeldung wiederholt.
config-help-TransactionMessageRetryInterval = Die Wartezeit zwischen diesen Wiederholungen.
config-help-ResetRetries = Wie oft das Ladegerät einen fehlgeschlagenen Neustart wiederholt.
config-help-MeterValuesSampledData = Was das Ladegerät beim Laden misst.
config-help-MeterValuesAlignedData = Was das Ladegerät zu festen Uhrzeiten misst.
config-help-AuthorizeRemoteTxRequests = Ob ein Start aus voltgate wie ein RFID-Token geprüft wird.
config-help-LocalAuthorizeOffline = Ob bekannte Tokens laden dürfen, während das Ladegerät getrennt ist.
config-help-LocalPreAuthorize = Ob bekannte Tokens sofort starten, ohne voltgate zu fragen.
config-help-AllowOfflineTxForUnknownId = Ob unbekannte Tokens laden dürfen, während das Ladegerät getrennt ist.
config-help-StopTransactionOnEVSideDisconnect = Ob das Abstecken am Auto den Ladevorgang beendet.
config-help-StopTransactionOnInvalidId = Ob ein Ladevorgang endet, wenn sich sein Token als ungültig erweist.
config-help-UnlockConnectorOnEVSideDisconnect = Ob das Kabel freigegeben wird, wenn es am Auto abgesteckt wird.

## Protokoll
audit-empty = Hier ist noch nichts passiert.
audit-operator = Betreiber (Kommandozeile)
audit-removed-account = ein gelöschtes Konto
audit-by-service = voltgate (automatisch)
audit-installation-created = Hat die Installation „{ $name }“ angelegt
audit-settings-changed = Hat die Einstellungen der Installation geändert
audit-role-set = Hat { $email } die Rolle { $role } gegeben
audit-role-removed = Hat { $email } entfernt (war { $role })
audit-access-approved = Hat Zugriff für { $group } genehmigt
audit-access-denied = Hat Zugriff für { $group } abgelehnt
audit-access-changed = Hat den Zugriff von { $group } geändert auf: { $rights }
audit-access-revoked = Hat { $group } den Zugriff entzogen
audit-access-expired = Der Zugriff von { $group } auf { $installation } ist abgelaufen
audit-charger-added = Hat das Ladegerät { $charger } hinzugefügt
audit-charger-password = Hat ein neues Passwort für { $charger } erstellt
audit-cmd-start = Hat das Laden an { $charger }, Anschluss { $connector }, gestartet
audit-cmd-stop = Hat das Laden an { $charger } gestoppt
audit-cmd-pause = Hat das Laden an { $charger }, Anschluss { $connector }, pausiert
audit-cmd-resume = Hat das Laden an { $charger }, Anschluss { $connector }, fortgesetzt
audit-cmd-end = Hat einen Ladevorgang an { $charger } beendet
audit-cmd-unlock = Hat Anschluss { $connector } von { $charger } entriegelt
audit-cmd-restart = Hat { $charger } neu gestartet
audit-cmd-availability = Hat { $charger } aktiviert oder deaktiviert
audit-cmd-configure = Hat { $key } an { $charger } geändert
audit-cmd-read-configuration = Hat die Konfiguration von { $charger } gelesen
audit-cmd-refresh = Hat { $charger } nach seinem Zustand gefragt
audit-cmd-other = Hat { $command } an { $charger } gesendet
audit-other = Etwas anderes ist passiert
audit-outcome-accepted = Angenommen
audit-outcome-rejected = Abgelehnt
audit-outcome-none = Keine Antwort
audit-changed = Hat { $what } geändert: { $before } → { $after }
audit-what-max-current = die maximale Stromstärke
audit-what-available-current = die verfügbare Stromstärke
audit-what-phases = die Phasen
audit-what-authentication = die Authentifizierung
audit-on = ein
audit-off = aus
audit-role-changed = Hat die Rolle von { $email } geändert: { $before } → { $after }
audit-cmd-configure-value = Hat { $key } an { $charger } auf „{ $value }“ gesetzt
audit-cmd-stop-connector = Hat das Laden an { $charger }, Anschluss { $connector } gestoppt
audit-cmd-end-connector = Hat eine Ladesitzung an { $charger }, Anschluss { $connector } beendet
audit-filter-all = Alle
audit-filter-apply = Filtern
audit-filter-clear = Alles zeigen
audit-kind-settings = Einstellungen
audit-kind-people = Personen und Rollen
audit-kind-access = Gruppenzugriff
audit-kind-chargers = Ladestationen
audit-kind-commands = Befehle an Ladestationen
audit-filtered-empty = Nichts passt zu diesen Filtern.
err-audit-kind = Wählen Sie eine Art von Ereignis aus der Liste.
err-audit-person = Wählen Sie eine Person aus der Liste.
err-audit-group = Wählen Sie eine Gruppe aus der Liste.
count-events = { $count ->
    [one] 1 Ereignis, neueste zuerst
   *[other] { $count } Ereignisse, neueste zuerst
}

## Berechtigungen
partner-groups = Partnergruppen
count-groups-access = { $count ->
    [one] 1 Gruppe mit Zugriff
   *[other] { $count } Gruppen mit Zugriff
}
grants-empty = Keine Partnergruppe hat Zugriff. Ein Partner bittet mit einem Link darum; Sie stimmen zu.
grants-owners-only = Nur Eigentümer und Verwalter der Installation sehen, wer sonst Zugriff hat.
granted-by = von { $name }
revoke = Entziehen
revoke-title = Den Zugriff von { $group } entziehen?
revoke-what = Jedes Mitglied von { $group } kann { $installation } und ihren Ladeverlauf nicht mehr sehen, ihre Einstellungen nicht mehr ändern und ihre Ladegeräte nicht mehr steuern oder konfigurieren — ab der nächsten Anfrage.
revoke-again = Um wieder Zugriff zu bekommen, muss die Gruppe erneut anfragen, und ein Eigentümer oder Verwalter muss zustimmen.
revoke-button = Zugriff entziehen

## Benutzergruppen
count-groups = { $count ->
    [one] 1 Gruppe
   *[other] { $count } Gruppen
}
groups-empty = Sie gehören zu keiner Benutzergruppe. Ein Partner — ein Betreiber, ein Installateur, ein Integrator — legt eine Gruppe an, damit Eigentümer von Installationen ihr Zugriff geben können.
group-new = Neue Benutzergruppe
group-create = Gruppe anlegen
support-email = Support-E-Mail
support-url = Support-Webseite
return-urls = Rücksprungadressen
return-urls-hint = eine pro Zeile; https://, oder http://localhost zum Entwickeln
return-urls-explain = Nachdem ein Eigentümer Ihre Zugriffsanfrage genehmigt oder abgelehnt hat, schickt voltgate den Browser nur zu einer dieser Adressen zurück.
return-urls-save = Rücksprungadressen speichern
one-per-line = Eine pro Zeile
access-link = Zugriffslink
key-new = Neuen Suchschlüssel erstellen
key-new-hint = Ein neuer Schlüssel ersetzt den alten sofort: Links mit dem alten Schlüssel funktionieren nicht mehr.
key-new-confirm = Der Schlüssel { $key } funktioniert sofort nicht mehr: Jeder Zugriffslink, den Sie schon verschickt haben, führt ins Leere. Installationen, die bereits Zugriff gegeben haben, behalten ihn.
members = Mitglieder
count-members = { $count ->
    [one] 1 Mitglied
   *[other] { $count } Mitglieder
}
members-add = Mitglied hinzufügen oder Rolle ändern
group-owner = Eigentümer der Gruppe
group-leave = Diese Gruppe verlassen
group-edit-details = Name, Beschreibung und Support-Kontakte ändern
notice-group-details = Die Angaben der Gruppe sind gespeichert.
group-has-access = { $count ->
    [one] Diese Gruppe hat Zugriff auf 1 Installation.
   *[other] Diese Gruppe hat Zugriff auf { $count } Installationen.
}
group-installations-empty = Schicken Sie Eigentümern von Installationen den Zugriffslink oben; sobald sie zustimmen, erscheint ihre Installation hier.
give-up-access = Zugriff aufgeben

## Ladeverlauf
all-chargers = Alle Ladegeräte
filter-user = Person (E-Mail)
count-sessions = { $count ->
    [one] 1 Ladevorgang
   *[other] { $count } Ladevorgänge
}
kwh-in-all = { $kwh } kWh insgesamt
download-csv = CSV herunterladen
history-empty = Keine passenden Ladevorgänge. Ladevorgänge erscheinen hier, wenn Ladegeräte das Laden starten und beenden.
not-authorised = nicht freigegeben
err-filter-range = Das Startdatum ({ $from }) liegt nach dem Enddatum ({ $to }): Wählen Sie ein Startdatum am oder vor dem Enddatum.
err-time-zone = Wählen Sie eine Zeitzone aus der Liste, zum Beispiel Europe/Berlin.
col-duration = Dauer
history-live = bisher { $kwh } kWh
times-in-zone = Zeiten in { $zone }.
time-zone = Zeitzone
time-zone-hint = Alle Zeiten auf den Seiten der Installation werden in dieser Zone angezeigt.
time-zone-save = Zeitzone speichern
notice-time-zone = Zeitzone gespeichert.
chart-when = Zeitraum
chart-value = Wert
chart-week = KW { $week }, { $year }
chart-week-short = KW { $week }
chart-energy-title-days = Energie pro Tag, letzte 30 Tage
chart-history-title = Energie dieser Ladevorgänge
chart-energy-desc = Insgesamt { $total } kWh von { $first } bis { $last }.
chart-power-title = Leistung, letzte 24 Stunden
chart-power-desc = Durchschnittliche Leistung pro Stunde; höchstens { $peak } kW.
audit-time-zone-changed = Hat die Zeitzone von { $before } auf { $after } geändert

## Dauer
duration-under-minute = weniger als eine Minute
duration-minutes = { $m } Min.
duration-hours = { $h } Std. { $m } Min.
receipt-no-longer = { $group } hat jetzt keinen Zugriff auf { $installation }.
err-return-url-line = Zeile { $line }: { $reason }
err-return-urls-count = Höchstens { $max } Rücksprungadressen.
nav-main = Hauptmenü
outcome-expired = Kein Ergebnis: Das Ladegerät war bis zur Frist beschäftigt; der Befehl wurde nicht gesendet.
outcome-refused = Kein Ergebnis: Das Ladegerät hat den Befehl verweigert ({ $why }).
builder = Link zusammenstellen
builder-partner = Ihr Name, vor der Anmeldung gezeigt
builder-return = nur unten registrierte Adressen
builder-show-existing = auch Installationen zeigen, die schon Zugriff gegeben haben
builder-make = Link erstellen

sa-title = API-Zugangsdaten
sa-explain = Mit Dienstkonten nutzt die Software Ihrer Gruppe die REST-API als Gruppe: Sie erreicht genau die mit der Gruppe geteilten Installationen mit den Rechten der Gruppe und nichts über ihre Mitglieder.
sa-manage = API-Zugangsdaten verwalten
sa-new = Neue API-Zugangsdaten
sa-secret-once = Kopieren Sie das Geheimnis jetzt: Es wird nur dieses eine Mal angezeigt.
sa-client-id = Client-ID
sa-secret = Client-Geheimnis
sa-none = Noch keine API-Zugangsdaten.
sa-create = API-Zugangsdaten anlegen
sa-revoked = Widerrufen
param-request = die Zugriffsanfrage ist unbekannt, gehört zu einer anderen Gruppe, wurde schon entschieden oder ist abgelaufen (Links gelten 7 Tage).
err-request-decided = Über diese Zugriffsanfrage wurde schon entschieden, oder ihr Link ist abgelaufen.
# Webhooks (group page)
webhooks = Webhooks (HTTP-Rückrufe)
webhooks-manage = Webhooks verwalten
webhooks-explain = voltgate sendet signiertes JSON per POST an diese Adressen, wenn Zugriff erteilt, geändert, entzogen wird oder abläuft, wenn Ladevorgänge beginnen und enden und wenn Ladestationen der mit der Gruppe geteilten Installationen online oder offline gehen. Fehlgeschlagene Zustellungen werden 24 Stunden lang wiederholt; danach wird der Endpunkt deaktiviert.
webhooks-empty = Noch keine Webhook-Endpunkte.
webhook-endpoints = Endpunkte
webhook-events = Ereignisse
webhook-event = Ereignis
webhook-state = Zustand
webhook-active = Aktiv
webhook-disabled = Deaktiviert seit { $at }:
webhook-rotating = Das vorherige Geheimnis signiert noch bis { $until }.
webhook-rotate = Neues Geheimnis
webhook-delete = Löschen
webhook-add = Endpunkt hinzufügen
webhook-secret = Signaturgeheimnis
webhook-secret-once = Das Geheimnis für { $url }. Kopieren Sie es jetzt: Es wird nicht wieder angezeigt. Prüfen Sie damit den Header Voltgate-Signature.
webhook-attempts = Letzte Zustellungen
webhook-attempts-empty = Noch nichts zugestellt.
webhook-when = Wann
webhook-outcome = Ergebnis
err-webhook-events-empty = Wählen Sie mindestens ein Ereignis.
err-webhook-limit = Eine Gruppe hat höchstens { $max } Webhook-Endpunkte: Löschen Sie zuerst einen.
err-webhook-event-unknown = Unbekannter Ereignistyp { $name }.
# Grant rights and end dates
review-can-control = jede Ladestation der Installation starten, stoppen, neu starten, pausieren und entriegeln
review-can-configure = jede Ladestation konfigurieren: Einstellungen, OCPP-Konfiguration und Ladegrenzen
review-until = Bis (kann leer bleiben)
review-until-hint = Leer lassen für Zugriff, bis Sie ihn widerrufen. Der Zugriff endet nach diesem Tag.
param-rights = er muss eine durch Kommas getrennte Liste aus settings, control und configure sein.
err-grant-rights = Unbekanntes Recht: Wählen Sie aus settings, control und configure.
err-grant-until = Geben Sie das Enddatum als Datum an, etwa 2026-12-31.
err-grant-until-past = Das Enddatum muss heute oder später sein.
grant-rights = Rechte
grant-right-view = sehen
grant-right-settings = Einstellungen
grant-right-control = Ladestationen steuern
grant-right-configure = Ladestationen konfigurieren
grant-until = Bis
grant-no-end = bis zum Widerruf
grant-expired = abgelaufen
grant-change = Rechte oder Enddatum ändern
grant-changed = Der Zugriff von { $group } lautet jetzt: { $rights }.
receipt-changed = { $group } hatte bereits Zugriff auf { $installation }; der Zugriff lautet jetzt: { $rights }.
receipt-unchanged = { $group } hatte bereits Zugriff auf { $installation } mit genau diesen Rechten: { $rights }. Es hat sich nichts geändert.
receipt-unchanged-next = Um den Zugriff zu ändern oder zu beenden, öffnen Sie die Berechtigungen der Installation.
audit-charger-settings = Strom- und Phasengrenzen eines Ladegeräts geändert
audit-id-tag-set = RFID-Token { $tag } hinzugefügt
audit-id-tag-removed = RFID-Token { $tag } entfernt
audit-group-created = Gruppe „{ $name }“ angelegt
audit-group-details-changed = Name, Beschreibung oder Support-Kontakt der Gruppe geändert
audit-group-member-set = { $email } die Gruppenrolle { $role } gegeben
audit-group-member-removed = { $email } aus der Gruppe entfernt
audit-lookup-key-rotated = Suchschlüssel { $old } durch { $new } ersetzt
audit-group-verified = Der Betreiber hat die Gruppe als geprüft markiert
audit-return-urls-set = Registrierte Rücksprungadressen gesetzt: { $urls }
audit-return-url-added = Rücksprungadresse { $url } registriert
audit-return-url-removed = Rücksprungadresse { $url } entfernt
audit-service-account-created = API-Zugangsdaten „{ $name }“ angelegt
audit-service-account-revoked = API-Zugangsdaten „{ $name }“ widerrufen
audit-webhook-added = Webhook { $url } hinzugefügt
audit-webhook-removed = Webhook { $url } entfernt
audit-webhook-rotated = Neues Signaturgeheimnis für den Webhook { $url } erzeugt
audit-outside-group = jemand außerhalb der Gruppe
col-installation = Installation
group-events-link = Protokoll der Gruppe
group-events-explain = Änderungen an der Gruppe und was ihre Mitglieder und API-Zugangsdaten an den mit ihr geteilten Installationen getan haben.
