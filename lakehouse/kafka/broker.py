"""A real single-node Apache Kafka broker (KRaft, combined broker + controller) as a process.

The broker runs from the jars set-up resolved from Maven Central (`java -cp jars/* kafka.Kafka`),
with its data, logs and pid file under one state folder, so `lakehouse up` needs no Docker.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient

from lakehouse.settings import Settings


class BrokerError(Exception):
    """The broker cannot be started or reached; the message says what to do."""


@dataclass(frozen=True)
class BrokerStatus:
    """What `lakehouse status` reports about the broker."""

    running: bool
    pid: int | None
    bootstrap_servers: str
    log_file: Path


def port_open(host: str, port: int) -> bool:
    """True when something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    # A recycled pid belongs to some other program: only a kafka.Kafka process counts.
    return not cmdline.exists() or b"kafka.Kafka" in cmdline.read_bytes()


@dataclass(frozen=True)
class KafkaBroker:
    """One local broker: where its jars are, where it keeps state, which ports it binds."""

    jars_dir: Path
    state_dir: Path
    host: str = "localhost"
    port: int = 9092
    controller_port: int = 9093
    heap: str = "512m"
    start_timeout_seconds: float = 60.0

    @property
    def bootstrap_servers(self) -> str:
        """host:port clients connect to."""
        return f"{self.host}:{self.port}"

    @property
    def home(self) -> Path:
        """The broker's own folder under the state folder."""
        return self.state_dir / "kafka"

    @property
    def data_dir(self) -> Path:
        """Kafka's log.dirs (topic data and KRaft metadata)."""
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        """The broker's log (server.log equivalent)."""
        return self.home / "broker.log"

    @property
    def pid_file(self) -> Path:
        """Pid of the running broker, if any."""
        return self.home / "broker.pid"

    def pid(self) -> int | None:
        """Pid of our broker if it is running, else None (stale pid files are ignored)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _process_alive(pid) else None

    def status(self) -> BrokerStatus:
        """Whether our broker runs and answers on its port."""
        pid = self.pid()
        running = pid is not None and port_open(self.host, self.port)
        return BrokerStatus(running, pid, self.bootstrap_servers, self.log_file)

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise BrokerError("java not found on PATH: install a JDK 17+ (see README, Set-up)")
        return java

    def _classpath(self) -> str:
        if not any(self.jars_dir.glob("kafka_2.13-*.jar")):
            raise BrokerError(
                f"no Kafka jars in {self.jars_dir}: run `scripts/setup.sh` (or `make setup`)"
            )
        return f"{self.jars_dir}/*"

    def _write_config(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        properties = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{self.controller_port}",
            "listeners": (
                f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "auto.create.topics.enable": "false",
            "num.partitions": "3",
            # A single node: every internal topic has one replica.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
        }
        config = self.home / "server.properties"
        config.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
        log4j = self.home / "log4j2.properties"
        log4j.write_text(
            "status = warn\n"
            "appender.file.type = File\n"
            "appender.file.name = file\n"
            f"appender.file.fileName = {self.log_file}\n"
            "appender.file.layout.type = PatternLayout\n"
            "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
            "rootLogger.level = INFO\n"
            "rootLogger.appenderRef.file.ref = file\n"
        )
        return config

    def _java_command(self, main_class: str, *args: str) -> list[str]:
        return [
            self._java(),
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            self._classpath(),
            main_class,
            *args,
        ]

    def _format_storage(self, config: Path) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # One id in 64 starts with "-": only the --option=value form keeps it a value.
        command = self._java_command(
            "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", f"--config={config}"
        )
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BrokerError(
                f"formatting the broker's storage in {self.data_dir} failed:\n"
                f"{result.stdout}{result.stderr}"
            )

    def _check_ports_free(self) -> None:
        for port in (self.port, self.controller_port):
            if port_open(self.host, port):
                raise BrokerError(
                    f"port {port} on {self.host} is already in use by another process, "
                    "so the local broker cannot start. Stop that process, or choose other "
                    "ports: LAKEHOUSE__KAFKA__BROKER__PORT / "
                    "LAKEHOUSE__KAFKA__BROKER__CONTROLLER_PORT (or kafka.broker in conf/)."
                )

    def start(self) -> bool:
        """Start the broker and wait until it serves metadata; False if it already ran."""
        if self.pid() is not None:
            self.wait_ready()
            return False
        self._check_ports_free()
        config = self._write_config()
        self._format_storage(config)
        with open(self.home / "broker.out", "ab") as output:
            process = subprocess.Popen(
                self._java_command("kafka.Kafka", str(config)),
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))
        try:
            self.wait_ready(process)
        except BrokerError:
            self.stop()
            raise
        return True

    def wait_ready(self, process: subprocess.Popen[bytes] | None = None) -> None:
        """Block until the broker answers a metadata request, or raise with its log's tail."""
        deadline = time.monotonic() + self.start_timeout_seconds
        admin: AdminClient | None = None
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise BrokerError(
                    f"the broker exited with code {process.returncode} while starting; "
                    f"its log ends with:\n{self.log_tail()}"
                )
            if port_open(self.host, self.port):
                # Created only once the port answers: librdkafka logs every refused connect.
                admin = admin or AdminClient(
                    {"bootstrap.servers": self.bootstrap_servers, "socket.timeout.ms": 2000}
                )
                try:
                    metadata = admin.list_topics(timeout=2)
                except Exception:  # not ready yet: retried until the deadline
                    metadata = None
                if metadata is not None and metadata.brokers:
                    return
            time.sleep(0.5)
        raise BrokerError(
            f"the broker did not become ready on {self.bootstrap_servers} within "
            f"{self.start_timeout_seconds:.0f}s; its log ends with:\n{self.log_tail()}"
        )

    def stop(self, timeout_seconds: float = 30.0) -> bool:
        """Stop the broker (clean shutdown, then kill after the timeout); False if not running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline and _process_alive(pid):
            _reap(pid)
            time.sleep(0.2)
        if _process_alive(pid):
            os.killpg(pid, signal.SIGKILL)
            _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the broker's log (or its console output if the log is empty)."""
        for candidate in (self.log_file, self.home / "broker.out"):
            if candidate.exists() and candidate.stat().st_size > 0:
                return "\n".join(candidate.read_text(errors="replace").splitlines()[-lines:])
        return "(no log written)"


def local_broker(settings: Settings) -> KafkaBroker:
    """The local broker `lakehouse up` manages, as configured."""
    broker = settings.kafka.broker
    return KafkaBroker(
        jars_dir=settings.path(broker.jars_dir),
        state_dir=settings.state_path,
        host=broker.host,
        port=broker.port,
        controller_port=broker.controller_port,
        heap=broker.heap,
        start_timeout_seconds=broker.start_timeout_seconds,
    )


def _reap(pid: int) -> None:
    """Collect a child that exited, so it does not linger as a zombie that looks alive."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
