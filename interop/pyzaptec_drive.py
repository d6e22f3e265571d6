"""pyzaptec 0.8.7 from PyPI, unchanged but for its base URL, as a client of voltgate's REST API.

Usage: pyzaptec_drive.py BASE_URL EMAIL PASSWORD (full|revoked)
  full:    login, build(), poll(), the command stop_charging_final (the charger is charging),
           set_limit_current(availableCurrent=10) and stream() (which finds no service bus and
           ends); prints one line per step.
  revoked: login and build() after the group's access was revoked; prints how many installations
           and chargers it still sees.
Started by crates/server/tests/portal/api_clients.rs.
"""

import asyncio
import sys

import pyzaptec
import pyzaptec.api as zapi

BASE, EMAIL, PASSWORD, MODE = sys.argv[1:5]
zapi.TOKEN_URL = BASE + "/oauth/token"
zapi.Zaptec.request.__kwdefaults__["base_url"] = BASE + "/api/"


def say(*words):
    print(*words, flush=True)


def listed(things):
    return list(things.values()) if isinstance(things, dict) else list(things)


async def main():
    async with pyzaptec.Zaptec(EMAIL, PASSWORD) as zaptec:
        await zaptec.login()
        say("LOGIN")
        await zaptec.build()
        installations = listed(zaptec.installations)
        chargers = listed(zaptec.chargers)
        say("BUILT", len(installations), len(chargers))
        if MODE == "revoked":
            return
        await zaptec.poll(info=True, state=True, firmware=True)
        charger = chargers[0]
        say("POLLED", charger.id)
        await charger.command("stop_charging_final")
        say("COMMANDED")
        await installations[0].set_limit_current(availableCurrent=10)
        say("LIMITED")
        # voltgate has no service bus: a 403 from messagingConnectionDetails means "no streaming".
        task = await installations[0].stream()
        await asyncio.wait_for(task, 30)
        say("NO STREAM")


asyncio.run(main())
