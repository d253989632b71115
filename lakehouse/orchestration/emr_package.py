"""Build every artifact the EMR job's request names (lakehouse.orchestration.emr), with a manifest.

`<output>/code` goes to emr.code_uri: the entry point, the job code zip, conf/ and the packed
Python environment as archives, and manifest.json (sha256 of every file). `<output>/jars`
goes to emr.jars_uri: the connector jars without S3A. The environment is built from uv.lock
(the `emr` dependency group: no dev packages, no pyspark, nothing only the local stack
needs) with emr.python and packed with venv-pack.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lakehouse.orchestration.emr import (
    CODE_ARCHIVE,
    CONF_ARCHIVE,
    EMR_JARS,
    ENVIRONMENT_ARCHIVE,
    MANIFEST,
    S3A_JAR_PREFIXES,
)
from lakehouse.settings import PROJECT_ROOT, Settings
from lakehouse.streaming.spark_submit import BRONZE_JOB

PACKAGES = ("lakehouse", "jobs", "transformations")
ENVIRONMENT_GROUP = "emr"
# Spark's own Python side comes with EMR's Spark (and sits first on PYTHONPATH there).
PROVIDED_BY_EMR = ("pyspark", "py4j")
# Amazon Linux 2023 (EMR 7 and later) has glibc 2.34: wheels up to manylinux_2_28 run there.
WHEEL_PLATFORMS = {"X86_64": "x86_64-manylinux_2_28", "ARM64": "aarch64-manylinux_2_28"}
UV = PROJECT_ROOT / ".lakehouse" / "tools" / "bin" / "uv"


class EmrPackageError(Exception):
    """An artifact cannot be built; the message says what is missing and what to do."""


@dataclass(frozen=True)
class EmrPackage:
    """What package-emr wrote: `code` goes to emr.code_uri, `jars` to emr.jars_uri."""

    code: Path
    jars: Path
    manifest: Path

    def upload_commands(self, settings: Settings) -> list[str]:
        """The `aws s3 sync` lines that put the artifacts where the request looks for them."""
        return [
            f"aws s3 sync {self.code} {settings.emr.code_uri}",
            f"aws s3 sync {self.jars} {settings.emr.jars_uri}",
        ]


def _write_code(code: Path, env: str) -> None:
    shutil.copyfile(BRONZE_JOB, code / BRONZE_JOB.name)
    with zipfile.ZipFile(code / CODE_ARCHIVE, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for package in PACKAGES:
            for source in sorted((PROJECT_ROOT / package).rglob("*.py")):
                bundle.write(source, source.relative_to(PROJECT_ROOT).as_posix())
    with tarfile.open(code / CONF_ARCHIVE, "w:gz") as archive:
        for name in ("base.yaml", f"{env}.yaml"):
            archive.add(PROJECT_ROOT / "conf" / name, arcname=name)


def emr_jar_files(settings: Settings) -> list[Path]:
    """The resolved jars the request names (EMR_JARS); refuse when the two lists differ."""
    jars_dir = settings.path(settings.spark.jars_dir)
    resolved = {jar.name for jar in jars_dir.glob("*.jar")}
    if not resolved:
        raise EmrPackageError(f"no jars in {jars_dir}: run `make setup` to resolve them")
    without_s3a = {name for name in resolved if not name.startswith(S3A_JAR_PREFIXES)}
    missing, unlisted = sorted(set(EMR_JARS) - without_s3a), sorted(without_s3a - set(EMR_JARS))
    if missing or unlisted:
        raise EmrPackageError(
            f"the jars in {jars_dir} do not match EMR_JARS in lakehouse/orchestration/emr.py "
            f"(missing: {missing}, not listed: {unlisted}); after a jvm/spark/pom.xml change, "
            "run `make setup` and update EMR_JARS to the resolved names without S3A"
        )
    return [jars_dir / name for name in EMR_JARS]


def _uv() -> str:
    found = str(UV) if UV.exists() else shutil.which("uv")
    if found is None:
        raise EmrPackageError(f"uv not found at {UV} or on PATH: run `make setup`")
    return found


def _check_python(python: str) -> None:
    if not Path(python).exists():
        raise EmrPackageError(
            f"emr.python is {python}, which does not exist here: the environment is built with "
            "and linked to that interpreter, so build on a machine (or Amazon Linux image) that "
            "has Python 3.11 at that path, or set emr.python to where the application has it"
        )
    wanted = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = subprocess.run(
        [python, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if found != wanted:
        raise EmrPackageError(f"emr.python ({python}) is Python {found}; the job needs {wanted}")


def environment_requirements(destination: Path) -> list[str]:
    """Export the `emr` group from uv.lock (with hashes) to destination; its name==version."""
    command = [_uv(), "export", "--frozen", "--quiet", "--only-group", ENVIRONMENT_GROUP]
    command += ["--no-emit-project", "--format", "requirements.txt", "-o", str(destination)]
    for package in PROVIDED_BY_EMR:
        command += ["--no-emit-package", package]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True)
    lines = destination.read_text().splitlines()
    return [line.split(" ")[0] for line in lines if line and not line.startswith(("#", " "))]


def pack_environment(settings: Settings, archive: Path) -> list[str]:
    """Build the `emr` group's environment with emr.python, pack it; its name==version list."""
    python = settings.emr.python
    _check_python(python)
    with tempfile.TemporaryDirectory(prefix="lakehouse-emr-env-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        packages = environment_requirements(requirements)
        environment = Path(scratch) / "environment"
        uv = _uv()
        subprocess.run([uv, "venv", "--quiet", "--python", python, str(environment)], check=True)
        platform = WHEEL_PLATFORMS[settings.emr.architecture]
        interpreter = str(environment / "bin" / "python")
        sync = [uv, "pip", "sync", "--quiet", "--python", interpreter, "--require-hashes"]
        sync += ["--python-platform", platform, str(requirements)]
        subprocess.run(sync, check=True)
        import venv_pack  # noqa: PLC0415  # a dev tool: only this command needs it

        venv_pack.pack(prefix=str(environment), output=str(archive), force=True)
    archive.chmod(0o644)  # venv-pack writes it private; it is uploaded like the other files
    return packages


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _describe(folder: Path, base_uri: str | None) -> dict[str, dict[str, object]]:
    return {
        path.name: {
            "uri": f"{base_uri.rstrip('/')}/{path.name}" if base_uri else None,
            "bytes": path.stat().st_size,
            "sha256": sha256(path),
        }
        for path in sorted(folder.iterdir())
        if path.name != MANIFEST
    }


def build_emr_package(settings: Settings, output: Path) -> EmrPackage:
    """Write code/ (entry point, code zip, conf, environment, manifest) and jars/ to output."""
    code, jars = output / "code", output / "jars"
    for folder in (code, jars):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    jar_files = emr_jar_files(settings)
    _write_code(code, settings.env)
    packages = pack_environment(settings, code / ENVIRONMENT_ARCHIVE)
    for jar in jar_files:
        shutil.copyfile(jar, jars / jar.name)
    manifest = {
        "env": settings.env,
        "python": {
            "interpreter": settings.emr.python,
            "wheel_platform": WHEEL_PLATFORMS[settings.emr.architecture],
            "packages": packages,
        },
        "code": _describe(code, settings.emr.code_uri),
        "jars": _describe(jars, settings.emr.jars_uri),
    }
    manifest_path = code / MANIFEST
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return EmrPackage(code, jars, manifest_path)
