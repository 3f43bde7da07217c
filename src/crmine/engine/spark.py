"""The Spark engine: the warehouse as Parquet folders, statements run by a SparkSession.

``[workspace] engine = "spark"`` puts the warehouse in ``DIR/warehouse-spark/``, one folder
per table (Parquet files plus ``_schema.json``, so an empty table keeps its columns). Every
table is registered as a temporary view of a private Spark session (``newSession()``: the
same SparkContext, its own views), so nothing depends on a Hive metastore and the folder
may live on any storage Spark reads (a shared file system, HDFS, an object store mounted
as a path).

Statements come in DuckDB's dialect (the one the rest of crmine writes) and are transpiled
by sqlglot. Plain Parquet has no UPDATE, DELETE or INSERT, so those statements are rewritten
here into "compute the new table, write it as a new folder": ``INSERT`` is a union,
``DELETE … WHERE`` keeps the other rows, ``UPDATE … SET … WHERE`` is a CASE per assigned
column, ``ALTER TABLE … ADD COLUMN`` adds a NULL column. Forms beyond those (``UPDATE …
FROM``, ``DELETE … USING``) raise :class:`EngineError` naming the statement.

Atomicity. A write never touches a committed folder: it goes to a staging folder under
``.staging/``. At commit the list of swaps is written to ``.commit.json`` (one atomic
rename), then each staged folder is renamed into place and the journal removed. A process
killed before the journal exists changes nothing (staging is discarded on the next
connect); one killed after it has the swaps finished by the next connect. So a failed or
killed transaction changes nothing, and a committed one lands whole. Readers in another
process may see the tables of a commit land one by one for the moment the renames take
(crmine's readers, the server and reports, read published snapshots instead).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from crmine.engine.base import CatalogError, Engine, EngineError, Result
from crmine.errors import CrmineError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    import sqlglot.expressions as exp
    from pyspark.sql import DataFrame, SparkSession

    from crmine.config import SparkSettings

__all__ = ["NotOnSpark", "SparkEngine", "spark_session"]

STAGING = ".staging"
JOURNAL = ".commit.json"
SCHEMA_FILE = "_schema.json"

#: SQL settings crmine's statements assume: UTC timestamps, DuckDB's "a failed cast is NULL"
#: (not ANSI errors), Arrow between the JVM and pandas
SESSION_SQL = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}

_lock = threading.Lock()
_started: list[SparkSession] = []  # the process's session, once started


def spark_session(settings: SparkSettings) -> SparkSession:
    """The process's Spark session for ``settings`` (one JVM per process; started once).

    UTC session time zone, so timestamps read as they were written whatever the machine's
    zone; the UI off and few shuffle partitions for a local master (the defaults suit a
    cluster, where ``[spark.config]`` tunes them). A session already running (under
    spark-submit) is used as it is when its master is ``[spark] master``. A second master in
    one process is refused: Spark allows one SparkContext per JVM.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            '[workspace] engine = "spark" needs pyspark: pip install "crmine[spark]"'
        ) from None
    with _lock:
        # one crmine started, or the one spark-submit (or a notebook) already runs
        active = _started[0] if _started else SparkSession.getActiveSession()
        if active is not None:
            master = active.sparkContext.master
            if master != settings.master:
                raise EngineError(
                    f"a Spark session on {master} is already running in this process; "
                    f"[spark] master = {settings.master!r} needs a new process"
                )
            if not _started:
                _started.append(active)
            return active
        builder = SparkSession.builder.master(settings.master).appName("crmine")
        local = settings.master.startswith("local")
        defaults = {
            **SESSION_SQL,
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": "4" if local else "200",
        }
        for key, value in {**defaults, **settings.config}.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # no Java, a bad master URL: the JVM's reason, on one line
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise EngineError(f"cannot start Spark on {settings.master}: {first}") from None
        session.sparkContext.setLogLevel("ERROR")
        # pyspark logs every failed statement with its JVM stack; the EngineError raised
        # here carries the message, so the log would only repeat it
        logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
        _started.append(session)
        return session


#: DuckDB's own file readers: crmine's ingest lands files through them, Spark has none
DUCKDB_READERS = ("read_csv", "read_csv_auto", "read_parquet", "read_json", "read_json_auto",
                  "sniff_csv", "read_xlsx")  # fmt: skip


class NotOnSpark(EngineError, CrmineError):
    """What crmine does not do on the Spark engine yet: the user's one-line message."""


def _translate(exc: Exception) -> EngineError:
    text = str(exc).strip()
    first = (text.splitlines() or [type(exc).__name__])[0]
    missing = ("TABLE_OR_VIEW_NOT_FOUND", "UNRESOLVED_ROUTINE", "Table or view not found")
    kind = CatalogError if any(m in text for m in missing) else EngineError
    return kind(first)


def transpile(sql: str) -> str:
    """A statement in DuckDB's dialect as Spark SQL (sqlglot)."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


class _SparkResult(Result):
    """Rows of a query, computed when first read (a statement without rows has none)."""

    def __init__(self, frame: DataFrame | None) -> None:
        self._frame = frame
        self._rows: list[tuple] | None = None
        self._at = 0

    @property
    def columns(self) -> list[str] | None:
        return None if self._frame is None else list(self._frame.columns)

    def _collect(self) -> list[tuple]:
        if self._rows is None:
            if self._frame is None:
                self._rows = []
            else:
                try:
                    self._rows = [tuple(r) for r in self._frame.collect()]
                except Exception as exc:
                    raise _translate(exc) from exc
        return self._rows

    def fetchone(self) -> tuple | None:
        rows = self._collect()
        if self._at >= len(rows):
            return None
        self._at += 1
        return rows[self._at - 1]

    def fetchall(self) -> list[tuple]:
        rows = self._collect()
        out, self._at = rows[self._at :], len(rows)
        return out

    def df(self) -> pd.DataFrame:
        import pandas as pd

        if self._frame is None:
            return pd.DataFrame()
        try:
            return self._frame.toPandas()
        except Exception as exc:
            raise _translate(exc) from exc

    def arrow(self) -> pa.Table:
        import pyarrow as pa

        if self._frame is None:
            return pa.table({})
        try:
            return self._frame.toArrow()
        except Exception as exc:
            raise _translate(exc) from exc


class SparkEngine(Engine):
    """A private Spark session over a folder of Parquet tables, behind the engine API."""

    name = "spark"

    def __init__(self, session: SparkSession, warehouse: Path, *, read_only: bool = False) -> None:
        self._spark = session.newSession()
        for key, value in SESSION_SQL.items():  # whoever started the session, these hold
            self._spark.conf.set(key, value)
        self._root = Path(warehouse)
        self._read_only = read_only
        self._tx: dict[str, Path] | None = None  # table -> its staged folder, in a transaction
        self._tx_drops: set[str] = set()
        self._temporary: set[str] = set()
        if not read_only:
            self._root.mkdir(parents=True, exist_ok=True)
            self._recover()
        for folder in sorted(self._root.iterdir()) if self._root.exists() else ():
            if folder.is_dir() and not folder.name.startswith("."):
                self._register(folder.name, folder)

    # --- the catalog: committed folders, staged ones, temporary views -----------------

    def _register(self, name: str, folder: Path) -> None:
        from pyspark.sql.types import StructType

        schema = StructType.fromJson(json.loads((folder / SCHEMA_FILE).read_text("utf-8")))
        frame = self._spark.read.schema(schema).parquet(str(folder))
        frame.createOrReplaceTempView(name)

    def _committed(self, name: str) -> Path:
        return self._root / name

    def _is_permanent(self, name: str) -> bool:
        if name in self._temporary:
            return False
        staged = self._tx is not None and name in self._tx
        return staged or self._committed(name).is_dir()

    def _store(self, name: str, frame: DataFrame) -> None:
        """``frame`` becomes permanent table ``name``: a new staged folder, swapped in at commit."""
        if self._read_only:
            raise EngineError(f"the warehouse is open read-only; cannot write {name}")
        folder = self._root / STAGING / f"{name}-{uuid.uuid4().hex[:12]}"
        try:
            frame.write.mode("errorifexists").parquet(str(folder))
        except Exception as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise _translate(exc) from exc
        (folder / SCHEMA_FILE).write_text(frame.schema.json(), encoding="utf-8")
        self._temporary.discard(name)
        if self._tx is None:  # autocommit: a transaction of one statement
            self._commit({name: folder}, set())
            return
        previous = self._tx.get(name)
        self._tx[name] = folder
        self._tx_drops.discard(name)
        self._register(name, folder)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)

    def _commit(self, staged: dict[str, Path], drops: set[str]) -> None:
        """Swap staged folders in (and drop tables): journal first, so it lands whole."""
        journal = {"swap": {n: str(p) for n, p in staged.items()}, "drop": sorted(drops)}
        tmp = self._root / f"{JOURNAL}.{uuid.uuid4().hex[:8]}"
        tmp.write_text(json.dumps(journal), encoding="utf-8")
        os.replace(tmp, self._root / JOURNAL)
        self._replay()
        for name in staged:
            self._register(name, self._committed(name))
        for name in drops:
            self._spark.catalog.dropTempView(name)

    def _replay(self) -> None:
        """Carry out the journal's swaps (idempotent: a step already done is skipped)."""
        path = self._root / JOURNAL
        journal = json.loads(path.read_text("utf-8"))
        for name, folder in journal["swap"].items():
            source, target = Path(folder), self._committed(name)
            if source.exists():
                if target.exists():
                    trash = self._root / STAGING / f"{name}-old-{uuid.uuid4().hex[:8]}"
                    os.replace(target, trash)
                    shutil.rmtree(trash, ignore_errors=True)
                os.replace(source, target)
        for name in journal["drop"]:
            shutil.rmtree(self._committed(name), ignore_errors=True)
        path.unlink()

    def _recover(self) -> None:
        """After a crash: finish a journalled commit, discard what was only staged."""
        if (self._root / JOURNAL).exists():
            self._replay()
        shutil.rmtree(self._root / STAGING, ignore_errors=True)
        for stray in self._root.glob(f"{JOURNAL}.*"):
            stray.unlink()

    # --- statements ------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Result:
        import sqlglot
        import sqlglot.expressions as exp

        try:
            statements = sqlglot.parse(sql, read="duckdb")
        except sqlglot.errors.ParseError as exc:
            raise EngineError(f"cannot read statement: {str(exc).splitlines()[0]}") from None
        if len(statements) != 1 or statements[0] is None:
            raise EngineError("execute takes exactly one statement")
        tree = statements[0]
        _refuse_duckdb_readers(tree)
        args = None if params is None else (dict(params) if isinstance(params, dict) else list(params))
        if isinstance(tree, exp.Create):
            return self._create(tree, args)
        if isinstance(tree, exp.Insert):
            return self._insert(tree, args)
        if isinstance(tree, exp.Drop):
            return self._drop(tree)
        if isinstance(tree, exp.Delete):
            return self._delete(tree, args)
        if isinstance(tree, exp.Update):
            return self._update(tree, args)
        if isinstance(tree, exp.Alter):
            return self._alter(tree)
        if isinstance(tree, exp.Transaction | exp.Commit | exp.Rollback):
            raise EngineError("use Engine.transaction() for transactions on Spark")
        return _SparkResult(self._query(tree.sql("spark"), args))

    def _query(self, spark_sql: str, args: Any = None) -> DataFrame:
        try:
            frame = self._spark.sql(spark_sql, args=args) if args else self._spark.sql(spark_sql)
            frame.schema  # noqa: B018 - analyse now: a bad name fails here, not at the first read
        except Exception as exc:
            raise _translate(exc) from exc
        return frame

    def _select(self, tree: exp.Expression, args: Any) -> DataFrame:
        return self._query(tree.sql("spark"), args)

    def _create(self, tree: exp.Create, args: Any) -> Result:
        import sqlglot.expressions as exp

        kind = (tree.args.get("kind") or "").upper()
        name = _table_name(tree.this)
        if kind == "VIEW":
            frame = self._select(tree.expression, args)
            frame.createOrReplaceTempView(name)
            self._temporary.add(name)
            return _SparkResult(None)
        if kind != "TABLE":
            raise EngineError(f"CREATE {kind} is not supported on the Spark engine")
        exists = name in self.tables()
        if exists and tree.args.get("exists"):
            return _SparkResult(None)
        if exists and not tree.args.get("replace"):
            raise EngineError(f"table {name} already exists")
        if tree.expression is None:  # CREATE TABLE t (a INT, …): an empty table of those columns
            columns = [
                f"CAST(NULL AS {_spark_type(c.args['kind'])}) AS {c.this.sql('spark')}"
                for c in tree.this.expressions
                if isinstance(c, exp.ColumnDef)
            ]
            frame = self._query(f"SELECT {', '.join(columns)} WHERE false")
        else:
            frame = self._select(tree.expression, args)
        properties = tree.args.get("properties")
        temporary = properties is not None and any(
            isinstance(p, exp.TemporaryProperty) for p in properties.expressions
        )
        self._put(name, frame, temporary=temporary)
        return _SparkResult(None)

    def _put(self, name: str, frame: DataFrame, *, temporary: bool) -> None:
        if temporary:
            # materialised now, as a DuckDB temp table is: later changes to its sources do
            # not reach it, and dropping them does not break it
            frame.localCheckpoint(eager=True).createOrReplaceTempView(name)
            self._temporary.add(name)
        else:
            self._store(name, frame)

    def _insert(self, tree: exp.Insert, args: Any) -> Result:
        import sqlglot.expressions as exp

        target = tree.this
        columns = None
        if isinstance(target, exp.Schema):
            columns = [c.name for c in target.expressions]
            target = target.this
        name = _table_name(target)
        current = self._spark.table(name)
        source = tree.expression
        if isinstance(source, exp.Values):
            source = exp.select("*").from_(source.as_("v"))
        frame = self._select(source, args)
        names = columns or current.columns[: len(frame.columns)]
        if len(names) != len(frame.columns):
            raise EngineError(f"INSERT INTO {name}: {len(frame.columns)} values for {len(names)} columns")
        frame = frame.toDF(*names)
        from pyspark.sql import functions as F

        types = {f.name: f.dataType for f in current.schema.fields}
        aligned = frame.select(
            *[
                (F.col(c).cast(types[c]) if c in names else F.lit(None).cast(types[c])).alias(c)
                for c in current.columns
            ]
        )
        self._replace(name, current.unionByName(aligned))
        return _SparkResult(None)

    def _replace(self, name: str, frame: DataFrame) -> None:
        """Table ``name``'s new content (permanent or temporary, as it was)."""
        self._put(name, frame, temporary=not self._is_permanent(name))

    def _drop(self, tree: exp.Drop) -> Result:
        name = _table_name(tree.this)
        if name not in self.tables():
            if tree.args.get("exists"):
                return _SparkResult(None)
            raise CatalogError(f"table {name} does not exist")
        if self._is_permanent(name):
            if self._read_only:
                raise EngineError(f"the warehouse is open read-only; cannot drop {name}")
            if self._tx is None:
                self._commit({}, {name})
                return _SparkResult(None)
            staged = self._tx.pop(name, None)
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
            if self._committed(name).is_dir():
                self._tx_drops.add(name)
        self._temporary.discard(name)
        self._spark.catalog.dropTempView(name)
        return _SparkResult(None)

    def _delete(self, tree: exp.Delete, args: Any) -> Result:
        import sqlglot.expressions as exp

        name = _table_name(tree.this)
        where = tree.args.get("where")
        using = tree.args.get("using") or []
        if using:  # the rows with no partner in the other relation stay: an anti join
            if len(using) != 1 or where is None:
                raise EngineError("DELETE … USING takes one relation and a WHERE on Spark")
            alias = tree.this.alias_or_name
            keep_sql = (
                f"SELECT {exp.to_identifier(alias, quoted=True).sql('spark')}.* "
                f"FROM {tree.this.sql('spark')} LEFT ANTI JOIN {using[0].sql('spark')} "
                f"ON {where.this.sql('spark')}"
            )
            self._replace(name, self._query(keep_sql, args))
            return _SparkResult(None)
        keep = exp.select("*").from_(tree.this.copy())
        if where is not None:
            cond = exp.Coalesce(this=exp.paren(where.this.copy()), expressions=[exp.false()])
            keep = keep.where(exp.not_(cond))
        else:
            keep = keep.where(exp.false())
        self._replace(name, self._select(keep, args))
        return _SparkResult(None)

    def _update(self, tree: exp.Update, args: Any) -> Result:
        import sqlglot.expressions as exp

        if tree.args.get("from_") or tree.args.get("from"):
            return self._update_from(tree, args)
        target = tree.this
        name = _table_name(target)
        alias = target.alias_or_name
        where = tree.args.get("where")
        assigned: dict[str, exp.Expression] = {}
        for eq in tree.expressions:
            assigned[eq.this.name] = eq.expression
        projections = []
        for column in self._spark.table(name).columns:
            ref = exp.column(column, table=alias, quoted=True)
            if column not in assigned:
                projections.append(ref)
                continue
            value = assigned[column].copy()
            if where is not None:
                cond = exp.Coalesce(this=exp.paren(where.this.copy()), expressions=[exp.false()])
                value = exp.Case(ifs=[exp.If(this=cond, true=value)], default=ref)
            projections.append(exp.alias_(value, column, quoted=True))
        query = exp.select(*projections).from_(target.copy())
        self._replace(name, self._select(query, args))
        return _SparkResult(None)

    def _update_from(self, tree: exp.Update, args: Any) -> Result:
        """``UPDATE t SET … FROM d WHERE …``: the target's rows numbered, the new values of
        each matched row computed by a join (the first match when several, as DuckDB takes
        one), and joined back by row number."""
        import sqlglot.expressions as exp

        source = tree.args.get("from_") or tree.args.get("from")
        where = tree.args.get("where")
        if source.args.get("joins") or tree.args.get("joins"):
            raise EngineError("UPDATE … FROM takes one relation on the Spark engine")
        target = tree.this
        name = _table_name(target)
        alias = exp.to_identifier(target.alias_or_name, quoted=True).sql("spark")
        columns = self._spark.table(name).columns
        rid, base = "__crmine_rid", f"_update_{uuid.uuid4().hex[:8]}"
        numbered = self._query(
            f"SELECT *, monotonically_increasing_id() AS {rid} FROM {self._spark_name(name)}"
        ).localCheckpoint(eager=True)  # the numbers must not change between the two reads
        numbered.createOrReplaceTempView(base)
        try:
            values = [f"{eq.expression.sql('spark')} AS __v{i}" for i, eq in enumerate(tree.expressions)]
            matched = (
                f"SELECT {alias}.{rid}, {', '.join(values)} FROM {base} AS {alias} "
                f"JOIN {source.this.sql('spark')} ON {where.this.sql('spark') if where else 'true'}"
            )
            first = (
                f"SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY {rid} ORDER BY {rid}) "
                f"AS __rn FROM ({matched}) AS m0) AS m1 WHERE __rn = 1"
            )
            assigned = {eq.this.name: i for i, eq in enumerate(tree.expressions)}
            projections = []
            for column in columns:
                ref = f"b.{exp.to_identifier(column, quoted=True).sql('spark')}"
                out = exp.to_identifier(column, quoted=True).sql("spark")
                if column in assigned:
                    new = f"m.__v{assigned[column]}"
                    projections.append(f"CASE WHEN m.{rid} IS NULL THEN {ref} ELSE {new} END AS {out}")
                else:
                    projections.append(f"{ref} AS {out}")
            result = self._query(
                f"SELECT {', '.join(projections)} FROM {base} AS b "
                f"LEFT JOIN ({first}) AS m ON b.{rid} = m.{rid}",
                args,
            )
            self._replace(name, result)
        finally:
            self._spark.catalog.dropTempView(base)
        return _SparkResult(None)

    def _spark_name(self, name: str) -> str:
        import sqlglot.expressions as exp

        return exp.to_identifier(name, quoted=True).sql("spark")

    def _alter(self, tree: exp.Alter) -> Result:
        import sqlglot.expressions as exp

        name = _table_name(tree.this)
        added = [a for a in tree.args.get("actions") or [] if isinstance(a, exp.ColumnDef)]
        if not added or len(added) != len(tree.args.get("actions") or []):
            raise EngineError("only ALTER TABLE … ADD COLUMN is supported on the Spark engine")
        extra = [
            exp.alias_(exp.cast(exp.null(), _spark_type(c.args["kind"])), c.name, quoted=True)
            for c in added
        ]
        query = exp.select(exp.Star(), *extra).from_(tree.this.copy())
        self._replace(name, self._select(query, None))
        return _SparkResult(None)

    # --- frames in and out -------------------------------------------------------------

    def _frame(self, data: pd.DataFrame | pa.Table) -> DataFrame:
        import pyarrow as pa

        table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        try:
            return self._spark.createDataFrame(table)
        except Exception as exc:
            raise _translate(exc) from exc

    @contextmanager
    def temp_table(self, name: str, data: pd.DataFrame | pa.Table) -> Iterator[str]:
        self._frame(data).createOrReplaceTempView(name)
        self._temporary.add(name)
        try:
            yield name
        finally:
            self._temporary.discard(name)
            self._spark.catalog.dropTempView(name)

    def write(self, name: str, data: pd.DataFrame | pa.Table, *, temporary: bool = False) -> None:
        self._put(name, self._frame(data), temporary=temporary)

    def parquet(self, path: str | Path) -> str:
        view = f"_parquet_{uuid.uuid4().hex[:8]}"
        try:
            self._spark.read.parquet(str(path)).createOrReplaceTempView(view)
        except Exception as exc:
            raise _translate(exc) from exc
        self._temporary.add(view)
        return view

    def export(self, relation: str, path: str | Path, fmt: Literal["csv", "parquet"]) -> None:
        """One file at ``path``, written by Spark (one partition) and moved into place."""
        frame = self._query(f"SELECT * FROM {relation}").coalesce(1)
        path = Path(path)
        out = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        try:
            writer = frame.write.mode("errorifexists")
            if fmt == "csv":
                writer.option("header", "true").csv(str(out))
            else:
                writer.option("compression", "zstd").parquet(str(out))
            part = next(p for p in out.iterdir() if p.name.startswith("part-"))
            os.replace(part, path)
        except Exception as exc:
            raise _translate(exc) from exc
        finally:
            shutil.rmtree(out, ignore_errors=True)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._tx is not None:
            raise EngineError("a transaction is already open on this connection")
        self._tx, self._tx_drops = {}, set()
        temporary_before = set(self._temporary)
        try:
            yield
        except BaseException:
            staged, self._tx = self._tx, None
            for folder in staged.values():
                shutil.rmtree(folder, ignore_errors=True)
            for name in staged:
                if self._committed(name).is_dir():
                    self._register(name, self._committed(name))
                else:
                    self._spark.catalog.dropTempView(name)
            for name in self._tx_drops:
                self._register(name, self._committed(name))
            for name in self._temporary - temporary_before:  # as DuckDB drops them too
                self._spark.catalog.dropTempView(name)
            self._temporary &= temporary_before
            raise
        staged, self._tx = self._tx, None
        self._commit(staged, self._tx_drops)

    # --- Ibis and the catalog ------------------------------------------------------------

    def ibis(self) -> Any:
        return self._ibis

    @cached_property
    def _ibis(self) -> Any:
        import ibis

        return ibis.pyspark.connect(self._spark)

    def tables(self) -> set[str]:
        return {t.name for t in self._spark.catalog.listTables() if t.name}

    def column_types(self, table: str) -> dict[str, str]:
        """Column → type, in DuckDB's spelling (callers write it back into DuckDB-dialect SQL)."""
        import sqlglot.expressions as exp

        try:
            fields = self._spark.table(table).schema.fields
        except Exception:
            return {}
        return {
            f.name: exp.DataType.build(f.dataType.simpleString(), dialect="spark").sql("duckdb")
            for f in fields
        }

    def cursor(self) -> SparkEngine:
        """This engine itself: a Spark session may be used from several threads."""
        return self

    def close(self) -> None:
        for name in list(self._temporary):
            self._spark.catalog.dropTempView(name)
        self._temporary.clear()


def _refuse_duckdb_readers(tree: exp.Expression) -> None:
    import sqlglot.expressions as exp

    for node in tree.find_all(exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        if name in DUCKDB_READERS:
            raise NotOnSpark(
                f"crmine ingest does not run on the Spark engine yet (its file readers are "
                f"DuckDB's {name}): ingest into a DuckDB workspace, then copy its tables with "
                "crmine.engine.transfer.copy_tables"
            )


def _spark_type(kind: exp.DataType) -> str:
    """A column type of a DuckDB definition in Spark's spelling; JSON is text there."""
    import sqlglot.expressions as exp

    if kind.is_type(exp.DataType.Type.JSON):
        return "STRING"
    return kind.sql("spark")


def _table_name(node: exp.Expression) -> str:
    """The bare name of a table reference (``t``, ``"t"``, ``t AS x``)."""
    import sqlglot.expressions as exp

    table = node if isinstance(node, exp.Table) else node.find(exp.Table)
    if table is None:
        raise EngineError(f"expected a table name, got {node.sql('duckdb')}")
    return table.name
