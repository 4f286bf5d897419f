# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.addons.queue_job.jobrunner import runner
from odoo.tests.common import BaseCase
from odoo.tools import config

from ..post_load import DEFAULT_RUNNER_WAKEUP, post_load, runner_wakeup_interval


class TestRunnerWakeup(BaseCase):
    def setUp(self):
        super().setUp()
        self.addCleanup(setattr, runner, "SELECT_TIMEOUT", runner.SELECT_TIMEOUT)
        self.addCleanup(config.misc.__setitem__, "logistics_sync",
                        dict(config.misc.get("logistics_sync", {})))

    def _configure(self, value):
        section = config.misc.setdefault("logistics_sync", {})
        if value is None:
            section.pop("runner_wakeup_interval", None)
        else:
            section["runner_wakeup_interval"] = value

    def test_interval_from_the_configuration(self):
        self._configure(None)
        self.assertEqual(runner_wakeup_interval(), DEFAULT_RUNNER_WAKEUP)
        self._configure("4.5")
        self.assertEqual(runner_wakeup_interval(), 4.5)
        self._configure("0")
        self.assertEqual(runner_wakeup_interval(), 0)
        self._configure("soon")
        with self.assertLogs("odoo.addons.logistics_sync_runner.post_load", "WARNING"):
            self.assertEqual(runner_wakeup_interval(), DEFAULT_RUNNER_WAKEUP)

    def test_post_load_shortens_the_runner_select_timeout(self):
        runner.SELECT_TIMEOUT = 60
        self._configure("7")
        post_load()
        self.assertEqual(runner.SELECT_TIMEOUT, 7)
        # 0 keeps queue_job's own timeout; a longer interval never lengthens it.
        for value in ("0", "120"):
            runner.SELECT_TIMEOUT = 60
            self._configure(value)
            post_load()
            self.assertEqual(runner.SELECT_TIMEOUT, 60)
