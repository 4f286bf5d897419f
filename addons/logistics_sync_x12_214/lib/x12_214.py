# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""X12 214 (Transportation Carrier Shipment Status Message) files: the adapter.

A file is split into its transaction sets (``split``): each becomes one stored
message, a standalone interchange holding just that set (lib/x12.py ``render``),
deduplicated by ``x12:<ISA06 sender>:<ISA13>:<GS06>:<ST02>``. Each AT7 shipment
status of a set becomes one canonical event: its code is AT7-01 (AT7-02, the reason,
is the detail unless it is NS "normal status"), its time AT7-05/06 in the zone of
AT7-07, its location the MS1 of its loop; the shipment is B10-02 (shipment
identification, else an L11 reference), its tracking number B10-01 and its carrier
B10-03. AT7 appointments (AT7-03) and estimates are no milestones and are skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from odoo.addons.logistics_sync_connector.lib import adapters
from odoo.addons.logistics_sync_connector.lib.events import CanonicalEvent, PayloadError

from . import x12

SET_ID = "214"
FUNCTIONAL_ID = "QM"
NORMAL_STATUS = "NS"  # AT7-02: no reason to report
# L11-02 qualifiers whose reference may name the shipment when B10-02 is empty:
# shipper's identifying number, bill of lading, customer reference, purchase order.
L11_REFERENCES = ("SI", "BM", "CR", "PO")
# AT7-01 estimates: a forecast, not a status of the shipment (X12 element 1650).
ESTIMATES = ("AG", "X2", "C1", "B6")

# AT7-01 shipment status codes (X12 element 1650) -> (canonical milestone, reason).
# The common codes of carrier 214s; any other code leaves its message unmapped
# until an admin maps it in the backend's status map and replays it.
AT7_STATUS_MAP = {
    "XB": ("created", None),  # shipment acknowledged
    "AF": ("picked_up", None),  # carrier departed pick-up location with shipment
    "CP": ("picked_up", None),  # completed loading at pick-up location
    "AM": ("picked_up", None),  # loaded on truck
    "X3": ("in_transit", None),  # arrived at pick-up location
    "X4": ("in_transit", None),  # arrived at terminal location
    "P1": ("in_transit", None),  # departed terminal location
    "X6": ("in_transit", None),  # en route to delivery location
    "J1": ("in_transit", None),  # delivered to connecting line
    "R1": ("in_transit", None),  # received from prior carrier
    "K1": ("in_transit", None),  # arrived at customs
    "RH": ("in_transit", None),  # released from hold
    "X1": ("out_for_delivery", None),  # arrived at delivery location
    "X5": ("out_for_delivery", None),  # arrived at delivery location loading dock
    "S1": ("out_for_delivery", None),  # trailer spotted at consignee's location
    "AH": ("delivery_failed", None),  # attempted delivery
    "AP": ("delivery_failed", None),  # delivery not completed
    "D1": ("delivered", None),  # completed unloading at delivery location
    "CD": ("delivered", None),  # carrier departed delivery location
    "A7": ("exception", "refused"),  # refused by consignee
    "A9": ("exception", "damaged"),  # shipment damaged
    "SD": ("exception", "delayed"),  # shipment delayed
    "BC": ("on_hold", None),  # storage in transit
    "PR": ("on_hold", None),  # customs hold at in-bond location
    "A3": ("returned", None),  # shipment returned to shipper
    "CA": ("cancelled", None),  # shipment cancelled
}

# AT7-07 time codes (X12 element 623) -> zone. Fixed offsets for the standard and
# daylight codes, the IANA zone for the "xT" codes (standard or daylight by date).
_FIXED = {"UT": 0, "GM": 0, "ES": -5, "ED": -4, "CS": -6, "CD": -5, "MS": -7, "MD": -6,
          "PS": -8, "PD": -7, "AS": -4, "AD": -3, "HS": -10, "HD": -9}
_ZONES = {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
          "PT": "America/Los_Angeles", "AT": "America/Halifax", "HT": "Pacific/Honolulu",
          "NT": "America/St_Johns"}
_FIXED.update({f"{n:02d}": n for n in range(1, 13)})  # 01..12: ISO P01..P12
_FIXED.update({f"{n:02d}": n - 25 for n in range(13, 25)})  # 13..24: ISO M12..M01
LOCAL = ("LT", "")  # local time of the status, zone unknown: read as UTC


def zone(code):
    code = code.upper()
    if code in LOCAL:
        return timezone.utc
    if code in _FIXED:
        return timezone(timedelta(hours=_FIXED[code]))
    if code in _ZONES:
        return ZoneInfo(_ZONES[code])
    raise PayloadError(f"unknown AT7-07 time code {code!r}")


def event_time(date, time, code, seg) -> datetime:
    """AT7-05 (CCYYMMDD), AT7-06 (HHMM[SS[D[D]]]), AT7-07 -> naive UTC."""
    if len(date) != 8 or not date.isdigit():
        raise x12.X12Error(f"AT7-05 {date!r} is not a CCYYMMDD date", seg)
    time = time or "0000"
    if len(time) not in (4, 6, 7, 8) or not time.isdigit():
        raise x12.X12Error(f"AT7-06 {time!r} is not an HHMM[SS[DD]] time", seg)
    try:
        local = datetime.strptime(date + time[:6].ljust(6, "0"), "%Y%m%d%H%M%S")
        tz = zone(code)
    except ValueError as exc:
        raise x12.X12Error(f"AT7-05/06 {date} {time}: {exc}", seg) from exc
    except PayloadError as exc:
        raise x12.X12Error(str(exc), seg) from exc
    return local.replace(tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None)


def message_event_id(interchange, group, transaction):
    return f"x12:{interchange.sender}:{interchange.control}:{group.control}:{transaction.control}"


def _location(ms1):
    if ms1 is None:
        return None
    parts = [ms1.get(1), ms1.get(2), ms1.get(3)]
    text = ", ".join(p for p in parts if p)
    if not text and ms1.get(4) and ms1.get(5):  # MS1-04/05: longitude, latitude
        text = f"{ms1.get(5)} {ms1.get(7)}, {ms1.get(4)} {ms1.get(6)}".replace(" ,", ",").strip()
    return text or None


def parse_transaction(interchange, group, transaction) -> list[CanonicalEvent]:
    """The canonical events of one 214 transaction set."""
    base_id = message_event_id(interchange, group, transaction)
    b10 = next((s for s in transaction.segments if s.tag == "B10"), None)
    if b10 is None:
        raise x12.X12Error("the 214 has no B10 segment", transaction.st)
    references = {}
    loops, current = [], None  # one list of AT7 / MS1 / MS2 per LX loop
    for seg in transaction.segments:
        if seg.tag == "L11" and not loops and seg.get(1):
            references.setdefault(seg.get(2), seg.get(1))
        elif seg.tag == "LX":
            current = []
            loops.append(current)
        elif seg.tag in ("AT7", "MS1", "MS2"):
            if current is None:  # no LX: one implicit loop
                current = []
                loops.append(current)
            current.append(seg)
    reference = b10.get(2) or next((references[q] for q in L11_REFERENCES if q in references), None)
    tracking = b10.get(1) or None
    if not reference and not tracking:
        raise x12.X12Error("B10 names no shipment (B10-01 and B10-02 are empty)", b10)
    events = []
    for loop in loops:
        ms1s = [(i, s) for i, s in enumerate(loop) if s.tag == "MS1"]
        for index, at7 in enumerate(loop):
            if at7.tag != "AT7" or not at7.get(1) or at7.get(1) in ESTIMATES:
                continue
            after = next((s for i, s in ms1s if i > index), None)
            before = next((s for i, s in reversed(ms1s) if i < index), None)
            reason = at7.get(2)
            events.append(CanonicalEvent(
                event_id=f"{base_id}:{len(events) + 1}",
                code=at7.get(1),
                detail=reason if reason and reason != NORMAL_STATUS else None,
                occurred_at=event_time(at7.get(5), at7.get(6), at7.get(7), at7),
                shipment_reference=reference,
                tracking_number=tracking,
                carrier=b10.get(3) or None,
                location=_location(after or before),
                raw={"segment": at7.raw},
            ))
    return events


def split(content: bytes):
    """``(interchanges, [(interchange, group, transaction), ...])`` of a file: only
    214 sets are listed. Raises x12.X12Error (envelope fault, not X12)."""
    interchanges = x12.parse(x12.decode(content))
    sets = [(i, g, t) for i in interchanges for g in i.groups for t in g.transactions
            if t.set_id == SET_ID]
    return interchanges, sets


@adapters.register
class X12214Adapter(adapters.Adapter):
    """X12 214 files, imported or picked up from a folder (no webhook)."""

    key = "x12_214"
    label = "X12 214 shipment status files"

    def new_secret(self):
        import secrets as pysecrets

        return pysecrets.token_urlsafe(32)

    def verify(self, headers, body, secrets, now=None):
        from odoo.addons.logistics_sync_connector.lib.signatures import SignatureError

        raise SignatureError("no_webhook", "X12 214 backends receive files, not webhooks")

    def message_id(self, headers, body, signed_id):
        interchanges, sets = split(body)
        if len(sets) != 1:
            raise PayloadError("a stored X12 214 message holds exactly one transaction set")
        return message_event_id(*sets[0])

    def parse(self, body):
        _interchanges, sets = split(body)
        return [event for item in sets for event in parse_transaction(*item)]

    def default_status_map(self):
        return dict(AT7_STATUS_MAP)

    def default_flows(self, backend_type):
        return [{"flow": "inbound_milestones"}]

    def send(self, *args, **kwargs):
        raise NotImplementedError("X12 214 backends only receive status files")

    def test_connection(self, settings):
        from odoo.addons.logistics_sync_connector.lib import outbound

        return outbound.SendResult("fail", None, None, "X12 214 backends receive files", "", 0.0)
