"""Rows by their keys, from SQL compiled once per shape.

A page is read in two queries (:func:`core.pagination.paginate_in_two`): its keys by the
rules, then the rows of those keys with their relations. The second query has the same
shape on every request, yet Django compiles it to SQL every time, and with its relations
(``select_related``) that costs about as much CPU as PostgreSQL takes to answer it: 1.2 ms
for 24 statuses with their authors and reblogged originals.

:func:`rows_by_keys` compiles a shape once per process and database, with the
keys as one array parameter (``pk = ANY(%s)``, so the text is the same whatever their
number), and builds each row's model instances as Django's own ``ModelIterable`` does:
the same converters, ``from_db`` and related populators. A shape must not depend on the
request: its SQL is reused as compiled, with only the keys changed. On PostgreSQL the
statement is also prepared, once per connection (:mod:`core.postgres`): its plan cannot
depend on the keys, and planning a page's joins cost PostgreSQL 1.2 ms, more than running
them. On a database without arrays (SQLite) the rows are read the ordinary way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import get_related_populators

from core.postgres import PREPARED

# The model of each shape.
_models: dict[str, Any] = {}


class _Keys(list):
    """The placeholder for the keys in a compiled shape's parameters (found by identity)."""


@dataclass(frozen=True)
class _Shape:
    sql: str
    params: tuple
    keys_at: int  # where the keys go in ``params``
    compiler: Any
    init_list: list[str]
    model_fields: slice
    related_populators: list
    annotation_col_map: dict[str, int]
    converters: dict  # the result converters of the columns, by position


# Each shape compiled, by its name and database alias, shared by every thread. Under ASGI
# a request's synchronous code runs on any of its process's request threads (core.asgi),
# each with connection objects of its own: a cache per thread, or per connection object,
# compiled every shape again for each. What a compiled shape keeps of the connection it was
# compiled on (its compiler's result converters, its operations) reads no connection state.
_compiled: dict[tuple[str, str], _Shape] = {}


def _key_field(model, key: str):
    return model._meta.pk if key == "pk" else model._meta.get_field(key)


def _compile(rows: QuerySet, key: str, db: str) -> _Shape:
    model = rows.model
    qn = connections[db].ops.quote_name
    column = f"{qn(model._meta.db_table)}.{qn(_key_field(model, key).column)}"
    placeholder = _Keys()
    # Only the model's own table and key column, quoted, are formatted in; the keys are a
    # parameter.
    keys_match = RawSQL(f"{column} = ANY(%s)", (placeholder,), output_field=BooleanField())  # noqa: S611
    query = rows.filter(keys_match).query
    compiler = query.get_compiler(using=db)
    sql, params = compiler.as_sql()  # fills compiler.select, klass_info, annotation_col_map
    keys_at = next(n for n, param in enumerate(params) if param is placeholder)
    klass_info = compiler.klass_info
    fields = klass_info["select_fields"]
    model_fields = slice(fields[0], fields[-1] + 1)
    return _Shape(
        sql=PREPARED + sql,  # its plan cannot depend on the keys: prepared (core.postgres)
        params=tuple(params),
        keys_at=keys_at,
        compiler=compiler,
        init_list=[f[0].target.attname for f in compiler.select[model_fields]],
        model_fields=model_fields,
        # Django 5.2's signature (django-stubs follow a later Django's).
        related_populators=get_related_populators(klass_info, compiler.select, db),  # type: ignore[call-arg]
        annotation_col_map=compiler.annotation_col_map or {},
        # Found once, not again for every read as results_iter finds them: 0.2 to 0.4 ms of
        # CPU a public timeline page (five shapes read), measured in process.
        converters=compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]]),
    )


@dataclass(frozen=True)
class RowShape:
    """A queryset of rows read by key, named so its SQL is compiled once (:func:`rows_by_keys`).

    ``build`` must make the same query on every call: relations and annotations, never a
    request's values (the SQL is reused as compiled, with only the keys changed), and no
    ``prefetch_related`` (refused). ``key`` is the field the keys are matched against: the
    primary key by default, or another column of the model's own table, unique (a token
    by its checksum) or not (every mention of some statuses, by their status).
    """

    name: str
    build: Callable[[], QuerySet]
    key: str = "pk"


def rows_by_keys(shape: RowShape, keys: Sequence[Any]) -> list[Any]:
    """The rows of ``shape`` whose key (its primary key, or ``shape.key``) is in ``keys``, in
    no particular order.

    The shape's query is built and compiled the first time the process reads it from a
    database, and its SQL reused from then on, by every thread. The database is chosen on every call
    (``DATABASE_REPLICA_URLS``' router: a replica, or the primary after the account's own
    write).
    """
    if not keys:
        return []
    model = _models.get(shape.name)
    if model is None:
        template = shape.build()
        if getattr(template, "_prefetch_related_lookups", ()):
            raise ValueError("a RowShape cannot prefetch: its rows are built from one query")
        model = _models[shape.name] = template.model
    db = router.db_for_read(model)
    connection = connections[db]
    if connection.vendor != "postgresql":
        return list(shape.build().using(db).filter(**{f"{shape.key}__in": keys}))
    compiled = _compiled.get((shape.name, db))
    if compiled is None:
        compiled = _compiled[(shape.name, db)] = _compile(shape.build().using(db), shape.key, db)
    params = list(compiled.params)
    params[compiled.keys_at] = list(keys)
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        fetched = cursor.fetchall()
    if compiled.converters:
        fetched = compiled.compiler.apply_converters(fetched, compiled.converters)
    found = []
    for row in fetched:
        obj = model.from_db(db, compiled.init_list, row[compiled.model_fields])
        for populator in compiled.related_populators:
            populator.populate(row, obj)
        for name, position in compiled.annotation_col_map.items():
            setattr(obj, name, row[position])
        found.append(obj)
    return found


def any_of(name: str, keys: Sequence[Any], *, connection) -> tuple[str, dict[str, Any]]:
    """A condition on a column, for hand-written SQL with named parameters: ``column <sql>``
    matches any of ``keys``. Returns ``(sql, params)``.

    On PostgreSQL it is ``= ANY(%(name)s)`` with the keys as one array. The statement's
    text is then the same whatever their number, so psycopg parses it once and caches it
    (it parses anew, every time, a statement of over 50 parameters: 0.5 ms for 160). A
    statement may name the array many times, and it is sent once. Elsewhere (SQLite) it is
    an ``IN`` list of one parameter per key.
    """
    if connection.vendor == "postgresql":
        return f"= ANY(%({name})s)", {name: list(keys)}
    names = [f"{name}_{n}" for n in range(len(keys))]
    return "IN (" + ", ".join(f"%({n})s" for n in names) + ")", dict(zip(names, keys, strict=True))
