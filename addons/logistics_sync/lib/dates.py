# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Event times as Odoo stores them (no ORM)."""

from datetime import date, datetime, time, timedelta, timezone


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


# No shipment of this system happened before it: an earlier event time is a sender's
# fault (an epoch or zero date), whatever the settings.
EARLIEST_EVENT = datetime(2000, 1, 1)


def implausible(occurred_at, now, created_at=None, future_hours=24, max_age_days=365):
    """Why an event time (naive UTC) cannot be true, or ``None``: before 2000, more
    than ``future_hours`` after ``now`` (its reception), or more than ``max_age_days``
    before ``created_at`` (its shipment's creation); 0 turns either of these off."""
    if occurred_at < EARLIEST_EVENT:
        return f"event time {occurred_at} is before {EARLIEST_EVENT.date()}"
    if future_hours and occurred_at > now + timedelta(hours=future_hours):
        return f"event time {occurred_at} is more than {future_hours} h in the future"
    if max_age_days and created_at and occurred_at < created_at - timedelta(days=max_age_days):
        return (f"event time {occurred_at} is more than {max_age_days} days before its "
                f"shipment was created ({created_at:%Y-%m-%d})")
    return None
