# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Facts that only an entry point may write.

The context of a request is chosen by the RPC caller, so no context key may grant a
right or skip a check. Entry points (the milestone batch, a manager's correction, the
invoice release, the override wizard) open a :func:`trusted` block instead: a context
variable of the running thread, out of any caller's reach. Guarded writes outside such
a block are refused to everyone below Settings administrator.
"""

import contextlib
import contextvars
import functools
import logging

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError

_logger = logging.getLogger(__name__)
_TRUSTED = contextvars.ContextVar("logistics_trusted", default=frozenset())

# Scopes of trusted blocks.
DERIVATION = "derivation"  # a shipment's facts, written from its milestones
CORRECTION = "correction"  # milestones voided or corrected by a manager's wizard
RELEASE = "release"  # a held invoice posted by the release path
OVERRIDE = "override"  # a held invoice posted by the manager override wizard
COMPENSATION = "compensation"  # a released invoice flagged: its proof was withdrawn
FULFILLMENT = "fulfillment"  # what a warehouse reported on an order and its deliveries


@contextlib.contextmanager
def trusted(*scopes):
    """Run the block as the entry point of ``scopes``."""
    token = _TRUSTED.set(_TRUSTED.get() | frozenset(scopes))
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def is_trusted(scope):
    return scope in _TRUSTED.get()


def allowed(env, scope):
    """Whether a guarded change may run: inside a trusted block of ``scope``, or by a
    Settings administrator (or the superuser)."""
    return is_trusted(scope) or env.su or env.user.has_group("base.group_system")


def check(env, scope, written, guarded, what, records=None):
    """Refuse a write of ``guarded`` fields among ``written`` outside a trusted block of
    ``scope``, unless the user is a Settings administrator (or the superuser); the
    refusal is logged with the ``records`` it targeted (see :func:`note_refusal`)."""
    touched = sorted(set(written) & set(guarded))
    if not touched or allowed(env, scope):
        return
    detail = env._("%(what)s: %(fields)s can only change through its entry point.",
                   what=what, fields=", ".join(touched))
    note_refusal(env, records, detail)
    raise AccessError(detail)


def require(env, scope, detail, records=None):
    """Refuse the whole operation outside a trusted block of ``scope`` (as :func:`check`
    does for some fields)."""
    if not allowed(env, scope):
        note_refusal(env, records, detail)
        raise AccessError(detail)


def note_refusal(env, records, detail):
    """Say who tried what: in the server log, and in the chatter of the ``records``
    targeted once the refused transaction has rolled back (the note would roll back
    with it otherwise)."""
    _logger.warning("refused to %s (uid %s) on %s %s: %s", env.user.login, env.uid,
                    records._name if records is not None else "-",
                    records.ids if records is not None else [], detail)
    if records is not None and records.ids:
        env.cr.postrollback.add(functools.partial(
            _post_refusal, env.registry, env.uid, records._name, tuple(records.ids), detail))


def _post_refusal(registry, uid, model, ids, detail):
    # Runs after the rollback, in a cursor of its own: the author may not post on the
    # record, and the note is the system's account of the refused attempt.
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            targets = _chatter_of(env[model].browse(ids).exists())
            user = env["res.users"].browse(uid)
            body = env._("Refused to %(user)s: %(detail)s", user=user.name, detail=detail)
            for record in targets or ():
                record.message_post(body=body, author_id=user.partner_id.id,
                                    message_type="notification",
                                    subtype_xmlid="mail.mt_note")
    except Exception:  # the refusal stands and is logged; never mask it with this one
        _logger.exception("could not note the refusal on %s %s", model, ids)


def _chatter_of(records):
    """Where a refusal on ``records`` is told: their own chatter, else their shipment's
    (a milestone, a duplicate report)."""
    if hasattr(records, "message_post"):
        return records
    if "shipment_id" in records._fields:
        return records.shipment_id
    return None
