"""Writing many rows without the ORM's per-object work, for the hot ingestion path.

``QuerySet.bulk_update`` builds a ``CASE WHEN`` expression per row and field and resolves each one;
``bulk_create`` compiles every object. At thousands of rows a second that is most of the time spent.
These helpers send one statement for all rows instead: on PostgreSQL an ``UPDATE … FROM unnest(…)``
with one array per column, and ``COPY`` for inserts; on SQLite ``executemany``, which runs in C.
Values the driver cannot take as they are (dates on SQLite, JSON) go through the field's
``get_db_prep_save``, so they are stored exactly as the ORM would store them. No signals are sent
and nothing is audited: use them only for machine-written state (readings, "last seen"), never for
what people change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connections, router

try:
    import psycopg
except ImportError:  # SQLite only
    psycopg = None
from django.db.models import Model

# Values of these fields go to either driver as they are (None included).
PLAIN = {"AutoField", "BigAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
         "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField", "CharField",
         "TextField", "BooleanField", "ForeignKey", "OneToOneField"}
PLAIN_ON_POSTGRESQL = PLAIN | {"DateTimeField", "DecimalField", "DateField"}


def _fields(model: type[Model], names: Sequence[str]):
    return [model._meta.get_field(name) for name in names]


def _json(field, connection):
    encoder = field.encoder

    def dump(value, _connection):  # COPY takes JSON as its text; the ORM's Jsonb wrapper costs more
        return json.dumps(value, cls=encoder)
    return dump


def _prep(fields, connection, rows: Iterable[Sequence], copy: bool = False) -> list[tuple]:
    postgresql = connection.vendor == "postgresql"
    plain = PLAIN_ON_POSTGRESQL if postgresql else PLAIN
    preps = [None if f.get_internal_type() in plain
             else _json(f, connection) if copy and f.get_internal_type() == "JSONField"
             else f.get_db_prep_save for f in fields]
    if not any(preps):
        return [tuple(row) for row in rows]
    return [tuple(value if prep is None or value is None else prep(value, connection)
                  for prep, value in zip(preps, row, strict=True)) for row in rows]


def array_casts(fields, connection) -> str:
    """``%s::type[], …``: one array parameter per field (PostgreSQL)."""
    return ", ".join(f"%s::{f.rel_db_type(connection) if f.primary_key else f.db_type(connection)}[]"
                     for f in fields)


def execute_arrays(connection, sql: str, arrays: list[list]) -> list[tuple]:
    """Run ``sql`` with array parameters bound on the server (PostgreSQL). Django's cursors quote every
    parameter into the statement on the client, which for arrays of thousands of values costs more
    than the statement. Returns the rows, if any."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, arrays)
        return cursor.fetchall() if cursor.description else []


def update_rows(model: type[Model], names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """``UPDATE … SET name = value, … WHERE pk = …`` for each row ``(pk, value, …)`` of ``names``."""
    rows = list(rows)
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    fields = _fields(model, [model._meta.pk.name, *names])
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(fields[0].column)
    params = _prep(fields, connection, rows)
    if connection.vendor == "postgresql" and all(f.get_internal_type() in PLAIN_ON_POSTGRESQL for f in fields):
        columns = ", ".join(quote(f.column) for f in fields)
        sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields[1:])
        execute_arrays(connection, f"UPDATE {table} SET {sets} FROM unnest({array_casts(fields, connection)}) "
                                   f"AS v({columns}) WHERE {table}.{pk} = v.{pk}",
                       [list(column) for column in zip(*params, strict=True)])
        return
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields[1:])
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", [(*row[1:], row[0]) for row in params])


def insert_rows(model: type[Model], names: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert rows of ``names`` (no primary keys returned); ``COPY`` on PostgreSQL. Returns the count."""
    rows = list(rows)
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    fields = _fields(model, names)
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    params = _prep(fields, connection, rows, copy=connection.vendor == "postgresql")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})",
                               params)
    return len(params)


def insert_new(objects: Sequence[Model]) -> None:
    """Insert model instances, skipping any that would break a unique constraint (another writer made
    them first): every concrete field but the primary key, as the instance holds it."""
    if not objects:
        return
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    params = _prep(fields, connection, ([getattr(o, f.attname) for f in fields] for o in objects))
    if connection.vendor == "postgresql" and all(f.get_internal_type() in PLAIN_ON_POSTGRESQL for f in fields):
        execute_arrays(connection, f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({array_casts(fields, connection)}) "
                                   f"ON CONFLICT DO NOTHING", [list(column) for column in zip(*params, strict=True)])
        return
    conflict = "ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) {conflict}",
                           params)
