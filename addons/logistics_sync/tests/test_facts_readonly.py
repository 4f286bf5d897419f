# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Facts are read-only to people: through the real RPC layer, as restricted users."""

import base64
from contextlib import contextmanager
from datetime import datetime
from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import at

# Context keys a caller may send, hoping one of them grants a right.
BYPASS_CONTEXT = {"logistics_release": True, "tracking_disable": True, "install_mode": True,
                  "logistics_skip_recompute": True}
FACTS = ("state", "current_milestone_id", "current_reason_id", "last_event_at", "date_picked_up",
         "date_delivered", "pod_received", "pod_date", "pod_signed_by", "pod_document_url",
         "pod_attachment_id")
ACCESS_ERROR = "odoo.exceptions.AccessError"


@tagged("post_install", "-at_install")
class TestFactsReadOnly(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Shipment = cls.env["logistics.shipment"]
        groups = {
            "fr_stock": "stock.group_stock_user",
            "fr_user": "logistics_sync.group_logistics_user",
            "fr_manager": "logistics_sync.group_logistics_manager",
            "fr_system": "base.group_system,logistics_sync.group_logistics_user",
        }
        cls.users = {login: new_test_user(cls.env, login, password=f"{login}-pw-123", groups=g)
                     for login, g in groups.items()}
        cls.shipment = cls.Shipment.create({"partner_id": cls.env.user.partner_id.id})
        cls.shipment._apply_milestones([
            {"shipment_id": cls.shipment.id, "code": code, "occurred_at": at(hours), "source": "tms"}
            for code, hours in (("picked_up", 1), ("in_transit", 2))])
        cls.exception_reason = cls.env.ref("logistics_sync.milestone_reason_exception_lost")
        cls.attachment = cls.env["ir.attachment"].create({
            "name": "forged.pdf", "raw": b"%PDF-1.4 forged", "res_model": "logistics.shipment",
            "res_id": cls.shipment.id})

    def rpc(self, login, model, method, *args, context=None, **kwargs):
        self.authenticate(login, f"{login}-pw-123")
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args),
            "kwargs": dict(kwargs, context=dict(context or {}))})

    def assert_refused(self, login, model, method, *args, **kwargs):
        with self.assertRaises(JsonRpcException) as refused:
            self.rpc(login, model, method, *args, **kwargs)
        self.assertEqual(refused.exception.args[0], ACCESS_ERROR)

    def snapshot(self, shipment):
        self.env.invalidate_all()
        return shipment.read(list(FACTS))[0]

    @contextmanager
    def derived_changes(self):
        """The calls of the hook that reacts to a change of state or POD (the invoice
        release queues its job there) and the queue jobs stored meanwhile."""
        calls, Shipment = [], type(self.Shipment)
        hook = Shipment._logistics_after_derived_change

        def spy(records, before):
            calls.append(records.ids)
            return hook(records, before)

        jobs = self.env["queue.job"].search_count([]) if "queue.job" in self.env else 0
        with patch.object(Shipment, "_logistics_after_derived_change", spy):
            yield calls
        if "queue.job" in self.env:
            self.assertEqual(self.env["queue.job"].search_count([]), jobs, "no job queued")

    def forged_values(self):
        milestone = self.shipment.milestone_ids.filtered(lambda m: m.code == "picked_up")
        return [
            {"state": "delivered"},
            {"pod_received": True},
            {"pod_signed_by": "Mallory"},
            {"pod_date": "2026-11-20 10:00:00"},
            {"pod_document_url": "https://evil.example/pod.pdf"},
            {"pod_attachment_id": self.attachment.id},
            {"current_milestone_id": milestone.id},
            {"current_reason_id": self.exception_reason.id},
            {"date_picked_up": "2026-01-01 00:00:00"},
            {"date_delivered": "2026-11-20 10:00:00"},
            {"last_event_at": "2026-12-31 00:00:00"},
            {"note": "<p>harmless</p>", "state": "delivered", "pod_received": True},
        ]

    def test_shipment_facts_refused_below_settings_admin(self):
        before = self.snapshot(self.shipment)
        with self.derived_changes() as calls:
            for login in ("fr_stock", "fr_user", "fr_manager"):
                for vals in self.forged_values():
                    for context in ({}, BYPASS_CONTEXT):
                        with self.subTest(login=login, vals=vals, context=context):
                            self.assert_refused(login, "logistics.shipment", "write",
                                                [self.shipment.id], vals, context=context)
                with self.subTest(login=login, method="web_save"):
                    self.assert_refused(login, "logistics.shipment", "web_save", [self.shipment.id],
                                        {"pod_received": True}, specification={"state": {}},
                                        context=BYPASS_CONTEXT)
                with self.subTest(login=login, method="create"):
                    self.assert_refused(login, "logistics.shipment", "create",
                                        {"state": "delivered", "pod_received": True,
                                         "pod_signed_by": "Mallory"}, context=BYPASS_CONTEXT)
                with self.subTest(login=login, method="copy"):
                    self.assert_refused(login, "logistics.shipment", "copy", [self.shipment.id],
                                        default={"state": "delivered", "pod_received": True})
        self.assertEqual(calls, [], "no release due: the state and POD flag did not change")
        self.assertEqual(self.snapshot(self.shipment), before)
        # What is not a fact stays editable.
        self.rpc("fr_user", "logistics.shipment", "write", [self.shipment.id],
                 {"tracking_number": "TRK-1", "note": "<p>call first</p>"})
        self.assertEqual(self.shipment.tracking_number, "TRK-1")

    def refused_notes(self, login, model, method, *args, **kwargs):
        """Refuse as assert_refused does, and return the refusal notes on the shipment.

        Not assert_refused: Odoo's assertRaises rolls back a savepoint of the test's
        cursor, which would take the notes written after the refusal with it."""
        try:
            self.rpc(login, model, method, *args, **kwargs)
        except JsonRpcException as refused:
            self.assertEqual(refused.args[0], ACCESS_ERROR)
        else:
            self.fail(f"{model}.{method} was not refused")
        self.env.invalidate_all()
        return self.shipment.message_ids.filtered(lambda m: "Refused to" in (m.body or ""))

    def test_a_refused_write_is_logged_with_its_author(self):
        with self.assertLogs("odoo.addons.logistics_sync.tools.guard", "WARNING") as logs:
            note = self.refused_notes("fr_user", "logistics.shipment", "write",
                                      [self.shipment.id], {"pod_received": True},
                                      context=BYPASS_CONTEXT)
        self.assertIn("refused to fr_user", logs.output[0])
        self.assertIn(f"logistics.shipment [{self.shipment.id}]", logs.output[0])
        self.assertIn("pod_received", logs.output[0])
        self.assertFalse(self.shipment.pod_received)
        # ... and in the shipment's chatter, by its author, though the write rolled back.
        self.assertEqual(len(note), 1, self.shipment.message_ids.mapped("body"))
        self.assertEqual(note.author_id, self.users["fr_user"].partner_id)
        self.assertIn("pod_received", note.body)

    def test_a_refused_milestone_change_is_told_on_its_shipment(self):
        milestone = self.shipment.milestone_ids[:1]
        notes = self.refused_notes("fr_manager", "logistics.shipment.milestone", "write",
                                   milestone.ids, {"voided": True})
        notes |= self.refused_notes("fr_user", "logistics.shipment.milestone", "create", {
            "shipment_id": self.shipment.id, "occurred_at": "2026-12-01 00:00:00",
            "code_id": self.env.ref("logistics_sync.milestone_code_delivered").id,
            "effect": "applied"})
        self.assertEqual(notes.author_id, (self.users["fr_manager"] | self.users["fr_user"]).partner_id)
        self.assertEqual(len(notes), 2)
        self.assertFalse(milestone.voided)

    def test_defaults_from_the_context_do_not_set_facts(self):
        """default_<field> keys are context too: a new shipment starts from no fact."""
        with self.derived_changes() as calls:
            shipment_id = self.rpc("fr_stock", "logistics.shipment", "create", {"note": "x"},
                                   context={"default_state": "delivered",
                                            "default_pod_received": True,
                                            "default_pod_signed_by": "Mallory"})
        shipment = self.Shipment.browse(shipment_id)
        self.assertEqual((shipment.state, shipment.pod_received, shipment.pod_signed_by),
                         ("draft", False, False))
        self.assertEqual(calls, [])

    def test_settings_admin_can_still_write_facts(self):
        """A Settings administrator can grant themselves any group and run code anyway:
        refusing them would protect nothing, and they repair data by hand."""
        self.rpc("fr_system", "logistics.shipment", "write", [self.shipment.id],
                 {"pod_signed_by": "Fixed by admin"})
        self.assertEqual(self.shipment.pod_signed_by, "Fixed by admin")

    def test_milestones_immutable_but_for_the_correct_wizard(self):
        milestone = self.shipment.milestone_ids.filtered(lambda m: m.code == "in_transit")
        other_code = self.env.ref("logistics_sync.milestone_code_delivered")
        fields_before = milestone.read(["voided", "occurred_at", "code_id", "source", "effect"])
        for login in ("fr_stock", "fr_user", "fr_manager"):
            for vals in ({"voided": True}, {"voided": True, "void_reason": "x"},
                         {"occurred_at": "2026-12-01 00:00:00"}, {"code_id": other_code.id},
                         {"source": "carrier-x"}, {"effect": "voided"}, {"detail": "edited"}):
                with self.subTest(login=login, vals=vals):
                    self.assert_refused(login, "logistics.shipment.milestone", "write",
                                        [milestone.id], vals, context=BYPASS_CONTEXT)
            with self.subTest(login=login, through="the shipment's one2many"):
                self.assert_refused(login, "logistics.shipment", "write", [self.shipment.id],
                                    {"milestone_ids": [Command.update(milestone.id, {"voided": True})]})
            with self.subTest(login=login, method="unlink"):
                self.assert_refused(login, "logistics.shipment.milestone", "unlink", [milestone.id],
                                    context=BYPASS_CONTEXT)
        self.env.invalidate_all()
        self.assertEqual(milestone.read(["voided", "occurred_at", "code_id", "source", "effect"]),
                         fields_before)
        self.assertEqual(self.shipment.state, "in_transit")
        # The manager's wizard still voids, logged in the chatter.
        wizard_id = self.rpc("fr_manager", "logistics.shipment.correct.wizard", "create", {
            "shipment_id": self.shipment.id, "milestone_ids": [Command.set(milestone.ids)],
            "reason": "scanned at the wrong hub"})
        self.rpc("fr_manager", "logistics.shipment.correct.wizard", "action_apply", [wizard_id])
        self.env.invalidate_all()
        self.assertTrue(milestone.voided)
        self.assertEqual((milestone.void_reason, milestone.voided_by_id),
                         ("scanned at the wrong hub", self.users["fr_manager"]))
        self.assertEqual(self.shipment.state, "picked_up", "re-derived")
        logged = self.shipment.message_ids.filtered(lambda m: "scanned at the wrong hub" in m.body)
        self.assertEqual(logged.author_id, self.users["fr_manager"].partner_id)
        # ... and only the manager's.
        self.assert_refused("fr_user", "logistics.shipment.correct.wizard", "create", {
            "shipment_id": self.shipment.id, "milestone_ids": [Command.set(milestone.ids)],
            "reason": "no"})

    def test_milestone_source_is_set_by_the_system(self):
        code = self.env.ref("logistics_sync.milestone_code_out_for_delivery")
        milestone_id = self.rpc("fr_user", "logistics.shipment.milestone", "create", {
            "shipment_id": self.shipment.id, "code_id": code.id, "occurred_at": "2026-11-20 12:00:00",
            "source": "carrier-x", "received_at": "2020-01-01 00:00:00"}, context=BYPASS_CONTEXT)
        milestone = self.env["logistics.shipment.milestone"].browse(milestone_id)
        self.assertEqual(milestone.source, "manual:fr_user")
        self.assertGreater(milestone.received_at, datetime(2026, 1, 1), "received now, not when told")
        self.assertEqual(self.shipment.state, "out_for_delivery",
                         "derived: no context key skips the derivation")
        duplicate_id = self.rpc("fr_user", "logistics.shipment.milestone.duplicate", "create", {
            "milestone_id": milestone_id, "source": "carrier-x", "received_at": "2020-01-01 00:00:00"})
        duplicate = self.env["logistics.shipment.milestone.duplicate"].browse(duplicate_id)
        self.assertEqual(duplicate.source, "manual:fr_user")
        self.assertGreater(duplicate.received_at, datetime(2026, 1, 1))
        # A correction's fields are no one's to set at creation either.
        for vals in ({"voided": True}, {"void_reason": "x"},
                     {"voided_by_id": self.users["fr_manager"].id}, {"effect": "state"}):
            with self.subTest(vals=vals):
                self.assert_refused("fr_user", "logistics.shipment.milestone", "create", dict({
                    "shipment_id": self.shipment.id, "code_id": code.id,
                    "occurred_at": "2026-11-20 13:00:00"}, **vals))

    def test_add_milestone_wizard_records_pod_and_its_author(self):
        delivered = self.env.ref("logistics_sync.milestone_code_delivered")
        wizard_id = self.rpc("fr_user", "logistics.milestone.add.wizard", "create", {
            "shipment_id": self.shipment.id, "code_id": delivered.id,
            "occurred_at": "2026-11-20 15:00:00", "pod_signed_by": "R. Receiver",
            "pod_document": base64.b64encode(b"%PDF-1.4 signed").decode(),
            "pod_document_name": "pod.pdf"})
        self.rpc("fr_user", "logistics.milestone.add.wizard", "action_apply", [wizard_id])
        self.env.invalidate_all()
        shipment = self.shipment
        self.assertEqual((shipment.state, shipment.pod_received, shipment.pod_signed_by),
                         ("delivered", True, "R. Receiver"))
        self.assertEqual(shipment.pod_attachment_id.name, "pod.pdf")
        self.assertEqual(shipment.current_milestone_id.source, "manual:fr_user")
