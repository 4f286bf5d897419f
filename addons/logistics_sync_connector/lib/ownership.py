# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Field ownership (no ORM): for each group of fields, each backend flow says who owns
it, Odoo or the external system. Inbound, a change to a group Odoo owns is not applied
(it is noted on the message; an event none of which may be applied leaves its message
skipped, replayable once the owner is changed); outbound, a group the receiving system
owns is not sent.
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
# The values of each inbound event type that belong to a group (the keys its apply
# method passes to the model's entry point).
INBOUND_FIELDS = {
    "shipment.updated": SHIPMENT_FIELDS,
    "fulfillment.shipped": {TRANSPORT: ("carrier", "tracking_number"), SHIPPED: ("lines",)},
}
# The group an event of a type cannot be applied without: when Odoo owns it, none of
# the event is applied (a shipped event's carrier means nothing without its lines).
INBOUND_ESSENTIAL = {"fulfillment.shipped": SHIPPED}
# The keys of each outbound payload (``data``, dotted paths) that belong to a group.
OUTBOUND_PATHS = {
    "shipment.booking": {TRANSPORT: ("shipment.carrier", "shipment.tracking_number", "weight"),
                         DATES: ("scheduled_date", "date_done"), SHIPPED: ("lines",)},
    "shipment.update": {TRANSPORT: ("shipment.carrier", "shipment.tracking_number", "weight"),
                        DATES: ("scheduled_date", "date_done"), SHIPPED: ("lines",)},
    "fulfillment.request": {TRANSPORT: ("carrier",), DATES: ("commitment_date",)},
}


def inbound_values(event_type, values, odoo_owned):
    """``(values to apply, groups left out)`` of an inbound event of ``event_type``:
    the values of the groups Odoo owns (``odoo_owned``) are left out, and only groups
    the event gave values for are reported. The values are None when none of the event
    may be applied (its essential group, or every group it gave, is Odoo's): the event
    is then kept unapplied, replayable once the owner is changed."""
    groups = INBOUND_FIELDS.get(event_type, {})
    left_out = {group for group, names in groups.items()
                if group in odoo_owned and any(name in values for name in names)}
    if not left_out:
        return values, left_out
    names = {name for group in left_out for name in groups[group]}
    kept = {key: value for key, value in values.items() if key not in names}
    if INBOUND_ESSENTIAL.get(event_type) in left_out or not kept:
        return None, left_out
    return kept, left_out


def labels(groups):
    """The groups' labels, in the order of :data:`FIELD_GROUPS`, for a note."""
    return ", ".join(label for group, label in FIELD_GROUPS if group in groups)


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
