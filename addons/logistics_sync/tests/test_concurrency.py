# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Two transactions reporting the same milestone at the same time: one milestone."""

import threading
from functools import partial
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, sql_db
from odoo.service.model import retrying
from odoo.tests import tagged
from odoo.tests.common import BaseCase, get_db_name

from .common import at


@tagged("post_install", "-at_install")
class TestConcurrentApply(BaseCase):
    """Uses real, separately committed transactions (not the test cursor)."""

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(get_db_name())
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            self.shipment_id = env["logistics.shipment"].create({"name": "CONCURRENT-1"}).id
            # Two real transactions race here: the row must be visible to both.
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["logistics.shipment"].browse(self.shipment_id).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_concurrent_duplicates_make_one_milestone(self):
        workers = 4
        barrier = threading.Barrier(workers, timeout=20)
        Shipment = type(self._env()["logistics.shipment"])
        original = Shipment._logistics_lock
        errors, results = [], []

        waited = threading.local()

        def wait_then_lock(shipments, *args, **kwargs):
            if not getattr(waited, "done", False):
                waited.done = True
                # Every transaction has its snapshot before anyone inserts.
                shipments.env.cr.execute("SELECT 1")
                barrier.wait()
            return original(shipments, *args, **kwargs)

        def report(source):
            try:
                with self.db.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                    # Odoo's own retry on serialization failures (as for RPC and HTTP).
                    res = retrying(partial(env["logistics.shipment"]._apply_milestones, [{
                        "shipment_id": self.shipment_id, "code": "delivered",
                        "occurred_at": at(5), "source": source}]), env)
                    results.append(res[0]["status"])
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        with patch.object(Shipment, "_logistics_lock", wait_then_lock):
            threads = [threading.Thread(target=report, args=(f"sys{i}",)) for i in range(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        self.assertFalse(errors, errors)
        self.assertEqual(sorted(results), ["created"] + ["duplicate"] * (workers - 1))
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            shipment = env["logistics.shipment"].browse(self.shipment_id)
            self.assertEqual(len(shipment.milestone_ids), 1)
            self.assertEqual(len(shipment.milestone_ids.duplicate_ids), workers - 1)
            self.assertEqual(shipment.state, "delivered")

    def _env(self):
        cr = self.db.cursor()
        self.addCleanup(cr.close)
        return api.Environment(cr, SUPERUSER_ID, {})
