"""The batch computations on Apache Spark: a session, and an Ibis connection reading the store's tables as Parquet.

Spark cannot read a SQLite file, and reading PostgreSQL would need its JDBC driver on every executor, so Spark
reads the tables the computation needs from Parquet files: an export (``leadpact export parquet``) or files
written for the one command and removed after it. ``LEADPACT_SPARK_MASTER`` names the cluster (default
``local[2]``, Spark inside this process's machine); the rest of Spark's settings come from its own
``spark-defaults.conf`` (``SPARK_CONF_DIR``). One session serves the whole process: starting Spark takes
seconds, so a connection leaves it running when it disconnects and only drops the tables it registered.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ibis
from ibis.backends.pyspark import Backend as PySparkBackend
from pyspark.sql import SparkSession

LOGGING = Path(__file__).with_name("spark-log4j2.properties")
MASTER_ENV = "LEADPACT_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"

ibis.pyspark  # noqa: B018  (loading the backend through Ibis registers its options, which its compiler reads)


class SparkBackend(PySparkBackend):  # type: ignore[misc]
    """Ibis's PySpark backend with three changes.

    Tables built in memory (the agreement's rules, judged field values, working days) go to Spark as Arrow
    tables: Ibis hands them over as pandas frames, which turn an integer column holding nulls into floats that
    Spark, told the column is an integer, reads back as all nulls (every event type's cap lost). Temporary tables
    are computed once into checkpointed views. And disconnecting drops the views this connection registered
    instead of stopping the process's session.
    """

    def do_connect(self, session: Any, **kwargs: Any) -> None:
        super().do_connect(session, **kwargs)
        self._views: list[str] = []
        self._staging: list[Path] = []

    def _register_in_memory_table(self, op: Any) -> None:
        frame = self._session.createDataFrame(op.data.to_pyarrow(op.schema))
        frame.createOrReplaceTempView(op.name)
        self._views.append(op.name)

    def register_parquet(self, name: str, path: Path) -> None:
        """The Parquet file or directory at ``path`` as the view ``name``."""
        self._session.read.parquet(str(path)).createOrReplaceTempView(name)
        self._views.append(name)

    def create_table(self, name: str, /, obj: Any = None, *, temp: bool | None = None, **kwargs: Any) -> Any:
        """A temporary table (the only kind the batch computations make): the expression computed once and kept by
        Spark's executors for the session, as a view; Ibis's backend has no temporary tables."""
        if not temp or kwargs:
            raise NotImplementedError("the batch computations make temporary tables from expressions only")
        self._run_pre_execute_hooks(obj)
        self._session.sql(self.compile(obj)).localCheckpoint().createOrReplaceTempView(name)
        self._views.append(name)
        return self.table(name)

    def disconnect(self) -> None:
        catalog = self._session.catalog
        for name in reversed(self._views):
            catalog.dropTempView(name)
        self._views.clear()
        for directory in self._staging:
            shutil.rmtree(directory, ignore_errors=True)
        self._staging.clear()

    def keep_until_disconnect(self, directory: Path) -> None:
        """Remove ``directory`` (files Spark reads for this connection only) when the connection ends."""
        self._staging.append(directory)


def session() -> Any:
    """The process's Spark session, started on first use at ``LEADPACT_SPARK_MASTER``."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = os.environ.get(MASTER_ENV) or DEFAULT_MASTER
    warehouse = tempfile.mkdtemp(prefix="leadpact-spark-warehouse-")
    atexit.register(shutil.rmtree, warehouse, True)
    logging = f"-Dlog4j2.configurationFile={LOGGING}"
    builder = (
        SparkSession.builder.master(master)
        .appName("leadpact")
        .config("spark.driver.extraJavaOptions", logging)  # only errors from the JVM on the command's stderr
        .config("spark.sql.warehouse.dir", warehouse)  # never a spark-warehouse/ left in the working directory
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        # One machine: a few shuffle partitions, not the 200 a cluster wants; no web UI on a port.
        builder = builder.config("spark.sql.shuffle.partitions", "4").config("spark.ui.enabled", "false")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def connect(tables: Iterable[tuple[str, Path]]) -> SparkBackend:
    """An Ibis connection on the process's Spark session holding each ``(name, Parquet path)`` as a view."""
    backend: SparkBackend = SparkBackend().connect(session())
    for name, path in tables:
        backend.register_parquet(name, path)
    return backend


def staging_directory() -> Path:
    """A directory for the Parquet files of one command; under ``LEADPACT_SPARK_STAGING`` when set (on a cluster,
    a path every executor reads at the same name)."""
    root = os.environ.get("LEADPACT_SPARK_STAGING") or None
    if root is not None:
        Path(root).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"leadpact-{uuid.uuid4().hex[:8]}-", dir=root))
