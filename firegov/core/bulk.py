"""Writing many rows without the ORM's per-object work, for the hot ingestion path.

``QuerySet.bulk_update`` builds a ``CASE WHEN`` expression per row and field and resolves each one;
``bulk_create`` compiles every object, and the driver then quotes every value into the statement.
At thousands of rows a second that is most of the time spent. Here all rows travel as one JSON
parameter (``json.dumps`` runs in C) that the database unpacks (``jsonb_array_elements`` on
PostgreSQL, ``json_each`` on SQLite) into one ``UPDATE … FROM`` or ``INSERT … SELECT``; events go by
``COPY`` on PostgreSQL. Values are first prepared by the field's ``get_db_prep_save`` wherever the
ORM would change them (dates and decimals on SQLite, JSON), so they are stored as the ORM stores
them. No signals are sent and nothing is audited: use these only for machine-written state
(readings, "last seen"), never for what people change.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from django.db import connections, router
from django.db.models import Field, Model
from django.utils import timezone

# Values of these fields go to either database as they are (None included).
PLAIN = {"AutoField", "BigAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
         "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField", "CharField",
         "TextField", "BooleanField", "ForeignKey", "OneToOneField"}
PLAIN_ON_POSTGRESQL = PLAIN | {"DecimalField", "DateField"}  # datetimes: see _aware


def _fields(model: type[Model], names: Sequence[str]) -> list[Field]:
    return [model._meta.get_field(name) for name in names]


def _aware(value, _connection):
    """A naive datetime is taken in the current time zone, as the ORM takes it."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _prep(fields: list[Field], connection, rows: Iterable[Sequence]) -> list[tuple]:
    postgresql = connection.vendor == "postgresql"
    plain = PLAIN_ON_POSTGRESQL if postgresql else PLAIN
    preps = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "JSONField":  # its text, which every path here (JSON, COPY, SQLite) takes
            preps.append(lambda value, _connection, encoder=f.encoder: json.dumps(value, cls=encoder))
        elif kind == "DateTimeField" and postgresql:
            preps.append(_aware)
        elif kind in plain:
            preps.append(None)
        else:
            preps.append(f.get_db_prep_save)
    if not any(preps):
        return [tuple(row) for row in rows]
    return [tuple(value if prep is None or value is None else prep(value, connection)
                  for prep, value in zip(preps, row, strict=True)) for row in rows]


def _column_type(field: Field, connection) -> str:
    # Text as text: a cast to varchar(n) would cut a value that is too long, where the column refuses it.
    if field.get_internal_type() in ("CharField", "TextField"):
        return "text"
    return field.rel_db_type(connection) if field.primary_key else field.db_type(connection)


def rows_from_json(fields: Sequence[Field], connection) -> str:
    """``SELECT`` of one row per element of the JSON array parameter ``%s`` (each element a list of
    the ``fields``' values, in order), typed and named as the columns."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        columns = ", ".join(f"(e->>{i})::{_column_type(f, connection)} AS {quote(f.column)}"
                            for i, f in enumerate(fields))
        return f"SELECT {columns} FROM jsonb_array_elements(%s::jsonb) AS e"
    columns = ", ".join(f"json_extract(value, '$[{i}]') AS {quote(f.column)}" for i, f in enumerate(fields))
    return f"SELECT {columns} FROM json_each(%s)"


def as_json(rows: Iterable[Sequence]) -> str:
    return json.dumps(rows if isinstance(rows, list) else list(rows), default=str, ensure_ascii=False)


def update_rows(model: type[Model], names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """``UPDATE … SET name = value, … WHERE pk = …`` for each row ``(pk, value, …)`` of ``names``."""
    rows = list(rows)
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    fields = _fields(model, [model._meta.pk.name, *names])
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(fields[0].column)
    # In key order: two writers updating the same rows lock them in the same order (no deadlock).
    params = sorted(_prep(fields, connection, rows), key=lambda row: row[0])
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 33):  # no UPDATE … FROM
            sets = ", ".join(f"{quote(f.column)} = %s" for f in fields[1:])
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", [(*row[1:], row[0]) for row in params])
            return
        sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields[1:])
        cursor.execute(f"UPDATE {table} SET {sets} FROM ({rows_from_json(fields, connection)}) AS v "
                       f"WHERE {table}.{pk} = v.{pk}", [as_json(params)])


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
    rows = _prep(fields, connection, ([getattr(o, f.attname) for f in fields] for o in objects))
    where = " WHERE true" if connection.vendor == "sqlite" else ""  # SQLite's parser needs it before ON
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {rows_from_json(fields, connection)}{where} "
                       f"ON CONFLICT DO NOTHING", [as_json(rows)])


def insert_rows(model: type[Model], names: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert rows of ``names`` (no primary keys returned); ``COPY`` on PostgreSQL. Returns the count."""
    rows = list(rows)
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    fields = _fields(model, names)
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    params = _prep(fields, connection, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})",
                               params)
    return len(params)
