"""A row condition compiled to SQL once per shape, its values bound per query.

The visibility rules (``StatusQuerySet.visible_to``) are a dozen conditions, joins and
correlated subqueries. Building them with the ORM and compiling them to SQL cost about
8 ms of CPU on every read that applies them (``bench/profile_api.py``), more than the
database's own work, and the SQL is the same every time but for a few values: the
viewer's id, the creators they are a member of, the clock.

:class:`CompiledCondition` builds the condition's query once per *shape* (whatever
changes the SQL's text: the database, whether there is a viewer, how many creators),
with sentinel values where the viewer's would go, compiles it, and keeps the SQL. A
query using the condition gets it as ``EXISTS (<that SQL>)`` over the row's own key,
with the sentinels' places bound to the real values. The rules' query is still the
ORM's, written once, in one place; only its compiled text is reused. A shape whose SQL
does not hold every sentinel it was built with (a change in how Django compiles a
condition) is refused when it is built, never run with a wrong value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connections
from django.db.models import BooleanField, Expression, QuerySet
from django.utils.module_loading import import_string
from psycopg.sql import Literal

# Values no row or setting ever holds (ids are positive), standing in for the bound ones.
KEY_SENTINEL = -7_340_033
VIEWER_SENTINEL = -7_340_039
FIRST_MEMBER_SENTINEL = -7_340_100
NOW_SENTINEL = dt.datetime(1901, 2, 3, 4, 5, 6, 789_123, tzinfo=dt.UTC)
# Ends the condition's subquery on PostgreSQL: a subquery with an OFFSET is planned as it
# is, on its own, once. Without it PostgreSQL plans an EXISTS twice where it cannot make it a
# join (under an OR: a notification's status), once per row and once hashed, to choose
# between them, and where it can (a timeline's own rows) it folds the rules' joins into the
# outer query's join search. Either way planning cost more than running the query: a
# notifications page's ids took 5.4 ms to plan with it folded, 2.7 ms kept apart, for the
# same plan (bench/plans.py).
KEPT_APART = " OFFSET 0"
# The template's table aliases: distinct from Django's own (a table's name, T<n>, U<n>...),
# so the one reference to the outer row resolves outside the template. A condition used
# inside another's template takes a prefix of its own (``alias_prefix``), for the same
# reason.
ALIAS_PREFIX = "AGV"


@dataclass(frozen=True)
class Shape:
    """What changes the compiled SQL's text: the database and the number of values."""

    using: str
    has_viewer: bool
    members: int


@dataclass(frozen=True)
class Template:
    """The compiled condition: its SQL split around the row's key, and each parameter's
    origin (a constant, or the name of a value bound per query)."""

    before: str
    after: str
    params_before: tuple[Any, ...]
    params_after: tuple[Any, ...]


@dataclass(frozen=True)
class _Bound:
    """A parameter bound per query: the viewer, the ``index``-th creator, or the clock."""

    name: str
    index: int = 0


def _bound_by(param: Any, members: int, now_value: Any) -> _Bound | None:
    """Which value bound per query a compiled parameter stands for, if any."""
    if isinstance(param, int) and not isinstance(param, bool):
        if param == VIEWER_SENTINEL:
            return _Bound("viewer")
        if FIRST_MEMBER_SENTINEL - members < param <= FIRST_MEMBER_SENTINEL:
            return _Bound("member", FIRST_MEMBER_SENTINEL - param)
    if param == now_value and type(param) is type(now_value):
        return _Bound("now")
    return None


Build = Callable[[int | None, Sequence[int], dt.datetime], QuerySet]


class CompiledCondition:
    """A condition on rows of one model, compiled once per :class:`Shape`.

    ``build(viewer_id, creators, now)`` returns a queryset of that model filtered by the
    condition; it must use its arguments only as values (never to choose which rules
    apply, beyond whether there is a viewer and how many creators). ``path`` is where the
    condition is importable from (``"package.module.NAME"``): a query using it is pickled
    with that reference, as Django pickles querysets (the compiled templates stay behind).
    ``key`` is the field of that model the outer row's key is matched against: its
    primary key by default, or another (a mute by its ``target_id``).
    """

    def __init__(
        self, build: Build, *, path: str, key: str = "pk", alias_prefix: str = ALIAS_PREFIX
    ) -> None:
        self.build = build
        self.path = path
        self.key = key
        self.alias_prefix = alias_prefix
        self.template = lru_cache(maxsize=256)(self._compile)

    def __reduce__(self):
        return (import_string, (self.path,))

    def _compile(self, shape: Shape) -> Template:
        viewer_id = VIEWER_SENTINEL if shape.has_viewer else None
        creators = [FIRST_MEMBER_SENTINEL - n for n in range(shape.members)]
        queryset = self.build(viewer_id, creators, NOW_SENTINEL).filter(**{self.key: KEY_SENTINEL})
        query = queryset.query.exists(limit=False)
        query.alias_prefix = self.alias_prefix
        query.change_aliases(
            {alias: f"{self.alias_prefix}{n}" for n, alias in enumerate(query.alias_map)}
        )
        connection = connections[shape.using]
        sql, params = query.get_compiler(connection=connection).as_sql()
        now_value = connection.ops.adapt_datetimefield_value(NOW_SENTINEL)
        pieces = sql.split("%s")
        if len(pieces) != len(params) + 1:
            raise ValueError(f"cannot split the compiled condition around its parameters: {sql}")
        origins = [_bound_by(param, shape.members, now_value) or param for param in params]
        bound = {origin for origin in origins if isinstance(origin, _Bound)}
        expected = {
            _Bound("now"),
            *([_Bound("viewer")] if shape.has_viewer else []),
            *(_Bound("member", n) for n in range(shape.members)),
        }
        keys = [n for n, param in enumerate(params) if param == KEY_SENTINEL]
        if len(keys) != 1 or bound != expected:
            raise ValueError(f"the compiled condition does not hold each value it binds: {sql}")
        (key,) = keys
        postgresql = connection.vendor == "postgresql"

        def text(start: int, stop: int) -> tuple[str, tuple[Any, ...]]:
            """The SQL from parameter ``start`` to ``stop`` and the parameters it keeps: on
            PostgreSQL the constants are written into the text (:func:`written_in`)."""
            sql, kept = [pieces[start]], []
            for n in range(start, stop):
                if postgresql and not isinstance(origins[n], _Bound):
                    sql.append(written_in(origins[n]))
                else:
                    sql.append("%s")
                    kept.append(origins[n])
                sql.append(pieces[n + 1])
            return "".join(sql), tuple(kept)

        before, params_before = text(0, key)
        after, params_after = text(key + 1, len(params))
        if postgresql:
            after += KEPT_APART
        return Template(before, after, params_before, params_after)


def written_in(value: Any) -> str:
    """A constant of the rules (a visibility, a standing, a moderation state) as an SQL
    literal, in a text still formatted with parameters.

    On PostgreSQL a condition's constants are written into its text, and only the values
    bound per query are sent as parameters. A statement planned without its parameters (a
    prepared statement's generic plan) then still plans with the rules' constants in hand.
    Sent as parameters, they left PostgreSQL guessing how many rows each rule keeps: a
    notifications page's generic plan took 800 ms to 2 s; with them written in, 0.2 ms,
    against 1.7 ms planned with the values each time (bench/plans.py).
    """
    return Literal(value).as_string(None).replace("%", "%%")


class Holds(Expression):
    """``condition`` holds for the row whose key is ``key`` (an expression of the outer
    query: ``F("pk")``, ``OuterRef(...)``), for ``viewer_id``, ``creators`` and ``now``."""

    conditional = True

    def __init__(
        self,
        condition: CompiledCondition,
        key,
        *,
        viewer_id: int | None,
        creators: Sequence[int],
        now: dt.datetime,
    ) -> None:
        super().__init__(output_field=BooleanField())
        self.condition = condition
        self.key = key
        self.viewer_id = viewer_id
        self.creators = tuple(creators)
        self.now = now

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, viewer_id={self.viewer_id})"

    def get_source_expressions(self):
        return [self.key]

    def set_source_expressions(self, exprs):
        (self.key,) = exprs

    def as_sql(self, compiler, connection):
        shape = Shape(connection.alias, self.viewer_id is not None, len(self.creators))
        template = self.condition.template(shape)
        key_sql, key_params = compiler.compile(self.key)
        now = connection.ops.adapt_datetimefield_value(self.now)
        values = {"viewer": [self.viewer_id], "member": self.creators, "now": [now]}

        def bind(origins):
            return [
                values[origin.name][origin.index] if isinstance(origin, _Bound) else origin
                for origin in origins
            ]

        return (
            f"EXISTS({template.before}{key_sql}{template.after})",
            (*bind(template.params_before), *key_params, *bind(template.params_after)),
        )
