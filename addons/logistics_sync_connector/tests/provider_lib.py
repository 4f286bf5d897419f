# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""What the provider addons' tests share: reading their fixtures, the events a parse
returns split by type, the fuzzing of the providers' published examples (any value
anywhere: storable events, or a PayloadError, never another exception), and the check
of their demo backend."""

import copy
import json

from hypothesis import strategies as st

from ..lib import event_types
from ..lib.events import PayloadError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


def reader(fixtures):
    """``fixture(name)``: the bytes of a file of the ``fixtures`` folder."""
    return lambda name: (fixtures / name).read_bytes()


def split(parsed):
    """``(milestone events, shipment.updated events)`` of a parse."""
    return ([e for e in parsed if e.type == event_types.MILESTONE],
            [e for e in parsed if e.type == event_types.SHIPMENT_UPDATED])


def paths(node, path=()):
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield from paths(value, (*path, key))


def replaced(data, path, value):
    if not path:
        return value
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def fuzz_examples(data, module, fixture, names):
    """One hypothesis example: a value drawn from ``data`` put anywhere in each published
    example; ``module.message_id`` and ``module.parse`` raise PayloadError or return
    events the inbox can match (hashable keys, dates of the right type)."""
    for name in names:
        example = json.loads(fixture(name))
        path = data.draw(st.sampled_from(list(paths(example))))
        body = json.dumps(replaced(example, path, data.draw(json_values))).encode()
        try:
            module.message_id(body)
            parsed = module.parse(body)
        except PayloadError:
            continue
        for event in parsed:
            hash((event.event_id, event.type, event.shipment_external_id, event.tracking_number,
                  event.shipment_reference, getattr(event, "code", None)))
            if event.type == event_types.SHIPMENT_UPDATED:
                assert set(event.times) <= {"occurred_at", "dates.estimated_delivery"}, event.times


def check_demo_backend(case, xmlid, readme, paused=True):
    """The demo backend ``xmlid`` exists (when the database has demo data), paused or
    not as its readme says, and may send ETAs; the addon's ``readme`` fragment (a Path)
    names its demo secret, and every secret of a backend that is not paused."""
    backend = case.env.ref(xmlid, raise_if_not_found=False)
    if not backend:
        case.skipTest("a database without demo data")
    case.assertEqual(backend.paused, paused)
    case.assertTrue(backend.may_update_shipments)
    secrets = case.env["logistics.backend.secret"].sudo().search(
        [("backend_id", "=", backend.id)]).mapped("secret")
    case.assertTrue(secrets)
    text = readme.read_text()
    documented = [secret for secret in secrets if f"`{secret}`" in text]
    if paused:
        case.assertTrue(documented, "the readme names none of its secrets")
    else:
        case.assertEqual(documented, secrets)


def check_unauthorized_eta(case, backend, post, shipment):
    """A backend that may not send shipment updates (a WebhookCase's): the message of a
    delivery with an ETA (``post()``) is ``unauthorized`` with the reason, its
    milestones are applied, the ETA is not. Returns the message."""
    backend.may_update_shipments = False
    case.assertEqual(post().status_code, 202)
    case.process(backend)
    message = case.messages(backend)
    case.assertEqual(message.state, "unauthorized")
    case.assertIn("may not send shipment.updated events", message.error)
    case.assertTrue(shipment.milestone_ids)
    case.assertFalse(shipment.date_estimated)
    return message


def check_reference_column(case, field, status_map):
    """The milestone codes' reference column ``field`` (e.g. ``aftership_status``: what
    the Milestone Codes list shows for a provider) names only statuses the provider's
    default ``status_map`` maps to that code: ``A, B (note), C``; a map key
    ``tag:subtag`` is named by its subtag. The POD row describes a delivered status with
    a signer, not a status of its own."""
    codes = case.env["logistics.milestone.code"].search([(field, "!=", False)])
    case.assertTrue(codes)
    by_name = {}
    for key, (code, _reason) in status_map.items():
        by_name.setdefault(key.rsplit(":", 1)[-1], set()).add(code)
    for record in codes.filtered(lambda c: c.code != "pod_received"):
        for name in (part.split("(")[0].strip() for part in record[field].split(",")):
            with case.subTest(code=record.code, status=name):
                case.assertEqual(by_name.get(name), {record.code})
