"""The Spark driver's class-data-sharing archive, for jobs on a local master.

A Spark job spends much of its start-up loading, parsing and verifying the same tens of
thousands of classes from the same jars. A JVM started with `-XX:ArchiveClassesAtExit=F`
writes the classes it loaded from the class path into F when it exits (a dynamic CDS
archive, JDK 13 and later); a JVM started with `-XX:SharedArchiveFile=F` maps them from F
instead. Measured on 2 cores (a session and a first Delta write and read, alternately):
50.7 and 51.2 s with the archive against 65.7 and 65.5 s without, under load 7.

An archive only fits the JDK and the class path it was made with; with anything else the
JVM runs as if it had none. Set-up (`python -m lakehouse.streaming.class_archive`, from
scripts/setup.sh) therefore trains it again whenever `archive_key` changes: it runs
jobs/train_class_archive.py, a small bronze batch through the ingest job's own code, and
moves the archive into place (`spark.class_archive`) only when the run succeeded.
`spark_submit` adds the option when the file is there and the master is local: the
executors of a cluster master run in other JVMs on other machines, which this archive
does not describe.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

from lakehouse.settings import PROJECT_ROOT, Settings, is_local_master

TRAIN_JOB = PROJECT_ROOT / "jobs" / "train_class_archive.py"
JAVA_OPTIONS = "spark.driver.extraJavaOptions"


class ClassArchiveError(Exception):
    """Training the archive failed; the message says where to look."""


def archive_file(settings: Settings) -> Path | None:
    """Where the archive lives (`spark.class_archive`), or None when it is turned off."""
    location = settings.spark.class_archive
    return settings.path(location) if location else None


def sharing_option(settings: Settings) -> str | None:
    """The JVM option that maps the archive, when there is one for this local master."""
    archive = archive_file(settings)
    if archive is None or not is_local_master(settings.spark.master) or not archive.is_file():
        return None
    return f"-XX:SharedArchiveFile={archive}"


def java_binary() -> str:
    """The java that spark-submit starts: JAVA_HOME's, or the first on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    return str(Path(java_home) / "bin" / "java") if java_home else "java"


def pyspark_jars_dir() -> Path | None:
    """The folder of Spark's own jars inside the installed pyspark, if there is one."""
    spec = find_spec("pyspark")
    return Path(spec.origin).parent / "jars" if spec and spec.origin else None


def archive_key(jars: list[Path]) -> str:
    """What the archive depends on: the JDK's version, pyspark's install, and each connector
    jar. The JVM also checks each jar's size and modification time, so a jar resolved again
    (same name, new time) needs a new archive too."""
    java = subprocess.run(
        [java_binary(), "-version"], capture_output=True, text=True, check=True
    ).stderr
    pyspark_jars = pyspark_jars_dir()
    installed = pyspark_jars.stat().st_mtime_ns if pyspark_jars and pyspark_jars.is_dir() else 0
    parts = [java, version("pyspark"), str(installed)]
    parts += [f"{jar.name} {jar.stat().st_size} {jar.stat().st_mtime_ns}" for jar in jars]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def key_file(archive: Path) -> Path:
    """The file beside the archive that records which key it was trained for."""
    return archive.with_name(archive.name + ".key")


def is_current(archive: Path, key: str) -> bool:
    """True when the archive exists and was trained for `key`."""
    stamp = key_file(archive)
    return archive.is_file() and stamp.is_file() and stamp.read_text().strip() == key


def train(settings: Settings, archive: Path, log_path: Path) -> None:
    """Run the training job with a JVM that writes its classes out at exit; move the
    archive into place only when the job succeeded and the archive was written."""
    # Imported here: spark_submit imports this module (DAG files too, at parse time).
    from lakehouse.config import load_settings  # noqa: PLC0415
    from lakehouse.sandbox import sandbox_environment, use_environment  # noqa: PLC0415
    from lakehouse.streaming.spark_submit import run_logged, spark_submit  # noqa: PLC0415

    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lakehouse-class-archive-") as scratch:
        root = Path(scratch)
        written = root / archive.name
        # The job loads its settings from the environment: a stack of its own under the
        # scratch folder, never the configured lake and checkpoints, and no archive to map
        # while it writes one.
        stack = sandbox_environment(root / "stack", test_sized=False)
        with use_environment({**stack, "LAKEHOUSE__SPARK__CLASS_ARCHIVE": "null"}):
            training = load_settings(settings.env)
            submit = spark_submit(training, job=TRAIN_JOB)
            options = f"{submit.conf[JAVA_OPTIONS]} -XX:ArchiveClassesAtExit={written}"
            conf = {**submit.conf, JAVA_OPTIONS: options}
            log_path.unlink(missing_ok=True)
            code = run_logged(training, replace(submit, conf=conf).argv(), log_path)
        if code != 0 or not written.is_file():
            raise ClassArchiveError(
                f"training the Spark class archive failed (exit code {code}); see {log_path}. "
                "Jobs still run without it, only their start-up is slower."
            )
        os.replace(written, archive)


def ensure_archive(
    settings: Settings, log_path: Path, say: Callable[[str], None] = print
) -> Path | None:
    """Train the archive unless the current one fits this JDK, pyspark and jar set; the
    archive, or None when `spark.class_archive` turns it off."""
    archive = archive_file(settings)
    if archive is None:
        say("Spark class archive: off (spark.class_archive is null)")
        return None
    from lakehouse.streaming.spark_submit import spark_jars  # noqa: PLC0415

    key = archive_key(spark_jars(settings))
    if is_current(archive, key):
        return archive
    say(
        f"Spark class archive: training {archive} (first run, or the JDK, pyspark or the jars "
        f"changed; a minute or two; log: {log_path})"
    )
    key_file(archive).unlink(missing_ok=True)
    train(settings, archive, log_path)
    key_file(archive).write_text(key + "\n")
    say(f"Spark class archive: trained, {archive.stat().st_size / 2**20:,.0f} MiB")
    return archive


def main() -> int:
    """Set-up's entry point: make sure the archive fits this JDK, pyspark and jar set."""
    from lakehouse.config import load_settings  # noqa: PLC0415

    settings = load_settings()
    archive = archive_file(settings)
    log_path = (archive.parent if archive else PROJECT_ROOT) / "train_class_archive.log"
    try:
        ensure_archive(settings, log_path, say=lambda line: print(line, flush=True))
    except ClassArchiveError as error:
        print(f"warning: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
