# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The only module that knows queue_job's internals: its table and job states, the
identity keys and channel names of our jobs.

Callers go through these helpers, so that an upgrade of queue_job that changes
any of this is one file to read. Importing it needs no queue_job: the SQL only runs
where the addon that calls it depends on queue_job.
"""

import contextlib
import logging
from datetime import timedelta

import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Channels (declared as queue.job.channel records by logistics_sync_connector; their
# capacities come from the [queue_job] channels configuration).
ROOT_CHANNEL = "root.logistics"
INBOUND_CHANNEL = "root.logistics.inbound"
OUTBOUND_CHANNEL = "root.logistics.outbound"

# A job in one of these states will still run: a 'started' job whose worker died is
# re-queued by the runner.
LIVE_STATES = ("wait_dependencies", "pending", "enqueued", "started")


def backend_channel(direction, code):
    """``root.logistics.inbound.<code>`` / ``root.logistics.outbound.<code>``: unlisted in
    the configuration, a job runs under the closest listed parent (its capacity)."""
    return f"{INBOUND_CHANNEL if direction == 'in' else OUTBOUND_CHANNEL}.{code}"


def inbox_key(backend_id):
    """Identity key of a backend's inbox job: one waits at a time."""
    return f"logistics-inbox-{backend_id}"


def outbox_key(backend_id):
    """Identity key of a backend's outbox job (batched delivery): one waits at a time."""
    return f"logistics-outbox-{backend_id}"


def delay_backend(backend, direction, identity_key, description, eta=None):
    """``backend.with_delay`` for its inbox or outbox job: its channel, one waiting per
    ``identity_key``, no retry by queue_job (the job chains itself); ``eta``: a datetime,
    or seconds from now."""
    if isinstance(eta, int | float):
        eta = timedelta(seconds=eta)  # queue_job takes whole seconds only as a number
    return backend.with_delay(channel=backend._job_channel(direction), identity_key=identity_key,
                              description=description, eta=eta, max_retries=0)


def send_key(message_id, attempt):
    """Identity key of one delivery attempt of an outbound message."""
    return f"logistics-send-{message_id}-{attempt}"


def release_key(shipment_id):
    """Identity key of a shipment's automatic invoice release."""
    return f"logistics-release-{shipment_id}"


def activity(env, identity_key):
    """``(waiting, running)``: whether a job with this identity key waits to run, and
    whether one runs now. Read straight from the table: cheaper than building a job."""
    env["queue.job"].flush_model(["identity_key", "state"])
    env.cr.execute(
        """SELECT coalesce(bool_or(state <> 'started'), false),
                  coalesce(bool_or(state = 'started'), false)
             FROM queue_job WHERE identity_key = %s AND state = ANY(%s)""",
        [identity_key, list(LIVE_STATES)],
    )
    return env.cr.fetchone()


def waiting_eta(env, identity_key):
    """``(waiting, eta)``: whether a job with this identity key waits to run, and when it
    is due (None: now)."""
    env["queue.job"].flush_model(["identity_key", "state", "eta"])
    env.cr.execute(
        """SELECT count(*) > 0, CASE WHEN bool_or(eta IS NULL) THEN NULL ELSE min(eta) END
             FROM queue_job WHERE identity_key = %s AND state = ANY(%s)""",
        [identity_key, ["wait_dependencies", "pending", "enqueued"]],
    )
    return env.cr.fetchone()


def hurry(registry, identity_key, eta=None):
    """Make a postponed job due now, or by ``eta`` at the latest, in a transaction of its
    own (the runner and the job write that row too). Its trigger notifies the runner.
    Best effort: a job that changes meanwhile keeps its eta."""
    try:
        with registry.cursor() as cr:
            cr.execute(
                """UPDATE queue_job SET eta = CASE WHEN %s::timestamp IS NULL THEN NULL
                                                  ELSE LEAST(eta, %s::timestamp) END
                    WHERE identity_key = %s AND state = 'pending' AND eta IS NOT NULL
                      AND (%s::timestamp IS NULL OR eta > %s::timestamp)""",
                [eta, eta, identity_key, eta, eta],
            )
    except psycopg2.Error as exc:
        _logger.info("job %s not hurried: %s", identity_key, exc)


def no_live_job(uuid_column):
    """SQL condition: no live job has the uuid held in ``uuid_column`` (an SQL object)."""
    return SQL(
        "NOT EXISTS (SELECT 1 FROM queue_job j WHERE j.uuid = %s AND j.state = ANY(%s))",
        uuid_column, list(LIVE_STATES),
    )


def ensure_channels(env, wanted):
    """A queue.job.channel record for each ``{complete name: parent complete name}``.

    queue_job's autovacuum deletes done jobs channel record by channel record: without
    one, the done jobs of a channel would be kept forever. Channels are queue_job's
    technical records, writable by its managers only; whoever creates a backend gets
    its channels, hence sudo()."""
    Channel = env["queue.job.channel"].sudo()
    names = set(wanted) | set(wanted.values())
    existing = {c.complete_name: c for c in Channel.search([("complete_name", "in", list(names))])}
    Channel.create([
        {"name": name.rsplit(".", 1)[1], "parent_id": existing[parent].id}
        for name, parent in wanted.items() if name not in existing and parent in existing
    ])


@contextlib.contextmanager
def enqueuing_of(env, logger, what):
    """Enqueue in a savepoint: an access or user error (e.g. a backend's integration user
    without a right) is logged on ``logger`` and skipped, so that a cron enqueuing for
    many backends is not stopped by one misconfigured backend."""
    try:
        with env.cr.savepoint():
            yield
    except (AccessError, UserError) as exc:
        logger.warning("%s not enqueued: %s", what, exc)
