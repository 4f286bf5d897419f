# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import copy
import json
from pathlib import Path
from unittest.mock import patch

from odoo.tests import BaseCase, tagged

from ..lib import event_types, events
from ..models.logistics_inbox_typed import Outcome
from .common import WebhookCase, generic_event

SAMPLES = Path(__file__).parent / "fixtures" / "events"
JUNK = (None, 0, -1, True, "", "x" * 1025, [], {}, "2026-11-20")


def sample(type_):
    return json.loads((SAMPLES / f"{type_}.1.json").read_text())


def mutations(node, path=()):
    """Every variant of ``node`` with one value replaced by junk or removed."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from ((path + (key,), junk) for junk in JUNK)
            yield path + (key,), KeyError
            yield from mutations(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from mutations(value, path + (i,))


def mutated(event, path, value):
    event = copy.deepcopy(event)
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    if value is KeyError:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return event


class TestEventTypesLib(BaseCase):
    """Types, versions and their schemas (no database)."""

    def test_each_type_and_version_has_a_valid_schema_and_a_valid_sample(self):
        import jsonschema

        for type_, versions in event_types.VERSIONS.items():
            for major in versions:
                with self.subTest(type=type_, major=major):
                    schema = events.load_schema(type_, major)
                    jsonschema.Draft202012Validator.check_schema(schema)
                    self.assertTrue(schema["$id"].endswith(f"/{type_}/{major}.json"))
                    item = sample(type_)
                    jsonschema.validate(item, schema)
                    self.assertTrue(events.event_is_valid(item))
                    jsonschema.validate(item, events.load_envelope_schema())
        jsonschema.Draft202012Validator.check_schema(events.load_envelope_schema())

    def test_compiled_validators_agree_with_the_published_schemas(self):
        """The inbox validates with compiled schemas: they must accept exactly what the
        published JSON Schemas accept, for every type (each field junked or removed)."""
        for type_ in event_types.VERSIONS:
            reference = events._event_validator(type_, 1)
            for path, value in mutations(sample(type_)):
                item = mutated(sample(type_), path, value)
                if path == ("type",) or path == ("schema_version",) and value is not KeyError:
                    continue  # another type or version: refused before its schema
                with self.subTest(type=type_, path=path, value=value):
                    self.assertEqual(events.event_is_valid(item), reference.is_valid(item))

    def test_a_batch_may_mix_types(self):
        body = {"events": [sample(t) for t in event_types.VERSIONS]}
        _envelope, parsed = events.parse_generic(json.dumps(body).encode())
        self.assertEqual([e.type for e in parsed], list(event_types.VERSIONS))
        shipped = parsed[-1]
        self.assertEqual((shipped.order_reference, shipped.order_release, str(shipped.occurred_at)),
                         ("S00042", "WH/OUT/00042", "2026-11-19 16:30:00"))
        updated = parsed[1]
        self.assertEqual(str(updated.times["dates.estimated_delivery"]), "2026-11-22 11:00:00", "UTC")
        self.assertEqual(updated.shipment_external_id, "tms-42")

    def test_versions(self):
        milestone = sample("shipment.milestone")
        del milestone["schema_version"]
        (event,) = events.parse_generic(json.dumps(milestone).encode())[1]
        self.assertEqual((event.type, event.schema_version, event.deprecated),
                         ("shipment.milestone", "1", False), "senders from before versions: 1")
        for version in ("1", "1.0", "1.7"):
            (event,) = events.parse_generic(json.dumps(
                dict(sample("shipment.updated"), schema_version=version)).encode())[1]
            self.assertEqual(event.schema_version, version, "additive changes within a major")
        refused = [
            (dict(milestone, schema_version="2"), r"\$: schema_version 2 of shipment.milestone is "
                                                  r"not supported \(supported major versions: 1\)"),
            (dict(milestone, schema_version=1), "must be a string"),
            ({k: v for k, v in sample("shipment.updated").items() if k != "schema_version"},
             r"schema_version is required for shipment.updated \(supported major versions: 1\)"),
            ({"events": [milestone, dict(sample("fulfillment.shipped"), schema_version="3.1")]},
             r"\$.events\[1\]: schema_version 3.1 of fulfillment.shipped is not supported"),
            (dict(milestone, type="shipment.created"), "unknown event type 'shipment.created'"),
        ]
        for body, reason in refused:
            with self.subTest(reason=reason), self.assertRaisesRegex(events.PayloadError, reason):
                events.parse_generic(json.dumps(body).encode())

    def test_a_deprecated_version_is_parsed_and_flagged(self):
        with patch.dict(event_types.VERSIONS, {"shipment.milestone": {1: "deprecated", 2: "current"}}):
            (event,) = events.parse_generic(json.dumps(sample("shipment.milestone")).encode())[1]
        self.assertTrue(event.deprecated)
        (event,) = events.parse_generic(json.dumps(sample("shipment.milestone")).encode())[1]
        self.assertFalse(event.deprecated)


@tagged("post_install", "-at_install")
class TestEventTypesHttp(WebhookCase):
    """The schema route, and the inbox's dispatch by type, through the real webhook."""

    def test_schemas_are_served_read_only_and_cacheable(self):
        for type_ in event_types.VERSIONS:
            response = self.url_open(f"/logistics/schema/{type_}/1.json")
            self.assertEqual(response.status_code, 200, type_)
            self.assertEqual(response.json(), events.load_schema(type_, 1))
            self.assertEqual(response.headers["Content-Type"], "application/schema+json")
            self.assertIn("public", response.headers["Cache-Control"])
            self.assertNotIn("Set-Cookie", response.headers)
        for path in ("shipment.milestone/2.json", "shipment.created/1.json", "shipment.milestone/1.0.json",
                     "..%2F..%2Fevents.py/1.json", "shipment.milestone/%D9%A1.json"):
            response = self.url_open(f"/logistics/schema/{path}")
            self.assertEqual(response.status_code, 404, path)
        self.assertEqual(self.url_open("/logistics/schema/x/9.json").json()["types"]["shipment.updated"], "1")
        self.assertEqual(self.url_open("/logistics/schema/shipment.updated/1.json", data=b"{}").status_code, 405)

    def test_event_types_a_backend_may_send_follow_its_type(self):
        def new(code, backend_type):
            return self.env["logistics.backend"].with_context(logistics_new_secret=False).create({
                "name": code, "code": code, "backend_type": backend_type,
                "integration_user_id": self.integration_user.id})

        self.assertEqual(new("t-carrier", "carrier")._authority().event_types, {"shipment.updated"})
        self.assertEqual(new("t-wms", "wms")._authority().event_types, set(event_types.FULFILLMENT_TYPES))
        self.assertEqual(new("t-finance", "finance")._authority().event_types, set())

    def post_events(self, *items):
        response = self.post_signed({"events": list(items)})
        self.assertEqual(response.status_code, 202, response.text)
        self.process()
        return self.messages()[-1]

    def test_an_unknown_version_is_invalid_with_the_supported_versions(self):
        message = self.post_events(
            generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"),
            dict(generic_event("TEST-SHP-1", "in_transit", "2026-11-20T09:00:00Z"), schema_version="2"))
        self.assertEqual(message.state, "invalid")
        self.assertIn("$.events[1]: schema_version 2 of shipment.milestone is not supported "
                      "(supported major versions: 1)", message.error)
        self.assertEqual(self.shipment.state, "draft")

    def test_a_deprecated_version_is_applied_and_counted_on_the_backend(self):
        self.assertFalse(self.backend.deprecated_event_count)
        with patch.dict(event_types.VERSIONS, {"shipment.milestone": {1: "deprecated", 2: "current"}}):
            message = self.post_events(
                generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"),
                dict(generic_event("TEST-SHP-1", "in_transit", "2026-11-20T09:00:00Z"), schema_version="1.0"))
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(self.shipment.state, "in_transit")
        self.assertEqual(self.backend.deprecated_event_count, 2)
        self.assertEqual(self.backend.deprecated_event_last, "shipment.milestone 1.0")
        self.assertTrue(self.backend.deprecated_event_last_at)
        self.post_events(generic_event("TEST-SHP-1", "delivered", "2026-11-20T10:00:00Z"))
        self.assertEqual(self.backend.deprecated_event_count, 2, "current versions are not counted")

    def test_a_replay_does_not_count_its_deprecated_events_again(self):
        with patch.dict(event_types.VERSIONS, {"shipment.milestone": {1: "deprecated", 2: "current"}}):
            message = self.post_events(generic_event("LATE-SHP-1", "picked_up", "2026-11-20T08:00:00Z"))
            self.assertEqual(message.state, "unmatched", message.error)
            self.backend.invalidate_recordset()
            self.assertEqual(self.backend.deprecated_event_count, 1)
            self.env["logistics.shipment"].create({"name": "LATE-SHP-1"})
            message.with_user(self.env.ref("base.user_admin")).action_replay()
            self.process()
        self.assertEqual(message.state, "done", message.error)
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.deprecated_event_count, 1)

    def test_a_batch_mixing_types_is_dispatched_by_type_and_replayed_event_by_event(self):
        """Each type goes to its apply method, only if the backend may send it; a replay
        applies only what was not applied (the milestone is applied once)."""
        calls = []
        inbox = self.registry["logistics.inbox.typed"]

        def apply_updated(self_, backend, items):
            calls.append([(key[1], event.event_id) for key, event in items])
            return {key: Outcome("done", "carrier kept (owned by Odoo).", self.shipment.id)
                    for key, _e in items}

        updated = dict(sample("shipment.updated"), shipment={"reference": "TEST-SHP-1"})
        shipped = sample("fulfillment.shipped")
        self.backend.may_update_shipments = False
        with patch.object(inbox, "_apply_shipment_updated", apply_updated):
            message = self.post_events(
                generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"), updated)
            self.assertEqual(message.state, "unauthorized")
            self.assertIn("test-tms may not send shipment.updated events", message.error)
            self.assertEqual(self.shipment.state, "picked_up", "the milestone is applied meanwhile")
            self.assertFalse(calls)
            self.backend.may_update_shipments = True
            message.action_replay()
            self.process()
        self.assertEqual(calls, [[(1, "evt_up_1")]], "only the event not applied yet")
        self.assertEqual(message.state, "done", message.error)
        self.assertIn("carrier kept (owned by Odoo).", message.result)
        self.assertEqual(json.loads(message.applied_events), [0, 1])
        self.assertEqual(message.shipment_ids, self.shipment)
        self.assertEqual(len(self.shipment.milestone_ids), 1)
        # A WMS's fulfillment events reach their apply methods (no such order here).
        self.backend.may_report_fulfillment = True
        self.env.company.logistics_fulfillment_user_id = self.env.ref("base.user_admin")
        message = self.post_events(shipped)
        self.assertEqual(message.state, "unmatched")
        self.assertIn("order S00042", message.error)

    def test_an_apply_method_that_raises_fails_only_its_message(self):
        inbox = self.registry["logistics.inbox.typed"]

        def apply_updated(self_, backend, items):
            if any(event.event_id == "boom" for _k, event in items):
                raise ValueError("boom")
            return {key: Outcome("done") for key, _e in items}

        good = dict(sample("shipment.updated"), shipment={"reference": "TEST-SHP-1"})
        with patch.object(inbox, "_apply_shipment_updated", apply_updated):
            for event_id in ("ok", "boom"):
                self.assertEqual(self.post_signed(dict(good, id=event_id)).status_code, 202)
            self.process()
        ok, boom = self.messages()
        self.assertEqual(ok.state, "done")
        self.assertEqual((boom.state, boom.error, boom.attempts), ("pending", "boom", 1),
                         "retried later, like a milestone batch that raises")
