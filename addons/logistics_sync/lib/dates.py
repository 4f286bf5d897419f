# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Event times as Odoo stores them (no ORM)."""

from datetime import date, datetime, time, timezone


def to_utc_naive(value):
    """Datetime, date or ISO 8601 string -> naive UTC datetime at second precision
    (Odoo's storage); ``None`` for an empty value. Raises ``ValueError`` otherwise."""
    if not value:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    elif not isinstance(value, datetime):
        raise ValueError(f"not a date/time: {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)
