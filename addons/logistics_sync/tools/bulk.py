# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Bulk SQL writes for the inbound hot path: one statement per batch instead of one
ORM call per record.

The contract: a model opts in with the class attribute ``_logistics_bulk_sql = True``
(see :func:`enabled`); an extension that must see every ``create`` / ``write`` of
that model sets it to ``False`` and the callers take the ORM path instead. Nothing is
guessed from the class hierarchy.

What the fast path skips, and who does it instead:

* ``create`` / ``write`` overrides of extensions (hence the opt-out above);
* field conversion and defaults: callers pass plain column values and fill the
  defaults they rely on;
* stored computed and related fields: callers write them as columns;
* access: callers call ``check_access`` first (record rules included);
* Python constraints (``@api.constrains``); SQL constraints still apply;
* chatter tracking and followers: callers that need tracking take the ORM path;
* ``modified`` triggers: callers call ``modified`` for fields with dependents;
* the cache: :func:`update_rows` invalidates what it wrote, callers of
  :func:`insert_rows` invalidate the inverse one2many fields.

Values travel as one array per column (``unnest``): psycopg2 adapts a list in C.
"""

from odoo import fields
from odoo.tools import SQL, split_every

CHUNK = 5000


def enabled(model):
    """Whether ``model`` opted in to bulk SQL writes: only models that declare
    ``_logistics_bulk_sql`` are ever passed here."""
    return model._logistics_bulk_sql


def can_insert(model, vals_list, allowed):
    """Bulk SQL inserts only for a model that opted in, and only when every value is one
    of the ``allowed`` plain columns (an extension's field goes through the ORM)."""
    allowed = set(allowed)
    return enabled(model) and all(set(v) <= allowed for v in vals_list)


def _arrays(model, columns, rows):
    """``unnest(%s::type[], ...)`` over the columns of ``rows`` (``False`` -> NULL)."""
    return SQL("unnest(%s)", SQL(", ").join(
        SQL("%s::%s[]", [None if v is False else v for v in values],
            SQL(model._fields[column].column_type[1]))
        for column, values in zip(columns, zip(*rows, strict=True), strict=True)
    ))


def insert_rows(model, columns, rows):
    """INSERT ``rows`` (tuples in the order of ``columns``) into ``model``'s table, in
    chunks, with the log columns; returns the new records in the order of ``rows``
    (ids are drawn from the sequence first, so the order never depends on RETURNING)."""
    if not rows:
        return model.browse()
    now, uid = fields.Datetime.now(), model.env.uid
    columns = ("id", *columns, "create_uid", "write_uid", "create_date", "write_date")
    model.env.cr.execute(SQL(
        "SELECT nextval(%s) FROM generate_series(1, %s)",
        f"{model._table}_id_seq", len(rows),
    ))
    ids = [r[0] for r in model.env.cr.fetchall()]
    full = [(id_, *row, uid, uid, now, now) for id_, row in zip(ids, rows, strict=True)]
    for chunk in split_every(CHUNK, full):
        model.env.cr.execute(SQL(
            "INSERT INTO %s (%s) SELECT * FROM %s",
            SQL.identifier(model._table),
            SQL(", ").join(SQL.identifier(c) for c in columns),
            _arrays(model, columns, chunk),
        ))
    return model.browse(ids)


def update_rows(model, columns, rows, log=True):
    """UPDATE ``model``'s table from ``rows`` = ``(id, *values in the order of columns)``
    with one statement per chunk (``False`` is stored as NULL); with ``log``, also
    write_uid / write_date. Invalidates the cache of what it wrote."""
    if not rows:
        return
    log_sql = SQL(", write_uid = %s, write_date = now() at time zone 'utc'",
                  model.env.uid) if log else SQL()
    for chunk in split_every(CHUNK, rows):
        model.env.cr.execute(SQL(
            "UPDATE %s t SET %s%s FROM %s AS v(id, %s) WHERE t.id = v.id",
            SQL.identifier(model._table),
            SQL(", ").join(SQL("%s = v.%s", SQL.identifier(c), SQL.identifier(c)) for c in columns),
            log_sql,
            _arrays(model, ("id", *columns), chunk),
            SQL(", ").join(SQL.identifier(c) for c in columns),
        ))
    model.browse([row[0] for row in rows]).invalidate_recordset(
        [*columns, *(("write_uid", "write_date") if log else ())])
