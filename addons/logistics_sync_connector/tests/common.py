# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import socket
import time
import uuid
from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command
from odoo.tests import new_test_user
from odoo.tests.common import HttpCase, TransactionCase, _super_send

from ..lib import signatures

TMS_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class OutboundHttpMixin:
    """Odoo 18 tests block outbound HTTP before `responses` sees it: hand it back."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        return _super_send(s, r, **kw)


@contextmanager
def public_dns(address="93.184.216.34"):
    """Names resolve to a public address without a network (the SSRF guard resolves a
    provider's API host before `responses` answers)."""
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    with patch("socket.getaddrinfo", getaddrinfo):
        yield


class ProviderApiMixin(OutboundHttpMixin):
    """A provider's API answered by `responses`: outbound HTTP handed back to it, and
    names resolved to a public address (the SSRF guard passes)."""

    def setUp(self):
        super().setUp()
        self.enterContext(public_dns())


def make_silent(shipment, hours):
    """Date ``shipment``'s creation ``hours`` ago, nothing heard of it since: a shipment
    a poll asks about."""
    shipment.env.flush_all()
    shipment.env.cr.execute(
        "UPDATE logistics_shipment SET create_date = now() at time zone 'utc' "
        "- make_interval(hours => %s) WHERE id = %s", [hours, shipment.id])
    shipment.invalidate_recordset(["create_date"])


def new_carrier(env, name):
    """A delivery carrier (with its service product) for cross-references and backends."""
    product = env["product.product"].create({"name": name, "type": "service"})
    return env["delivery.carrier"].create({"name": name, "product_id": product.id})


def generic_event(reference, code, occurred_at, event_id=None, **extra):
    event = {
        "type": "shipment.milestone",
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "shipment": {"reference": reference},
        "milestone": {"code": code, "occurred_at": occurred_at},
    }
    for key, value in extra.items():
        if key in ("location", "reason"):
            event["milestone"][key] = value
        elif key in ("tracking_number", "external_id", "carrier"):
            event["shipment"][key] = value
        else:
            event[key] = value
    return event


class ConnectorMixin:
    @classmethod
    def _setup_connector(cls):
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.integration_user = new_test_user(
            cls.env, "test-integration",
            groups="base.group_user,logistics_sync_connector.group_logistics_integration",
        )
        cls.backend = cls.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "Test TMS",
            "code": "test-tms",
            "backend_type": "tms",
            "adapter": "generic",
            "integration_user_id": cls.integration_user.id,
            # A single trusted TMS: every code, proof of delivery, every shipment.
            "shipment_scope": "company",
            "may_assert_pod": True,
            "allowed_milestone_code_ids": [Command.set(cls.env["logistics.milestone.code"].search([]).ids)],
        })
        cls.env["logistics.backend.secret"].create(
            {"backend_id": cls.backend.id, "secret": TMS_SECRET})
        cls.shipment = cls.env["logistics.shipment"].create({
            "name": "TEST-SHP-1", "tracking_number": "TRACK-1"})
        cls.url = "/logistics/webhook/test-tms"


class ConnectorCase(ConnectorMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_connector()


class WebhookCase(ConnectorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_connector()

    def post_raw(self, url, body, headers):
        return self.url_open(url, data=body, headers=headers, timeout=30)

    def post_signed(self, payload, secret=TMS_SECRET, msg_id=None, timestamp=None, url=None,
                    body=None, headers=None):
        body = body if body is not None else json.dumps(payload).encode()
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        extra = headers or {}
        headers = signatures.standard_headers(secret, msg_id, body,
                                              timestamp=timestamp or int(time.time()))
        headers["Content-Type"] = "application/json"
        return self.post_raw(url or self.url, body, {**headers, **extra})

    def process(self, backend=None):
        backend = backend or self.backend
        return backend.with_user(backend.integration_user_id)._process_inbox()

    def messages(self, backend=None):
        return self.env["logistics.sync.message"].search(
            [("backend_id", "=", (backend or self.backend).id)], order="id")
