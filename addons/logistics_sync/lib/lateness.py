# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""When a shipment is late: one rule for Python, the search filters and the SQL views.

* The *deadline* is the estimated delivery (ETA) when there is one, else the planned
  delivery: a shipment past it and not finished is late.
* The *promise* is what the carrier or TMS promised (``date_promised``), else the planned
  delivery (the date promised to the customer); an ETA after it is *late against promise*.
"""


def deadline(date_estimated, date_planned):
    return date_estimated or date_planned


def late_against_promise(date_estimated, date_promised, date_planned):
    promise = date_promised or date_planned
    return bool(date_estimated and promise and date_estimated > promise)


def sql_deadline(alias):
    """The deadline of the shipment row ``alias`` as a SQL expression (views)."""
    return f"COALESCE({alias}.date_estimated, {alias}.date_planned)"


def sql_promise(alias):
    return f"COALESCE({alias}.date_promised, {alias}.date_planned)"
