# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Server-wide start-up: how often queue_job's runner wakes up.

queue_job's runner re-queues the job of a dead worker (``requeue_dead_jobs``: state
``started``, its ``queue_job_lock`` row no longer locked, enqueued more than 10 s ago)
only when it wakes up: on any job activity, or else after ``SELECT_TIMEOUT`` (60 s).
On an idle server, or with a channel whose only slot the dead job holds (the inbound
channel has one, for the lowest lag), a job killed with its worker thus waited up to
about 70 s. Waking the runner every ``runner_wakeup_interval`` seconds (10 by default)
bounds that to about 20 s; each wake-up costs one ``UPDATE … WHERE state IN
('enqueued', 'started')`` (an indexed, usually empty match) and a ``SELECT 1`` per
database.

It takes effect only where the runner runs, so this addon must be in
``server_wide_modules`` (after ``queue_job``)::

    [options]
    server_wide_modules = base,web,queue_job,logistics_sync_runner

    [logistics_sync]
    runner_wakeup_interval = 10
"""

import logging

from odoo.tools import config

_logger = logging.getLogger(__name__)

DEFAULT_RUNNER_WAKEUP = 10.0


def runner_wakeup_interval():
    """Seconds from ``[logistics_sync] runner_wakeup_interval`` (0: keep queue_job's)."""
    value = config.misc.get("logistics_sync", {}).get("runner_wakeup_interval")
    if value in (None, ""):
        return DEFAULT_RUNNER_WAKEUP
    try:
        return max(0.0, float(value))
    except ValueError:
        _logger.warning("[logistics_sync] runner_wakeup_interval=%r is not a number: using %s s",
                        value, DEFAULT_RUNNER_WAKEUP)
        return DEFAULT_RUNNER_WAKEUP


def post_load():
    try:
        from odoo.addons.queue_job.jobrunner import runner
    except ImportError:  # queue_job not on the addons path: nothing to tune
        return
    interval = runner_wakeup_interval()
    if interval and interval < runner.SELECT_TIMEOUT:
        _logger.info("queue_job runner: waking up at least every %s s (was %s s), so that "
                     "the jobs of dead workers are re-queued within about %s s",
                     interval, runner.SELECT_TIMEOUT, interval + 10)
        runner.SELECT_TIMEOUT = interval
