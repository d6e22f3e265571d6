"""An independent OCPP 1.6J charge point (the `ocpp` package from PyPI) against voltgate.

The package checks every message both ways against the official OCPP 1.6 JSON schemas. The charge point
boots with its optional strings empty, authorizes, starts a transaction, waits for the transaction's
charging profile from load balancing (answering the capabilities question on the way), sends meter
values, and when voltgate sends RemoteStopTransaction stops with 500 samples in transactionData; then it
accepts a Reset and exits. Prints BOOTED, STARTED <id>, LIMIT <amperes>, STOPPED, RESET.
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

SAMPLES = 500


def at(time: datetime.datetime) -> str:
    return time.isoformat()


def now() -> str:
    return at(datetime.datetime.now(datetime.timezone.utc))


class Charger(ChargePoint):
    def __init__(self, identity, connection):
        super().__init__(identity, connection)
        self.transaction = None
        self.tx_limit = asyncio.get_event_loop().create_future()
        self.stop_requested = asyncio.Event()
        self.reset_requested = asyncio.Event()

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **_):
        known = {"ChargeProfileMaxStackLevel": "5", "ChargingScheduleAllowedChargingRateUnit": "Current"}
        asked = key or list(known)
        return call_result.GetConfiguration(
            configuration_key=[{"key": k, "readonly": True, "value": known[k]} for k in asked if k in known],
            unknown_key=[k for k in asked if k not in known] or None)

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id, cs_charging_profiles, **_):
        profile = cs_charging_profiles
        limit = profile["charging_schedule"]["charging_schedule_period"][0]["limit"]
        is_ours = profile.get("transaction_id") == self.transaction and self.transaction is not None
        if profile["charging_profile_purpose"] == "TxProfile" and is_ours and not self.tx_limit.done():
            self.tx_limit.set_result((limit, profile["charging_schedule"]["charging_rate_unit"], profile["stack_level"]))
        return call_result.SetChargingProfile(status=ChargingProfileStatus.accepted)

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id, **_):
        if transaction_id != self.transaction:
            return call_result.RemoteStopTransaction(status=RemoteStartStopStatus.rejected)
        return call_result.RemoteStopTransaction(status=RemoteStartStopStatus.accepted)

    @after(Action.remote_stop_transaction)
    def after_remote_stop(self, transaction_id, **_):
        if transaction_id == self.transaction:
            self.stop_requested.set()

    @on(Action.reset)
    def on_reset(self, type, **_):
        return call_result.Reset(status=ResetStatus.accepted)

    @after(Action.reset)
    def after_reset(self, type, **_):
        # Only once the answer has gone out may the charger go down.
        self.reset_requested.set()


def day_of_samples(start: datetime.datetime):
    """500 readings a minute apart, each with energy, power and voltage (over 64 KiB in all)."""
    values = []
    for n in range(1, SAMPLES + 1):
        values.append({"timestamp": at(start + datetime.timedelta(minutes=n)), "sampled_value": [
            {"value": str(n * 10), "measurand": "Energy.Active.Import.Register", "unit": "Wh",
             "context": "Sample.Periodic", "location": "Outlet"},
            {"value": "7200", "measurand": "Power.Active.Import", "unit": "W", "context": "Sample.Periodic"},
            {"value": "230.1", "measurand": "Voltage", "unit": "V", "phase": "L1-N", "context": "Sample.Periodic"},
        ]})
    return values


async def main():
    credentials = base64.b64encode(f"{IDENTITY}:{PASSWORD}".encode()).decode()
    async with websockets.connect(f"{URL}/{IDENTITY}", subprotocols=["ocpp1.6"],
                                  additional_headers={"Authorization": f"Basic {credentials}"},
                                  max_size=None) as socket:
        charger = Charger(IDENTITY, socket)
        listening = asyncio.create_task(charger.start())
        boot = await charger.call(call.BootNotification(
            charge_point_model="Interop", charge_point_vendor="python-ocpp", charge_point_serial_number="",
            charge_box_serial_number="", firmware_version="", iccid="", imsi="", meter_type="",
            meter_serial_number=""))
        assert boot.status == RegistrationStatus.accepted, boot
        print("BOOTED", flush=True)
        await charger.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
        authorized = await charger.call(call.Authorize(id_tag="PY-TAG"))
        assert authorized.id_tag_info["status"] == AuthorizationStatus.accepted, authorized
        start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=SAMPLES + 1)
        started = await charger.call(call.StartTransaction(connector_id=1, id_tag="PY-TAG", meter_start=0,
                                                           timestamp=at(start)))
        assert started.id_tag_info["status"] == AuthorizationStatus.accepted, started
        charger.transaction = started.transaction_id
        await charger.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
        print(f"STARTED {charger.transaction}", flush=True)
        limit, unit, stack_level = await asyncio.wait_for(charger.tx_limit, 30)
        print(f"LIMIT {float(limit)} {unit} {stack_level}", flush=True)
        sample = {"value": "1500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
        await charger.call(call.MeterValues(connector_id=1, transaction_id=charger.transaction,
                                            meter_value=[{"timestamp": now(), "sampled_value": [sample]}]))
        await asyncio.wait_for(charger.stop_requested.wait(), 60)
        await charger.call(call.StopTransaction(meter_stop=SAMPLES * 10, timestamp=now(),
                                                transaction_id=charger.transaction, reason="Remote",
                                                transaction_data=day_of_samples(start)))
        print("STOPPED", flush=True)
        await asyncio.wait_for(charger.reset_requested.wait(), 60)
        print("RESET", flush=True)
        listening.cancel()


asyncio.run(main())
