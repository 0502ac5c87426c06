"""A throwaway PostgreSQL server for the tests: Debian's binaries, a cluster in a temporary folder.

The cluster runs as the `postgres` user when the tests run as root (PostgreSQL refuses to run as root),
listens on 127.0.0.1 on a free port, trusts local connections, and is stopped and removed afterwards.
Run alone to serve one until Ctrl-C: `python tests/postgres_support.py`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"
DATABASE = "cpdash_test"
START_TIMEOUT = 60

# The sample city's files and the tables they are imported into, in import order (areas first).
TABLE_FILES = (
    ("areas.geojson", "areas"),
    ("events.csv", "events"),
    ("responses.csv", "responses"),
    ("concerns.csv", "concerns"),
    ("attendees.csv", "attendees"),
    ("area_scores.csv", "area_scores"),
)


def binaries() -> Path | None:
    """The newest installed PostgreSQL bin folder with initdb and pg_ctl, or None."""
    found = [
        Path(p)
        for p in glob.glob(BIN_GLOB)
        if (Path(p) / "initdb").exists() and (Path(p) / "pg_ctl").exists()
    ]
    return max(
        found, key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()] or [0], default=None
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_owner(command: list[str]) -> list[str]:
    """The command run as `postgres` when we are root."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *command]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in command)]


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a fresh cluster with an empty database; yields its SQLAlchemy URL; stops and removes it."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError(f"no PostgreSQL binaries in {BIN_GLOB} (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="cpdash-pg-"))
    data, log = root / "data", root / "server.log"
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    started = False
    try:
        subprocess.run(
            _as_owner(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_owner(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    str(START_TIMEOUT),
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT + 10,
        )
        started = True
        _create_database(port)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace")[-2000:]
        server = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {detail}\n{server}") from exc
    finally:
        if started:
            subprocess.run(
                _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                timeout=START_TIMEOUT,
            )
        shutil.rmtree(root, ignore_errors=True)


def _create_database(port: int) -> None:
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with psycopg.connect(
                host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
            ) as conn:
                conn.execute(f"CREATE DATABASE {DATABASE}")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def reset_database(url: str) -> None:
    """Drop every table, for a test that needs an empty database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    finally:
        engine.dispose()


if __name__ == "__main__":
    with postgres_cluster() as url:
        print(url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
