# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The canonical inbound event types and their versions (no ORM, no I/O).

One JSON Schema file per type and major version: ``schemas/<type>/<major>.json``,
served at ``/logistics/schema/<type>/<major>.json``. Within a major version changes
are additive only (new optional fields), so ``schema_version`` "1", "1.0" and "1.3"
are all validated by ``1.json``; a new major version is a new file and a new entry
in :data:`VERSIONS` (docs/inbound-contract.md, "Versions").
"""

import re
from pathlib import Path

MILESTONE = "shipment.milestone"
SHIPMENT_UPDATED = "shipment.updated"
FULFILLMENT_ACKNOWLEDGED = "fulfillment.acknowledged"
FULFILLMENT_REJECTED = "fulfillment.rejected"
FULFILLMENT_SHIPPED = "fulfillment.shipped"
FULFILLMENT_TYPES = (FULFILLMENT_ACKNOWLEDGED, FULFILLMENT_REJECTED, FULFILLMENT_SHIPPED)

CURRENT, DEPRECATED = "current", "deprecated"
# type -> {major version: status}. A deprecated version is still applied, and counted
# on the backend that sent it; a version not listed is refused (message invalid).
VERSIONS = {
    MILESTONE: {1: CURRENT},
    SHIPMENT_UPDATED: {1: CURRENT},
    FULFILLMENT_ACKNOWLEDGED: {1: CURRENT},
    FULFILLMENT_REJECTED: {1: CURRENT},
    FULFILLMENT_SHIPPED: {1: CURRENT},
}
# Milestone events were sent before types were versioned: without schema_version they
# are major version 1. Every other type must say its version.
IMPLICIT_MAJOR = {MILESTONE: 1}

SCHEMA_DIR = Path(__file__).parent / "schemas"
_VERSION = re.compile(r"([0-9]{1,4})(?:\.[0-9]{1,4})?")


def supported(type_):
    """The supported major versions of a type, for a reason: ``"1"``, ``"1, 2"``."""
    return ", ".join(str(major) for major in sorted(VERSIONS.get(type_, ())))


def resolve(type_, version):
    """``(major, deprecated)`` of an event's type and ``schema_version``; ValueError
    with the reason (and the supported versions) when it is not accepted."""
    if type_ not in VERSIONS:
        raise ValueError(f"unknown event type {str(type_)[:64]!r} (known: {', '.join(VERSIONS)})")
    if version is None and type_ in IMPLICIT_MAJOR:
        major = IMPLICIT_MAJOR[type_]
    elif version is None:
        raise ValueError(f"schema_version is required for {type_} "
                         f"(supported major versions: {supported(type_)})")
    else:
        match = _VERSION.fullmatch(version) if isinstance(version, str) else None
        if not match:
            raise ValueError(
                f"schema_version of {type_} must be a string such as \"1\" or \"1.0\" "
                f"(supported major versions: {supported(type_)})")
        major = int(match.group(1))
    status = VERSIONS[type_].get(major)
    if status is None:
        raise ValueError(f"schema_version {version} of {type_} is not supported "
                         f"(supported major versions: {supported(type_)})")
    return major, status == DEPRECATED


def schema_path(type_, major):
    """The schema file of a type and major version, or None when there is none."""
    if major not in VERSIONS.get(type_, ()):
        return None
    return SCHEMA_DIR / type_ / f"{major}.json"
