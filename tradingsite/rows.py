"""Hot-path reads without the ORM's per-call query compilation.

On this project's 2-core machine the ORM spends ~1 ms of CPU compiling and materialising even a
one-row query, several ms for a select_related with subqueries (README "Profile"), and a webhook
and its job make a dozen of them. A `JoinedSelect` writes its SQL once per database vendor from
the models' own metadata, and turns each row into model instances with `Model.from_db` after
the converters the ORM itself would apply (decimals and datetimes on SQLite, JSON everywhere),
so what comes back is what the equivalent queryset would have returned.
"""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections

from tradingsite import write_behind
from tradingsite.statements import statement_cursor


def database():
    """This thread's wrapper of the default database itself. `django.db.connection` is a proxy
    that looks the wrapper up again in an asgiref Local on every attribute read, and a field's
    get_db_prep_save() or a row's converters read several per value: an Order row's 29 values
    took ~107 µs of CPU prepared through the proxy against ~38 µs through the wrapper. Resolved
    per call, never kept: each thread (web) and process (worker) has its own."""
    return connections[DEFAULT_DB_ALIAS]


@dataclass(frozen=True)
class Part:
    """One joined table: its alias in the SQL, its model, and `fields` when only those columns
    are wanted (as plain values under "alias.field"); without `fields`, a whole instance."""

    alias: str
    model: type
    fields: tuple[str, ...] = ()


class JoinedSelect:
    """SELECT <every part's columns> FROM `tables` WHERE `where`. In `tables` and `where`, {alias}
    stands for that part's quoted table name; values are always %s parameters."""

    def __init__(self, *parts: Part, tables: str, where: str, extra: tuple[str, ...] = ()):
        """`extra`: SQL expressions (our own text, never input) selected after the parts' columns,
        their values under "extra" in each row."""
        self.parts, self.tables, self.where, self.extra = parts, tables, where, extra
        self._plans: dict[str, tuple[str, list]] = {}

    def fetch(self, params: list, *, suffix: str = "") -> list[dict]:
        """One dict per row: alias → instance (None where an outer join found no row), and
        "alias.field" → value for the parts that asked for fields only. `suffix` is appended
        to the SQL as is (ORDER BY, or a list of %s placeholders); it must never hold input."""
        sql, plan = self._plan()
        with statement_cursor(params) as cursor:
            cursor.execute(sql + suffix, params)
            rows = cursor.fetchall()
        db = database()
        built = [self._row(row, plan, db) for row in rows]
        if self.extra:
            for row, values in zip(built, rows, strict=True):
                row["extra"] = values[len(values) - len(self.extra) :]
        return built

    def _plan(self) -> tuple[str, list]:
        if connection.vendor not in self._plans:
            quote = connection.ops.quote_name
            columns, plan = [], []
            for part in self.parts:
                meta = part.model._meta
                fields = [meta.get_field(name) for name in part.fields] or list(meta.concrete_fields)
                converted = []
                for field in fields:
                    column = field.get_col(part.alias)
                    converters = connection.ops.get_db_converters(column) + column.get_db_converters(
                        connection
                    )
                    converted.append((field, column, converters))
                    columns.append(f"{part.alias}.{quote(field.column)}")
                plan.append((part, converted))
            columns.extend(self.extra)
            names = {part.alias: quote(part.model._meta.db_table) for part in self.parts}
            # Names from the models and SQL text from our own modules; values stay %s parameters.
            template = f"SELECT {', '.join(columns)} FROM {self.tables} WHERE {self.where}"  # noqa: S608
            sql = template.format(**names)
            self._plans[connection.vendor] = (sql, plan)
        return self._plans[connection.vendor]

    @staticmethod
    def _row(row, plan, db) -> dict:
        values, built = iter(row), {}
        for part, fields in plan:
            converted = [_convert(next(values), column, converters, db) for _, column, converters in fields]
            if part.fields:
                for (field, _, _), value in zip(fields, converted, strict=True):
                    built[f"{part.alias}.{field.name}"] = value
            elif converted[0] is None:  # the primary key: an outer join matched nothing
                built[part.alias] = None
            else:
                names = [field.attname for field, _, _ in fields]
                built[part.alias] = part.model.from_db(db.alias, names, converted)
        return built


def columns_of(model) -> str:
    """The model's concrete columns, quoted and in field order (for a RETURNING or a SELECT)."""
    quote = connection.ops.quote_name
    return ", ".join(quote(field.column) for field in model._meta.concrete_fields)


def instance_from_row(model, row):
    """A model instance from a row of columns_of(model), converted as the ORM would."""
    db = database()
    fields = model._meta.concrete_fields
    converted = []
    for field, value in zip(fields, row, strict=True):
        column = field.get_col(model._meta.db_table)
        converters = db.ops.get_db_converters(column) + column.get_db_converters(db)
        converted.append(_convert(value, column, converters, db))
    return model.from_db(db.alias, [field.attname for field in fields], converted)


def row_insert(instance) -> None:
    """What `instance.save()` does for a new row (auto_now_add stamped, the primary key set), as
    one INSERT … RETURNING without the ORM's compile; same rule as row_update on signals."""
    rows_insert([instance])


def rows_insert(instances: list, batch: int = 500) -> list:
    """bulk_create(instances) as multi-row INSERT … RETURNING statements written by a string
    join: each instance gets its primary key, in order (as bulk_create relies on too)."""
    if not instances:
        return instances
    meta = instances[0]._meta
    quote = connection.ops.quote_name
    for start in range(0, len(instances), batch):
        chunk = instances[start : start + batch]
        sql, values = insert_sql(chunk)
        with statement_cursor(values) as cursor:
            cursor.execute(sql + f" RETURNING {quote(meta.pk.column)}", values)
            keys = [row[0] for row in cursor.fetchall()]
        for instance, key in zip(chunk, keys, strict=True):
            instance.pk = key
            instance._state.adding = False
    return instances


def insert_sql(instances: list, *, with_pk: bool = False) -> tuple[str, list]:
    """`INSERT INTO <table> (<columns>) VALUES (…), (…)` for instances of one model and its
    parameters, as bulk_create would write them (auto_now_add stamped by the fields' own
    pre_save), for a caller that sends it alone or joins several into one statement. `with_pk`
    writes primary keys the caller already holds (e.g. from the table's sequence)."""
    meta, db = instances[0]._meta, database()
    quote = db.ops.quote_name
    fields = [field for field in meta.concrete_fields if with_pk or not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    one = f"({', '.join(['%s'] * len(fields))})"
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), db)
        for instance in instances
        for field in fields
    ]
    # Names from the models' metadata; every value is a parameter.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES " + ", ".join([one] * len(instances))  # noqa: S608
    return sql, values


def _convert(value, column, converters, db):
    if value is None:
        return None
    for converter in converters:
        value = converter(value, column, db)
    return value


def row_update(instance, names: list[str]) -> None:
    """What `instance.save(update_fields=names)` writes (auto_now fields stamped by their own
    pre_save), as one UPDATE whose SQL is a string join instead of a compiled query: the ORM's
    save cost ~15% of an account job's CPU. Only for models with no save signals connected
    (tests/foundation/test_rows.py keeps that true for the models that use it)."""
    meta = instance._meta
    quote = connection.ops.quote_name
    assignments, values = _assignments(instance, names)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    params = [*values, instance.pk]
    with statement_cursor(params) as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount == 0:  # as save(update_fields=...) does
            raise DatabaseError("Save with update_fields did not affect any rows.")


def _assignments(instance, names: list[str]) -> tuple[str, list]:
    """`col = %s, …` and its values for save(update_fields=names) (auto_now stamped by pre_save)."""
    db = database()
    quote = db.ops.quote_name
    fields = [instance._meta.get_field(name) for name in dict.fromkeys(names)]
    values = [field.get_db_prep_save(field.pre_save(instance, False), db) for field in fields]
    return ", ".join(f"{quote(field.column)} = %s" for field in fields), values


def fetch_after(select: JoinedSelect, head: str, params: list, *, suffix: str = "") -> list[dict]:
    """select.fetch() preceded by `head`, a WITH clause whose %s parameters come first in
    `params`: on PostgreSQL a data-modifying CTE (UPDATE … RETURNING) and the read of what it
    touched are one round trip. `head` is SQL from our own modules, never input."""
    sql, plan = select._plan()
    with statement_cursor(params) as cursor:
        cursor.execute(f"{head} {sql}{suffix}", params)
        rows = cursor.fetchall()
    db = database()
    return [select._row(row, plan, db) for row in rows]


def row_update_then_insert(instance, names: list[str], new, *, hold: bool = False) -> None:
    """row_update(instance, names), then row_insert(new) (a row that refers to `instance`, its
    audit event): on PostgreSQL one statement, the UPDATE in a CTE and the INSERT fed from it, so
    the event is written only with the update and both cost one round trip instead of two and
    no transaction; elsewhere the two statements. Raises DatabaseError as row_update does.
    `hold`: inside write_behind(), the statement waits for the next one and goes out with it
    (tradingsite/write_behind.py); the caller promises that no exchange request comes between."""
    db = database()
    if db.vendor != "postgresql":
        row_update(instance, names)
        row_insert(new)
        return
    quote = db.ops.quote_name
    meta, new_meta = instance._meta, new._meta
    assignments, values = _assignments(instance, names)
    new_fields = [field for field in new_meta.concrete_fields if not field.primary_key]
    new_values = [field.get_db_prep_save(field.pre_save(new, True), db) for field in new_fields]
    pk = quote(meta.pk.column)
    # Names from the models; every value is a %s parameter.
    ctes = (
        f"u AS (UPDATE {quote(meta.db_table)} SET {assignments} WHERE {pk} = %s RETURNING {pk}), "  # noqa: S608
        f"e AS (INSERT INTO {quote(new_meta.db_table)} ({', '.join(quote(f.column) for f in new_fields)}) "
        f"SELECT {', '.join(['%s'] * len(new_fields))} FROM u RETURNING {quote(new_meta.pk.column)})"
    )

    def inserted(row) -> None:
        if row is None:  # no row updated, so none inserted: as save(update_fields=...) does
            raise DatabaseError("Save with update_fields did not affect any rows.")
        new.pk = row[0]
        new._state.adding = False

    held = write_behind.Held(ctes=ctes, params=[*values, instance.pk, *new_values], result="e", done=inserted)
    if hold and write_behind.holding_allowed():
        write_behind.hold(held)
    else:  # a write held before this one goes first (write_behind's execute wrapper)
        with statement_cursor(held.params) as cursor:
            cursor.execute(f"WITH {held.ctes} SELECT * FROM e", held.params)  # noqa: S608
            inserted(cursor.fetchone())


def rows_update_where(model, values: dict, where: dict) -> int:
    """model.objects.filter(**where).update(**values) for equality filters on columns, as one
    UPDATE joined from strings instead of a compiled query; returns the number of rows, as
    update() does. Like update(), no save(), no signals, no auto_now. A write held by
    write_behind() goes out in the same statement, first."""
    meta, db = model._meta, database()
    quote = db.ops.quote_name
    sets = [(meta.get_field(name), value) for name, value in values.items()]
    tests = [(meta.get_field(name), value) for name, value in where.items()]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field, _ in sets)
    conditions = " AND ".join(f"{quote(field.column)} = %s" for field, _ in tests)
    params = [field.get_db_prep_save(value, db) for field, value in sets] + [
        field.get_db_prep_value(value, db) for field, value in tests
    ]
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {conditions}"  # noqa: S608 (model names)
    held = write_behind.held_take()
    with statement_cursor([*(held.params if held else ()), *params]) as cursor:
        if held is None:
            cursor.execute(sql, params)
            return cursor.rowcount
        # Data-modifying CTEs all run, once, whatever the SELECT reads (PostgreSQL).
        cursor.execute(
            f"WITH {held.ctes}, w AS ({sql} RETURNING 1) "  # noqa: S608
            f"SELECT (SELECT count(*) FROM w), (SELECT count(*) FROM {held.result}), {held.result}.* "
            f"FROM (SELECT 1) one LEFT JOIN {held.result} ON true",
            [*held.params, *params],
        )
        updated, written, *row = cursor.fetchone()
    held.done(tuple(row) if written else None)
    return updated


def row_refresh(instance, *, lock: bool = False) -> None:
    """What instance.refresh_from_db() does for an instance with no deferred fields (every
    concrete field read again, cached relations dropped), with a SELECT joined from strings;
    `lock` adds FOR UPDATE where the database has it (select_for_update()). Raises the
    model's DoesNotExist as refresh_from_db does."""
    model, meta = type(instance), instance._meta
    quote = connection.ops.quote_name
    sql = f"SELECT {columns_of(model)} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with statement_cursor([instance.pk]) as cursor:
        cursor.execute(sql, [instance.pk])
        row = cursor.fetchone()
    if row is None:
        raise model.DoesNotExist(f"{meta.object_name} matching query does not exist.")
    fresh = instance_from_row(model, row)
    for field in meta.concrete_fields:
        setattr(instance, field.attname, getattr(fresh, field.attname))
        if field.is_relation and field.is_cached(instance):
            field.delete_cached_value(instance)
    for rel in meta.related_objects:
        if rel.is_cached(instance):
            rel.delete_cached_value(instance)
    instance._state.db = fresh._state.db
