# voltgate — norsk bokmål
nav-installations = Installasjoner
nav-groups = Brukergrupper
nav-logout = Logg ut
nav-login = Logg inn
nav-signup = Registrer deg
language = Språk
back-home = Tilbake til voltgate

login-title = Logg inn
login-refused = E-postadressen eller passordet er feil.
field-email = E-post
field-password = Passord
field-full-name = Fullt navn
field-new-password = Passord (minst 10 tegn)
login-button = Logg inn
login-no-account = Har du ingen konto ennå?
signup-title = Registrer deg
signup-button = Opprett konto
signup-have-account = Har du allerede en konto?

request-banner = { $partner } ber om tilgang til installasjonen din
request-banner-anonymous = En partner ber om tilgang til installasjonen din
request-banner-note = Dette navnet kommer fra lenken du fulgte. Når du har logget inn, viser voltgate hvem som faktisk spør.

review-title = Forespørsel om tilgang
review-asks = { $group } ber om tilgang til en av installasjonene dine
review-link-name = Lenken kalte denne partneren «{ $partner }». Navnet over er det som er registrert hos voltgate.
review-verified = ✓ voltgate sjekket { $date } hvem denne gruppen er.
review-unverified = voltgate har ikke sjekket hvem denne gruppen er. Forsikre deg om at du kjenner dem: sammenlign oppslagsnøkkelen og nettadressene nedenfor med det partneren har fortalt deg.
review-facts = Om denne gruppen
review-lookup-key = Oppslagsnøkkel
review-domains = Nettadresser den sender tilbake til
review-no-domains = ingen registrert
review-created = Registrert hos voltgate
review-approvals = Installasjoner som har gitt den tilgang
review-support = Kundestøtte
review-choose = Hvilken installasjon?
review-already = har allerede tilgang
type-go = Go/Home
type-pro = Pro
review-can = Gruppen vil kunne
review-can-see = se installasjonen og ladehistorikken
review-can-settings = endre innstillingene for installasjonen
review-whole = Tilgangen gjelder hele installasjonen, ikke enkeltladere.
review-cannot = Gruppen vil ikke kunne
review-cannot-manage = bestemme hvem som har tilgang
review-cannot-pass = gi tilgangen videre
review-cannot-delete = slette installasjonen
review-cannot-others = se de andre installasjonene dine
review-revoke-note = Du kan trekke dette tilbake når som helst under Installasjon → Tillatelser.
review-return-untrusted = Partnerens returadresse er ikke registrert hos voltgate, så du blir værende på voltgate etter avgjørelsen.
review-approve = Godkjenn
review-deny = Avslå
review-named-not-grantable = Lenken peker på en installasjon du ikke kan gi tilgang til. Velg en av dine, eller spør eieren av den installasjonen.
review-deny-anyway = Du kan fortsatt avslå forespørselen.
nothing-no-installations = Du eier eller administrerer ingen installasjon av denne typen som kan deles.
review-create-installation = Opprett en installasjon og kom tilbake hit
installation-new-then-request = Når den finnes, kommer du tilbake til forespørselen og kan gi tilgang til den.
nothing-granted-to = { $group } har allerede tilgang til { $installations }.
back-to-request = Tilbake til forespørselen
nothing-pro-needs-id = Pro-installasjoner kan bare deles via en lenke som angir installasjonen. Be partneren om en slik lenke.
way-out-partner = Tilbake til partneren
way-out-installations = Til installasjonene dine
choose-installation = Velg installasjonen du vil gi tilgang til.

receipt-approved = { $group } har nå tilgang til { $installation }.
receipt-approved-next = Medlemmene kan nå: { $rights }. Du kan begrense eller trekke tilbake tilgangen når som helst på fanen Tilganger.
receipt-denied = Du avslo forespørselen fra { $group }.
receipt-denied-next = Ingenting ble delt. Partneren kan sende deg en ny lenke.
receipt-return-refused = Partnerens returadresse var ikke klarert, så du blir værende på voltgate.
receipt-permissions = Åpne tillatelsene for installasjonen
receipt-some-installation = installasjonen

error-unknown-key-title = Ingen slik partner
error-unknown-key = Ingen partner har oppslagsnøkkelen «{ $key }». Sjekk lenken, eller be partneren om en ny.
error-bad-link-title = Denne lenken er ugyldig
error-bad-param = Parameteren { $param } i lenken er ugyldig: { $reason }
param-installation-id = den må være en installasjons-ID.
param-installation-type = den må være 1 (Go/Home) eller 0 (Pro).
param-show-existing = den må være true eller false.
param-partner-name = den kan ha høyst 100 tegn uten kontrolltegn.
param-return-url = den kan ha høyst 2048 tegn.
param-query = spørringen i lenken kunne ikke leses.
error-back = Tilbake til voltgate
too-many-title = For mange forsøk
too-many-seconds = For mange forsøk herfra. Prøv igjen om { $seconds } sekunder.
too-many-minutes = For mange forsøk herfra. Prøv igjen om { $minutes } minutter.

nav-account = Konto
account-title = Kontoen din
account-tokens = API-nøkler
account-tokens-help = Programmer som bruker voltgate-APIet på dine vegne, har disse nøklene. Trekker du tilbake en, mister programmet tilgangen ved neste forespørsel.
account-no-tokens = Ingen programmer har en API-nøkkel fra deg.
account-created = Utstedt
account-last-used = Sist brukt
account-from = Fra
account-never = aldri
account-revoke = Trekk tilbake
account-everywhere = Logg ut overalt
account-everywhere-help = Avslutter øktene dine i alle nettlesere, også denne, og trekker tilbake alle API-nøklene dine.
account-password = Bytt passord
account-password-help = Et nytt passord avslutter øktene dine i alle andre nettlesere og trekker tilbake alle API-nøklene dine; her forblir du innlogget.
account-password-button = Bytt passord
account-password-changed = Passordet ditt er byttet. Alle andre nettleserøkter og alle API-nøklene dine er avsluttet.
field-current-password = Nåværende passord
account-new-password = Nytt passord (minst 10 tegn)
field-new-password-again = Nytt passord igjen
## Feil og kontroller
error-not-found-title = Ikke funnet
error-not-found = Det finnes ingenting her, eller du har ikke tilgang til det.
error-forbidden-title = Ikke tillatt
error-forbidden = Du kan se dette, men ikke endre det.
error-csrf-title = Skjemaet er utløpt
error-csrf = Dette skjemaet ble ikke sendt fra voltgate eller er utløpt. Gå tilbake, last inn siden på nytt og prøv igjen.
error-bad-request-title = Det gikk ikke
error-conflict-title = Ikke mulig
error-busy-title = Opptatt
error-busy = voltgate er svært opptatt akkurat nå. Prøv igjen om noen sekunder.
error-internal-title = Noe gikk galt
error-internal = Prøv igjen om et øyeblikk.
err-required = Dette feltet må fylles ut.
err-too-long = Høyst { $max } tegn.
err-control = Kontrolltegn er ikke tillatt.
err-direction = Tegn som endrer skriveretningen, er ikke tillatt.
err-invisible = Skriv synlige tegn, ikke bare mellomrom eller usynlige tegn.
err-date = Skriv en dato som 2026-11-25, mellom årene 1970 og 9999.
err-url-malformed = Skriv en fullstendig nettadresse, for eksempel https://partner.example/return.
err-url-scheme = Bruk https:// (http:// er bare tillatt for localhost og 127.0.0.1).
err-url-userinfo = En returadresse kan ikke inneholde brukernavn eller passord.
err-url-fragment = En returadresse kan ikke inneholde et #fragment.
err-key-length = En oppslagsnøkkel har { $min } til { $max } tegn.
err-key-alphabet = En oppslagsnøkkel har bare bokstaver og sifre (uten 0, O, 1, I og L).
err-amperes = Skriv et antall ampere, for eksempel 16 eller 16,5.
err-amperes-range = Må være mellom 0 og { $max } A.
err-amperes-above = Kan ikke være høyere enn hovedsikringen ({ $max } A).
err-max-current-owners = Bare installasjonens eiere og administratorer kan endre hovedsikringen.
max-current-fixed = Satt av installasjonens eiere og administratorer: sikringen for kursen laderne deler.
err-choose-one = Velg en av: { $choices }.
err-last-owner = Den siste eieren kan ikke fjernes eller nedgraderes; gjør først noen andre til eier.
err-no-longer-manage = Du administrerer ikke lenger personene i dette anlegget.
err-owners-only = Bare en eier kan gi, endre eller fjerne eierrollen.
err-email-empty = Skriv en e-postadresse.
err-email-malformed = Dette er ikke en gyldig e-postadresse.
err-email-taken = Det finnes allerede en konto med denne e-postadressen. Logg inn i stedet.
err-password-short = Minst { $min } tegn.
err-password-mismatch = De to nye passordene er ulike. Skriv det samme to ganger.
err-current-password = Dette er ikke det nåværende passordet ditt.
err-id-tag = En RFID-brikke har 1 til 20 skrivbare tegn, slik laderen rapporterer den.
err-identity = En ladepunkt-ID har 1 til 48 skrivbare tegn uten mellomrom.
err-identity-taken = En annen lader bruker allerede denne ID-en.
err-yes-no = Velg ja eller nei.
err-available-mode = Velg «alle faser» eller «per fase».
err-phases = Velg 1 eller 3 faser.
err-connectors = Velg 1 til 16 uttak.
err-connector = Velg et uttak fra 1 til { $max }.
err-nothing-charging = Ingenting lader på dette uttaket.
err-command = Velg en kommando.
err-no-account = Ingen konto har denne e-postadressen. Be personen registrere seg først.
err-group-name-taken = En annen gruppe har allerede dette navnet eller et som ligner til forveksling. Velg et navn som skiller gruppen din fra andre.
err-token-holder = Brikker tilhører personer med tilgang til dette anlegget.
err-taken = { $what ->
    [email] Denne e-postadressen er allerede i bruk.
    [identity] Denne ladepunkt-ID-en er allerede i bruk.
    [lookup_key] Denne oppslagsnøkkelen er allerede i bruk.
   *[other] Dette navnet er allerede i bruk.
}
err-filter-date = Datoen «{ $reason }» er ugyldig: skriv en dato som 2026-11-25.
err-filter-charger = Velg en lader i dette anlegget.
err-page = Sidetallet må være et helt tall fra 1.
err-choose-member = Velg et medlem som skal fjernes.
err-choose-person = Velg en person som skal fjernes.
err-choose-language = Velg English, Deutsch eller Norsk bokmål.
err-choose-decision = Velg «Godkjenn» eller «Avslå».
err-receipt = Denne kvitteringslenken er ugyldig. Åpne fanen «Tilganger» for anlegget for å se hvem som har tilgang.
err-form-too-large = Skjemaet er større enn { $kib } KiB.
err-form-unreadable = Skjemaet kunne ikke leses. Last inn siden på nytt og prøv igjen.
err-config-shape = En nøkkel har 1 til 50 tegn og en verdi høyst 500, på én linje, uten kontrolltegn.
err-config-integer = Skriv et helt tall fra { $min } til { $max }.
err-config-boolean = Skriv true eller false.
err-config-list = Skriv en kommaseparert liste med navn, for eksempel Energy.Active.Import.Register,Power.Active.Import.

## Ramme, faner, vanlige ord
tab-overview = Oversikt
tab-history = Ladehistorikk
tab-permissions = Tilganger
tab-audit = Logg
save = Lagre
cancel = Avbryt
yes = Ja
no = Nei
optional = valgfritt
copy = Kopier
show = Vis
from = Fra
to = Til
pages = Sider
newer = Nyere
older = Eldre
page-of = side { $page } av { $pages }
never = aldri
online = tilkoblet
offline = frakoblet
details = Opplysninger
description = Beskrivelse
installation = Anlegg
col-name = Navn
col-address = Adresse
col-type = Type
col-your-access = Din tilgang
col-your-role = Din rolle
col-role = Rolle
col-since = Siden
col-actions = Handlinger
col-created = Opprettet
col-state = Tilstand
col-group = Gruppe
col-granted = Gitt
col-when = Når
col-who = Hvem
col-what = Hva
col-outcome = Utfall
col-user-token = Hvem ladet
col-started = Startet
col-stopped = Stoppet
col-energy = Energi
col-reason = Årsak
role-owner = eier
role-admin = administrator
role-user = bruker
role-member = medlem
through-groups = gjennom { $groups }

## Anlegg
count-installations = { $count ->
    [one] 1 anlegg
   *[other] { $count } anlegg
}
installations-empty = Du har ingen anlegg ennå. Opprett et nedenfor, eller be eieren av et anlegg om å legge deg til.
installation-new = Nytt anlegg
installation-create = Opprett anlegg
groups-link = Opprett eller administrer en brukergruppe
groups-link-hint = for partnere som drifter anlegg for andre.
settings = Innstillinger
max-current = Hovedsikring
available-current = Tilgjengelig strøm
same-all-phases = Lik på alle faser
all-phases = Alle faser
per-phase = Per fase
phase-n = Fase { $n }
auth-required = Lading krever autentisering
network-phases = Nettfaser
one-phase = 1 fase
three-phases = 3 faser
settings-save = Lagre innstillinger
settings-owners-only = Bare anleggets eiere og administratorer kan endre innstillingene.
settings-six-amps = Med { $amps } A tilgjengelig kan ikke de { $count } uttakene som lader nå, alle få de 6 A en bil trenger; noen blir satt på pause.
chargers = Ladere
charger = Lader
count-chargers = { $count ->
    [one] 1 lader
   *[other] { $count } ladere
}
chargers-empty = Ingen ladere ennå.
chargers-empty-add = Legg til en nedenfor, og sett den opp med OCPP-adressen og passordet som vises.
last-heard = Sist hørt fra
tokens = RFID-brikker
count-tokens = { $count ->
    [one] 1 brikke
   *[other] { $count } brikker
}
tokens-hint = når anlegget krever autentisering, kan bare disse lade
token = Brikke
belongs-to = Tilhører
remove-token = Fjern { $token }
token-email = E-post til personen den tilhører
token-register = Registrer brikke
people = Personer
count-people = { $count ->
    [one] 1 person
   *[other] { $count } personer
}
people-add = Legg til en person eller endre en rolle
member-email = E-post til voltgate-kontoen deres
people-hint = Eiere og administratorer endrer innstillinger og personer; brukere kan bare se. Bare eiere gir, endrer eller fjerner eierrollen, og et anlegg har alltid minst én eier.
people-manage-link = Legg til, endre eller fjern personer i fanen «Oversikt»
remove-person = Fjern { $email }
notice-settings = Innstillingene er lagret.
notice-people = Personene er oppdatert.
notice-tokens = RFID-brikkene er oppdatert.
notice-members = Medlemmene er oppdatert.
notice-key = Ny oppslagsnøkkel laget. Den gamle nøkkelen virker ikke lenger.
notice-return-urls = Returadressene er lagret.
notice-revoked = Tilgangen er fjernet. Gruppens medlemmer mistet den ved sin neste forespørsel.

## Ladere
connectors = Uttak
connectors-none = Laderen har ikke rapportert uttakene sine ennå.
connector-n = Uttak { $n }
connector-line = Uttak { $n }: { $text }
power = Effekt
current-per-phase = Strøm L1 / L2 / L3
session-energy = Energi denne økten
session-duration = Lader i
session-label = økt #{ $number }, { $energy }
state-available = Ledig
state-preparing = Bil tilkoblet, venter på start
state-charging = Lader
state-paused-limit = Satt på pause av anleggets grense
state-paused-you = Satt på pause av deg
state-paused-car = Satt på pause av bilen
state-finishing = Avslutter
state-reserved = Reservert
state-faulted = Feil
state-unavailable = Utilgjengelig
state-unknown = Ukjent
pending-start = Starter …
pending-stop = Stopper …
pending-pause = Settes på pause …
pending-resume = Fortsetter …
pending-unlock = Låses opp …
pending-restart = Starter på nytt …
pending-enable = Aktiveres …
pending-disable = Deaktiveres …
cmd-start = Start lading
cmd-stop = Stopp lading
cmd-pause = Sett på pause
cmd-resume = Fortsett
cmd-unlock = Lås opp kabelen
cmd-restart = Start på nytt
cmd-refresh = Spør om tilstand
cmd-enable = Aktiver
cmd-disable = Deaktiver
start-with = Start med brikke
start-without-token = uten brikke (autentisering er av)
charger-whole = Hele laderen
charger-whole-hint = Disse virker på laderen og alle uttakene samtidig.
confirm-restart-title = Starte { $charger } på nytt?
confirm-restart = Laderen starter på nytt nå. Lading på alle uttak stopper, og laderen er frakoblet i et par minutter.
confirm-restart-button = Start på nytt nå
confirm-disable-title = Deaktivere { $charger }?
confirm-disable = Ingen kan lade på { $charger } før den aktiveres igjen. Lading på alle uttak stopper.
confirm-disable-button = Deaktiver laderen
charger-details = Om denne laderen
charger-identity = Ladepunkt-ID
charger-identity-hint = slik den er satt opp i laderen, 1–48 tegn
charger-ocpp-url = OCPP-adresse
charger-protocol = Protokoll
charger-protocol-value = OCPP 1.6J, sikkerhetsprofil 1 (HTTP Basic)
charger-user = Brukernavn
charger-vendor-model = Produsent / modell
charger-serial = Serienummer
charger-firmware = Fastvare
charger-new-password = Lag et nytt passord
charger-configure-with = Sett opp laderen med disse
charger-password-once = Passordet vises bare nå; voltgate tar bare vare på hashen. Lag et nytt hvis det går tapt.
charger-add = Legg til en lader
configuration = Oppsett
limit-amps = grense { $amps } A
limit-rejected = Laderen avviste strømgrensen sin.
limit-offline = Laderen er frakoblet; strømgrensen ble ikke sendt.
limit-unconfirmed = Laderen bekreftet ikke strømgrensen sin.
outcome-answered = Laderen svarte: { $answer }.
answer-accepted = godtatt
answer-rejected = avvist
answer-reboot-required = godtatt, gjelder etter omstart
answer-not-supported = støttes ikke
answer-scheduled = planlagt
answer-unlocked = låst opp
answer-unlock-failed = kunne ikke låse opp
outcome-limit-accepted = Laderen godtok den nye grensen.
outcome-limit-rejected = Laderen avviste den nye grensen.
outcome-limit-offline = Laderen er frakoblet; grensen sendes når den er tilbake.
outcome-limit-unknown = Laderen bekreftet ikke den nye grensen.
outcome-limit-none = Ferdig; grensen gjaldt allerede eller venter på ledig strøm.
outcome-ended = Ladeøkten ble avsluttet.
outcome-offline = Intet resultat: laderen er frakoblet.
outcome-busy = Intet resultat: laderen er opptatt. Prøv igjen om et øyeblikk.
outcome-timeout = Intet resultat: laderen svarte ikke i tide.
outcome-disconnected = Intet resultat: laderens forbindelse ble brutt før den svarte.
outcome-no-answer = Intet resultat: laderens svar kunne ikke leses.
outcome-nothing-charging = Ingenting lader på dette uttaket.
outcome-no-session = Den ladeøkten pågår ikke på denne laderen.
outcome-not-recorded = Intet resultat: kommandoen kunne ikke loggføres, så den ble ikke sendt.
outcome-not-permitted = Ikke sendt: tilgangen din omfatter ikke denne kommandoen.

## Oppsett
config-title = Oppsett av { $charger }
config-count = { $count ->
    [one] 1 nøkkel, slik laderen rapporterer den
   *[other] { $count } nøkler, slik laderen rapporterer dem
}
config-key = Nøkkel
config-value = Verdi
config-change = Endre
config-readonly = skrivebeskyttet
config-unreadable = Oppsettet kunne ikke leses.
config-refused = { $key } ble ikke sendt: { $reason }
config-range = Verdier: { $min } til { $max }{ $unit }.
config-boolean = Verdier: true eller false.
config-list = Verdier: en kommaseparert liste.
unit-seconds = sekunder
config-help-HeartbeatInterval = Hvor ofte laderen melder at den fortsatt er der.
config-help-ConnectionTimeOut = Hvor lenge laderen venter på en bil etter godkjenning.
config-help-MeterValueSampleInterval = Hvor ofte laderen sender målerverdier under lading (0: aldri).
config-help-ClockAlignedDataInterval = Målerverdier til faste klokkeslett (0: av).
config-help-WebSocketPingInterval = Hvor ofte forbindelsen sjekkes (0: av).
config-help-MinimumStatusDuration = Hvor lenge en tilstand må vare før laderen rapporterer den.
config-help-TransactionMessageAttempts = Hvor mange ganger laderen prøver en mislykket øktmelding på nytt.
config-help-TransactionMessageRetryInterval = Ventetiden mellom disse forsøkene.
config-help-ResetRetries = Hvor mange ganger laderen prøver en mislykket omstart på nytt.
config-help-MeterValuesSampledData = Hva laderen måler under lading.
config-help-MeterValuesAlignedData = Hva laderen måler til faste klokkeslett.
config-help-AuthorizeRemoteTxRequests = Om en start fra voltgate sjekkes som en RFID-brikke.
config-help-LocalAuthorizeOffline = Om kjente brikker kan lade mens laderen er frakoblet.
config-help-LocalPreAuthorize = Om kjente brikker starter med en gang, uten å spørre voltgate først.
config-help-AllowOfflineTxForUnknownId = Om ukjente brikker kan lade mens laderen er frakoblet.
config-help-StopTransactionOnEVSideDisconnect = Om utplugging ved bilen avslutter økten.
config-help-StopTransactionOnInvalidId = Om en økt avsluttes når brikken viser seg å være ugyldig.
config-help-UnlockConnectorOnEVSideDisconnect = Om kabelen slippes når den trekkes ut ved bilen.

## Logg
audit-empty = Ingenting har skjedd her ennå.
audit-operator = driftsansvarlig (kommandolinje)
audit-removed-account = en slettet konto
audit-by-service = voltgate (automatisk)
audit-installation-created = Opprettet anlegget «{ $name }»
audit-settings-changed = Endret anleggets innstillinger
audit-role-set = Ga { $email } rollen { $role }
audit-role-removed = Fjernet { $email } (var { $role })
audit-access-approved = Godkjente tilgang for { $group }
audit-access-denied = Avslo tilgang for { $group }
audit-access-changed = Endret tilgangen til { $group } til: { $rights }
audit-access-revoked = Fjernet tilgangen til { $group }
audit-access-expired = Tilgangen til { $group } til { $installation } har utløpt
audit-charger-added = La til laderen { $charger }
audit-charger-password = Lagde et nytt passord for { $charger }
audit-cmd-start = Startet lading på { $charger }, uttak { $connector }
audit-cmd-stop = Stoppet lading på { $charger }
audit-cmd-pause = Satte lading på { $charger }, uttak { $connector }, på pause
audit-cmd-resume = Fortsatte lading på { $charger }, uttak { $connector }
audit-cmd-end = Avsluttet en ladeøkt på { $charger }
audit-cmd-unlock = Låste opp uttak { $connector } på { $charger }
audit-cmd-restart = Startet { $charger } på nytt
audit-cmd-availability = Aktiverte eller deaktiverte { $charger }
audit-cmd-configure = Endret { $key } på { $charger }
audit-cmd-read-configuration = Leste oppsettet til { $charger }
audit-cmd-refresh = Spurte { $charger } om tilstanden
audit-cmd-other = Sendte { $command } til { $charger }
audit-other = Noe annet skjedde
audit-outcome-accepted = Godtatt
audit-outcome-rejected = Avvist
audit-outcome-none = Intet svar
audit-changed = Endret { $what } { $before } → { $after }
audit-what-max-current = maksimal strøm
audit-what-available-current = tilgjengelig strøm
audit-what-phases = faser
audit-what-authentication = autentisering
audit-on = på
audit-off = av
audit-role-changed = Endret rollen til { $email } { $before } → { $after }
audit-cmd-configure-value = Endret { $key } på { $charger } til «{ $value }»
audit-cmd-stop-connector = Stoppet lading på { $charger }, uttak { $connector }
audit-cmd-end-connector = Avsluttet en ladeøkt på { $charger }, uttak { $connector }
audit-filter-all = Alle
audit-filter-apply = Filtrer
audit-filter-clear = Vis alt
audit-kind-settings = Innstillinger
audit-kind-people = Personer og roller
audit-kind-access = Gruppetilgang
audit-kind-chargers = Ladere
audit-kind-commands = Kommandoer til ladere
audit-filtered-empty = Ingenting passer til disse filtrene.
err-audit-kind = Velg en type hendelse fra listen.
err-audit-person = Velg en person fra listen.
err-audit-group = Velg en gruppe fra listen.
count-events = { $count ->
    [one] 1 hendelse, nyeste først
   *[other] { $count } hendelser, nyeste først
}

## Tilganger
partner-groups = Partnergrupper
count-groups-access = { $count ->
    [one] 1 gruppe med tilgang
   *[other] { $count } grupper med tilgang
}
grants-empty = Ingen partnergruppe har tilgang. En partner ber om det med en lenke; du godkjenner.
grants-owners-only = Bare anleggets eiere og administratorer ser hvem andre som har tilgang.
granted-by = av { $name }
revoke = Fjern tilgang
revoke-title = Fjerne tilgangen til { $group }?
revoke-what = Alle medlemmer av { $group } mister muligheten til å se { $installation } og ladehistorikken, endre innstillingene og styre eller sette opp laderne — fra sin neste forespørsel.
revoke-again = For å få tilgang igjen må gruppen sende en ny forespørsel som en eier eller administrator godkjenner.
revoke-button = Fjern tilgangen

## Brukergrupper
count-groups = { $count ->
    [one] 1 gruppe
   *[other] { $count } grupper
}
groups-empty = Du er ikke med i noen brukergruppe. En partner — en operatør, en installatør, en integrator — oppretter en gruppe slik at eiere av anlegg kan gi den tilgang.
group-new = Ny brukergruppe
group-create = Opprett gruppe
support-email = Støtte-e-post
support-url = Støtteside
return-urls = Returadresser
return-urls-hint = én per linje; https://, eller http://localhost under utvikling
return-urls-explain = Etter at en eier har godkjent eller avslått tilgangsforespørselen din, sender voltgate nettleseren bare tilbake til en av disse adressene.
return-urls-save = Lagre returadresser
one-per-line = Én per linje
access-link = Tilgangslenke
key-new = Lag en ny oppslagsnøkkel
key-new-hint = En ny nøkkel erstatter den gamle med en gang: lenker med den gamle nøkkelen slutter å virke.
key-new-confirm = Nøkkelen { $key } slutter å virke med en gang: alle tilgangslenker du allerede har sendt, fører ingen steder. Anlegg som allerede har gitt tilgang, beholder den.
members = Medlemmer
count-members = { $count ->
    [one] 1 medlem
   *[other] { $count } medlemmer
}
members-add = Legg til et medlem eller endre en rolle
group-owner = Eier av gruppen
group-leave = Forlat denne gruppen
group-edit-details = Endre navn, beskrivelse og støttekontakter
notice-group-details = Gruppens opplysninger er lagret.
group-has-access = { $count ->
    [one] Denne gruppen har tilgang til 1 anlegg.
   *[other] Denne gruppen har tilgang til { $count } anlegg.
}
group-installations-empty = Send tilgangslenken ovenfor til eiere av anlegg; når de godkjenner, vises anlegget deres her.
give-up-access = Gi fra deg tilgangen

## Ladehistorikk
all-chargers = Alle ladere
filter-user = Person (e-post)
count-sessions = { $count ->
    [one] 1 ladeøkt
   *[other] { $count } ladeøkter
}
kwh-in-all = { $kwh } kWh totalt
download-csv = Last ned CSV
history-empty = Ingen ladeøkter passer. Økter vises her når ladere starter og stopper lading.
not-authorised = ikke godkjent
err-filter-range = Fra-datoen ({ $from }) er etter til-datoen ({ $to }): velg en fra-dato på eller før til-datoen.
err-time-zone = Velg en tidssone fra listen, for eksempel Europe/Oslo.
col-duration = Varighet
history-live = { $kwh } kWh så langt
times-in-zone = Tider i { $zone }.
time-zone = Tidssone
time-zone-hint = Alle tider på installasjonens sider vises i denne sonen.
time-zone-save = Lagre tidssone
notice-time-zone = Tidssonen er lagret.
chart-when = Periode
chart-value = Verdi
chart-week = Uke { $week }, { $year }
chart-week-short = U{ $week }
chart-energy-title-days = Energi per dag, siste 30 dager
chart-history-title = Energi for disse ladeøktene
chart-energy-desc = { $total } kWh totalt fra { $first } til { $last }.
chart-power-title = Effekt, siste 24 timer
chart-power-desc = Gjennomsnittlig effekt per time; høyest { $peak } kW.
audit-time-zone-changed = Endret tidssonen fra { $before } til { $after }

## Varighet
duration-under-minute = under ett minutt
duration-minutes = { $m } min
duration-hours = { $h } t { $m } min
receipt-no-longer = { $group } har ikke tilgang til { $installation } nå.
err-return-url-line = Linje { $line }: { $reason }
err-return-urls-count = Høyst { $max } returadresser.
nav-main = Hovedmeny
outcome-expired = Intet resultat: laderen var opptatt til fristen gikk ut; kommandoen ble ikke sendt.
outcome-refused = Intet resultat: laderen nektet kommandoen ({ $why }).
builder = Sett sammen en lenke
builder-partner = navnet deres, vist før innlogging
builder-return = bare adresser som er registrert nedenfor
builder-show-existing = vis også anlegg som allerede har gitt tilgang
builder-make = Lag lenken

sa-title = API-tilgang
sa-explain = Med tjenestekontoer bruker gruppens programvare REST-API-et som gruppen: de når nøyaktig installasjonene som er delt med gruppen, med gruppens rettigheter, og ingenting om medlemmene.
sa-manage = Administrer API-tilgang
sa-new = Ny API-tilgang
sa-secret-once = Kopier hemmeligheten nå: den vises bare denne ene gangen.
sa-client-id = Klient-ID
sa-secret = Klienthemmelighet
sa-none = Ingen API-tilgang ennå.
sa-create = Opprett API-tilgang
sa-revoked = Tilbakekalt
param-request = tilgangsforespørselen er ukjent, tilhører en annen gruppe, er allerede avgjort eller utløpt (lenker gjelder i 7 dager).
err-request-decided = Denne tilgangsforespørselen er allerede avgjort, eller lenken er utløpt.
# Webhooks (group page)
webhooks = Webhooks (HTTP-tilbakekall)
webhooks-manage = Administrer webhook-adresser
webhooks-explain = voltgate sender signert JSON med POST til disse adressene når tilgang gis, endres, trekkes tilbake eller utløper, når ladeøkter starter og slutter, og når ladere på anlegg som er delt med gruppen kommer på nett eller går av nett. Mislykkede leveranser prøves igjen i 24 timer; deretter deaktiveres endepunktet.
webhooks-empty = Ingen webhook-endepunkter ennå.
webhook-endpoints = Endepunkter
webhook-events = Hendelser
webhook-event = Hendelse
webhook-state = Tilstand
webhook-active = Aktiv
webhook-disabled = Deaktivert siden { $at }:
webhook-rotating = Den forrige hemmeligheten signerer også til { $until }.
webhook-rotate = Ny hemmelighet
webhook-delete = Slett
webhook-add = Legg til endepunkt
webhook-secret = Signeringshemmelighet
webhook-secret-once = Hemmeligheten for { $url }. Kopier den nå: den vises ikke igjen. Kontroller Voltgate-Signature-headeren med den.
webhook-attempts = Siste leveranser
webhook-attempts-empty = Ingenting levert ennå.
webhook-when = Når
webhook-outcome = Resultat
err-webhook-events-empty = Velg minst én hendelse.
err-webhook-limit = En gruppe har høyst { $max } webhook-endepunkter: slett ett først.
err-webhook-event-unknown = Ukjent hendelsestype { $name }.
# Grant rights and end dates
review-can-control = starte, stoppe, starte på nytt, stanse midlertidig og låse opp alle laderne i installasjonen
review-can-configure = konfigurere alle laderne: innstillinger, OCPP-konfigurasjon og ladegrenser
review-until = Til (valgfritt)
review-until-hint = La stå tomt for tilgang til du trekker den tilbake. Tilgangen slutter etter denne dagen.
param-rights = den må være en kommaseparert liste av settings, control og configure.
err-grant-rights = Ukjent rettighet: velg blant settings, control og configure.
err-grant-until = Oppgi sluttdatoen som en dato, for eksempel 2026-12-31.
err-grant-until-past = Sluttdatoen må være i dag eller senere.
grant-rights = Rettigheter
grant-right-view = se
grant-right-settings = innstillinger
grant-right-control = styre ladere
grant-right-configure = konfigurere ladere
grant-until = Til
grant-no-end = til den trekkes tilbake
grant-expired = utløpt
grant-change = Endre rettigheter eller sluttdato
grant-changed = Tilgangen til { $group } er nå: { $rights }.
receipt-changed = { $group } hadde allerede tilgang til { $installation }; tilgangen er nå: { $rights }.
receipt-unchanged = { $group } hadde allerede tilgang til { $installation } med nøyaktig disse rettighetene: { $rights }. Ingenting ble endret.
receipt-unchanged-next = For å endre eller avslutte tilgangen, åpne installasjonens tilganger.
audit-charger-settings = Endret strøm- og fasegrensene til en lader
audit-id-tag-set = La til RFID-brikken { $tag }
audit-id-tag-removed = Fjernet RFID-brikken { $tag }
audit-group-created = Opprettet gruppen «{ $name }»
audit-group-details-changed = Endret gruppens navn, beskrivelse eller støttekontakt
audit-group-member-set = Ga { $email } grupperollen { $role }
audit-group-member-removed = Fjernet { $email } fra gruppen
audit-lookup-key-rotated = Byttet oppslagsnøkkelen { $old } med { $new }
audit-group-verified = Operatøren merket gruppen som kontrollert
audit-return-urls-set = Satte de registrerte returadressene: { $urls }
audit-return-url-added = Registrerte returadressen { $url }
audit-return-url-removed = Fjernet returadressen { $url }
audit-service-account-created = Opprettet API-tilgangen «{ $name }»
audit-service-account-revoked = Trakk tilbake API-tilgangen «{ $name }»
audit-webhook-added = La til webhooken { $url }
audit-webhook-removed = Fjernet webhooken { $url }
audit-webhook-rotated = Lagde en ny signeringshemmelighet for webhooken { $url }
audit-outside-group = noen utenfor gruppen
col-installation = Installasjon
group-events-link = Gruppens logg
group-events-explain = Endringer i gruppen, og hva medlemmene og API-nøklene gjorde på installasjonene som er delt med den.
