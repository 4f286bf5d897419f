"""Bulk SQL writes for the inbound hot path (one statement per batch instead of one ORM
call per record). Callers keep the ORM's guarantees themselves: access checks before,
pending ORM writes flushed, the cache of the written fields invalidated (done here)."""

from odoo import fields
from odoo.tools import SQL, split_every


def can_insert(model, cls, vals_list, allowed):
    """Bulk SQL inserts only where no extension overrides ``create`` and every value
    is one of the ``allowed`` plain columns: nothing customised is bypassed."""
    return type(model).create is cls.create and all(set(v) <= set(allowed) for v in vals_list)


def insert_rows(model, columns, rows):
    """INSERT ``rows`` (tuples in the order of ``columns``) into ``model``'s table, in
    chunks, with the log columns; returns the new records in the order of ``rows``."""
    now, uid = fields.Datetime.now(), model.env.uid
    columns = (*columns, "create_uid", "write_uid", "create_date", "write_date")
    ids = []
    for chunk in split_every(1000, rows):
        model.env.cr.execute(SQL(
            "INSERT INTO %s (%s) VALUES %s RETURNING id",
            SQL.identifier(model._table),
            SQL(", ").join(SQL.identifier(c) for c in columns),
            SQL(", ").join((*row, uid, uid, now, now) for row in chunk),
        ))
        ids.extend(r[0] for r in model.env.cr.fetchall())
    return model.browse(ids)


def update_rows(model, columns, rows, log=True):
    """UPDATE ``model``'s table from ``rows`` = ``(id, *values in the order of columns)``
    with one statement per 5,000 rows (``False`` is stored as NULL); with ``log``, also
    write_uid / write_date. Invalidates the cache of what it wrote."""
    if not rows:
        return
    log_sql = SQL(", write_uid = %s, write_date = now() at time zone 'utc'",
                  model.env.uid) if log else SQL()
    for chunk in split_every(5000, rows):
        model.env.cr.execute(SQL(
            "UPDATE %s t SET %s%s FROM (VALUES %s) AS v(id, %s) WHERE t.id = v.id",
            SQL.identifier(model._table),
            SQL(", ").join(
                SQL("%s = v.%s::%s", SQL.identifier(c), SQL.identifier(c),
                    SQL(model._fields[c].column_type[1])) for c in columns),
            log_sql,
            SQL(", ").join(tuple(None if v is False else v for v in row) for row in chunk),
            SQL(", ").join(SQL.identifier(c) for c in columns),
        ))
    model.browse([row[0] for row in rows]).invalidate_recordset(
        [*columns, *(("write_uid", "write_date") if log else ())])
