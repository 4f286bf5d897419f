# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Field ownership (no ORM): for each group of fields, each backend flow says who owns
it, Odoo or the external system. Inbound, a change to a group Odoo owns is not applied
(it is noted on the message); outbound, a group the receiving system owns is not sent.
"""

import copy

TRANSPORT, DATES, SHIPPED = "transport", "dates", "shipped"
FIELD_GROUPS = [
    (TRANSPORT, "Carrier and tracking"),
    (DATES, "Dates and ETA"),
    (SHIPPED, "Shipped quantities and lots"),
]
ODOO, EXTERNAL = "odoo", "external"
OWNERS = [(ODOO, "Odoo"), (EXTERNAL, "This system")]

# The shipment fields of each group that inbound events may change.
SHIPMENT_FIELDS = {
    TRANSPORT: ("carrier_id", "carrier_service", "tracking_number", "tracking_url", "packages"),
    DATES: ("date_promised", "date_estimated", "date_pickup_planned"),
}
# The keys of each outbound payload (``data``, dotted paths) that belong to a group.
OUTBOUND_PATHS = {
    "shipment.booking": {TRANSPORT: ("shipment.carrier", "shipment.tracking_number", "weight"),
                         DATES: ("scheduled_date", "date_done"), SHIPPED: ("lines",)},
    "shipment.update": {TRANSPORT: ("shipment.carrier", "shipment.tracking_number", "weight"),
                        DATES: ("scheduled_date", "date_done"), SHIPPED: ("lines",)},
    "fulfillment.request": {TRANSPORT: ("carrier",), DATES: ("commitment_date",)},
}


def group_of(field):
    """The group of an inbound shipment field, or None."""
    return next((group for group, names in SHIPMENT_FIELDS.items() if field in names), None)


def outbound_data(event_type, data, external_groups):
    """``data`` without the keys of the groups the receiving system owns."""
    paths = [p for group in external_groups
             for p in OUTBOUND_PATHS.get(event_type, {}).get(group, ())]
    if not paths:
        return data
    data = copy.deepcopy(data)
    for path in paths:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return data
