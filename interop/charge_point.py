"""An independent OCPP 1.6J charge point (the `ocpp` package from PyPI) against voltgate.

Boots, authorizes, starts a transaction, sends meter values, then waits for voltgate to send
RemoteStopTransaction (it stops) and Reset (it accepts and exits). Prints STARTED <id>, STOPPED, RESET.
Started by crates/server/tests/portal/interop.rs.
"""

import asyncio
import base64
import datetime
import os

import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import (Action, AuthorizationStatus, ChargingProfileStatus, RegistrationStatus,
                            RemoteStartStopStatus, ResetStatus)

URL = os.environ["VOLTGATE_OCPP_URL"]
IDENTITY = os.environ["VOLTGATE_CHARGER_ID"]
PASSWORD = os.environ["VOLTGATE_CHARGER_PASSWORD"]


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


class Charger(ChargePoint):
    def __init__(self, identity, connection):
        super().__init__(identity, connection)
        self.transaction = None
        self.limit = None
        self.stop_requested = asyncio.Event()
        self.reset_requested = asyncio.Event()

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id, **_):
        if transaction_id != self.transaction:
            return call_result.RemoteStopTransaction(status=RemoteStartStopStatus.rejected)
        return call_result.RemoteStopTransaction(status=RemoteStartStopStatus.accepted)

    @after(Action.remote_stop_transaction)
    def after_remote_stop(self, transaction_id, **_):
        if transaction_id == self.transaction:
            self.stop_requested.set()

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id, cs_charging_profiles, **_):
        self.limit = cs_charging_profiles["charging_schedule"]["charging_schedule_period"][0]["limit"]
        return call_result.SetChargingProfile(status=ChargingProfileStatus.accepted)

    @on(Action.reset)
    def on_reset(self, type, **_):
        return call_result.Reset(status=ResetStatus.accepted)

    @after(Action.reset)
    def after_reset(self, type, **_):
        # Only once the answer has gone out may the charger go down.
        self.reset_requested.set()


async def main():
    credentials = base64.b64encode(f"{IDENTITY}:{PASSWORD}".encode()).decode()
    async with websockets.connect(f"{URL}/{IDENTITY}", subprotocols=["ocpp1.6"],
                                  additional_headers={"Authorization": f"Basic {credentials}"}) as socket:
        charger = Charger(IDENTITY, socket)
        listening = asyncio.create_task(charger.start())
        boot = await charger.call(call.BootNotification(charge_point_model="Interop", charge_point_vendor="python-ocpp"))
        assert boot.status == RegistrationStatus.accepted, boot
        await charger.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
        authorized = await charger.call(call.Authorize(id_tag="PY-TAG"))
        assert authorized.id_tag_info["status"] == AuthorizationStatus.accepted, authorized
        started = await charger.call(call.StartTransaction(connector_id=1, id_tag="PY-TAG", meter_start=0, timestamp=now()))
        assert started.id_tag_info["status"] == AuthorizationStatus.accepted, started
        charger.transaction = started.transaction_id
        await charger.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
        sample = {"value": "1500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
        await charger.call(call.MeterValues(connector_id=1, transaction_id=charger.transaction,
                                            meter_value=[{"timestamp": now(), "sampled_value": [sample]}]))
        print(f"STARTED {charger.transaction}", flush=True)
        await asyncio.wait_for(charger.stop_requested.wait(), 60)
        await charger.call(call.StopTransaction(meter_stop=3000, timestamp=now(), transaction_id=charger.transaction,
                                                reason="Remote"))
        print("STOPPED", flush=True)
        await asyncio.wait_for(charger.reset_requested.wait(), 60)
        print("RESET", flush=True)
        listening.cancel()


asyncio.run(main())
