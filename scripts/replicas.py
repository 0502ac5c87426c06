"""Several cpdash processes behind nginx: N replicas sharing one data source and one cache, sticky sessions.

python scripts/replicas.py --replicas 4                      # 4 replicas of the sample data on a free port
python scripts/replicas.py --replicas 4 --data /srv/data/riverton --cache /srv/cache --listen 0.0.0.0:8080
python scripts/replicas.py --print-config --backend 10.0.0.11:8501 --backend 10.0.0.12:8501 --listen 80 \
    --prefix /var/lib/cpdash-nginx > /etc/cpdash/nginx.conf     # nginx for replicas on other machines

Each replica is `streamlit run dashboard.py` on its own loopback port (scripts/serve.py's AppServer), with
the same CPDASH_DATA, the same CPDASH_CACHE (the validated data snapshot and the sentiment scores: the first
replica to load fills it, the others read it) and the same cookie secret (STREAMLIT_SERVER_COOKIE_SECRET, so
that a cookie signed by one replica is valid on another). Before nginx takes visitors, every replica answers
/_stcore/health and has loaded the data (one session opened on it, replica r0 first). nginx (Debian's
package) runs the configuration rendered from deploy/nginx.conf.template, which explains the sticky
sessions. While it serves, a watchdog polls every replica's /_stcore/health and restarts one that exited or
stopped answering. Ctrl-C or SIGTERM stops nginx, then the replicas.

Used by the deployment test and benchmarks/loadgen.py (`Deployment`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import grp
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import ROOT, AppServer, free_port
from stclient import open_and_close

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"
STREAMLIT_DEFAULT_UPLOAD_MB = 200
FORM_FRAMING_MB = 1  # multipart boundaries and headers around an uploaded file
HEALTH_FAILURES_BEFORE_RESTART = 3


def nginx_binary() -> str | None:
    """Debian's nginx (or one on PATH), or None when it is not installed."""
    for candidate in NGINX_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("nginx")


def upload_limit_mb() -> int:
    """Streamlit's server.maxUploadSize from .streamlit/config.toml (its default when not set)."""
    try:
        config = tomllib.loads(STREAMLIT_CONFIG.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return STREAMLIT_DEFAULT_UPLOAD_MB
    return int(config.get("server", {}).get("maxUploadSize", STREAMLIT_DEFAULT_UPLOAD_MB))


def _listen_parts(listen: str) -> tuple[str, int]:
    """("host", port) of "host:port" or "port" (host 127.0.0.1); port 0 means a free one."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    number = int(port)
    return host, number or free_port()


def render_config(
    backends: list[str],
    listen: str,
    prefix: Path | str,
    *,
    max_body_mb: int | None = None,
    worker_processes: str = "auto",
    user: str = "",
) -> str:
    """nginx's configuration for these replicas ("host:port" each; replica i is named r<i>)."""
    if not backends:
        raise ValueError("at least one backend is needed")
    server = "server {addr} max_fails=2 fail_timeout=10s{extra};"
    pool = "\n".join(" " * 8 + server.format(addr=b, extra="") for b in backends)
    upstreams = []
    for i, own in enumerate(backends):
        lines = [" " * 8 + server.format(addr=own, extra="")]
        lines += [" " * 8 + server.format(addr=b, extra=" backup") for b in backends if b != own]
        upstreams.append(
            f"    upstream cpdash_r{i} {{\n        zone cpdash_r{i} 64k;\n"
            + "\n".join(lines)
            + "\n        keepalive 8;\n    }"
        )
    routes = "\n".join(f"        r{i} cpdash_r{i};" for i in range(len(backends)))
    served = "\n".join(f'        "~(^|, ){re.escape(b)}$" r{i};' for i, b in enumerate(backends))
    values = {
        "worker_processes": worker_processes,
        "user": user or "# (no user directive: nginx runs as the user who starts it)",
        "prefix": str(prefix),
        "listen": listen,
        "max_body": f"{(max_body_mb if max_body_mb is not None else upload_limit_mb()) + FORM_FRAMING_MB}m",
        "pool_servers": pool,
        "replica_upstreams": "\n\n".join(upstreams),
        "route_map": routes,
        "served_by_map": served,
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{ " + name + " }}", value)
    if unfilled := re.findall(r"\{\{ [a-z_]+ \}\}", text):
        raise ValueError(f"unfilled markers in {TEMPLATE}: {unfilled}")
    return text


def _health(url: str, timeout: float = 2.0) -> bool:
    """True when url/_stcore/health answers 200."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def warm_up(url: str, timeout: float = 900.0) -> float:
    """Open the default page once on `url` (the replica loads the data set); its seconds; raise on an error."""
    result = asyncio.run(open_and_close(url, timeout=timeout))
    if not result.ok:
        raise RuntimeError(f"warming up {url} failed: {result.error}")
    return result.seconds


class Deployment:
    """N replicas and nginx on this machine; a context manager. `url` is nginx's address."""

    def __init__(
        self,
        replicas: int = 2,
        data: Path | str | None = None,
        *,
        cache_dir: Path | str | None = None,
        listen: str = "127.0.0.1:0",
        offline: bool = True,
        env: dict[str, str] | None = None,
        warm: bool = True,
        watch_interval: float | None = None,
        start_timeout: float = 120.0,
        warm_timeout: float = 900.0,
        keep_run_dir: bool = False,
    ) -> None:
        """Configure; nothing starts before `start()`. `data` None is the app's default (sample_data)."""
        if replicas < 1:
            raise ValueError("at least one replica")
        self.count = replicas
        self.data = Path(data).resolve() if data is not None else None
        self.listen_host, self.listen_port = _listen_parts(listen)
        self.offline = offline
        self.extra_env = dict(env or {})
        self.warm = warm
        self.watch_interval = watch_interval
        self.start_timeout = start_timeout
        self.warm_timeout = warm_timeout
        self.keep_run_dir = keep_run_dir
        self.run_dir = Path(tempfile.mkdtemp(prefix="cpdash-deploy-"))
        self._own_cache = cache_dir is None
        self.cache_dir = Path(cache_dir).resolve() if cache_dir is not None else self.run_dir / "cache"
        self.replicas: list[AppServer] = []
        self.nginx: subprocess.Popen[bytes] | None = None
        self.warm_seconds: dict[str, float] = {}
        self.restarts: dict[str, int] = {}
        self._stop_watch = threading.Event()
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()
        self._user = ""  # nginx's `user` line (only when started as root)
        self._env: dict[str, str] = {}

    # addresses -----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """nginx's base URL."""
        host = "127.0.0.1" if self.listen_host in ("0.0.0.0", "::", "*") else self.listen_host
        return f"http://{host}:{self.listen_port}"

    @property
    def names(self) -> list[str]:
        """The replicas' names, as the routing cookie holds them: r0, r1, ..."""
        return [f"r{i}" for i in range(self.count)]

    def pids(self) -> dict[str, int]:
        """Each replica's process id, by name."""
        return {name: server.pid for name, server in zip(self.names, self.replicas, strict=True)}

    def addresses(self) -> dict[str, str]:
        """Each replica's "127.0.0.1:port", by name."""
        return {
            name: f"127.0.0.1:{server.port}" for name, server in zip(self.names, self.replicas, strict=True)
        }

    @property
    def access_log_path(self) -> Path:
        """nginx's access log (one JSON object a line)."""
        return self.run_dir / "logs" / "access.log"

    def access_log(self) -> list[dict[str, Any]]:
        """nginx's access log so far, one dict a request (a websocket's line is written when it closes)."""
        if not self.access_log_path.exists():
            return []
        lines = self.access_log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def nginx_log(self, last: int = 4000) -> str:
        """The end of nginx's error log and console output."""
        text = ""
        for name in ("error.log", "nginx.out"):
            path = self.run_dir / "logs" / name
            if path.exists():
                text += f"--- {name}\n" + path.read_text(encoding="utf-8", errors="replace")[-last:]
        return text

    # start ---------------------------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        """What every replica shares besides the data and cache: the cookie secret, and `env`."""
        env = {COOKIE_SECRET_ENV: os.environ.get(COOKIE_SECRET_ENV) or secrets.token_hex(32)}
        env.update(self.extra_env)
        return env

    def _new_replica(self, port: int, env: dict[str, str]) -> AppServer:
        return AppServer(
            self.data,
            cache_dir=self.cache_dir,
            offline=self.offline,
            env=env,
            port=port,
            start_timeout=self.start_timeout,
        )

    def _prepare_run_dir(self) -> None:
        """Logs and temporary folders for nginx; as root, the `user` line for its workers."""
        for sub in ("logs", "tmp/client_body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        # As root, nginx's workers switch to an unprivileged user, who needs the temporary folders.
        user, group = "nobody", "nogroup"
        uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
        self.run_dir.chmod(0o755)
        (self.run_dir / "tmp").chmod(0o755)
        for sub in (self.run_dir / "tmp").iterdir():
            os.chown(sub, uid, gid)
        self._user = f"user {user} {group};"

    def config(self) -> str:
        """The nginx configuration for the running replicas."""
        backends = list(self.addresses().values())
        return render_config(
            backends, f"{self.listen_host}:{self.listen_port}", self.run_dir, user=self._user
        )

    def start(self) -> Deployment:
        """Start the replicas, warm them up (r0 first), then nginx; raise with the logs on a failure."""
        nginx = nginx_binary()
        if nginx is None:
            raise FileNotFoundError(
                "nginx is missing: install Debian's nginx package (apt-get install nginx)"
            )
        try:
            self._prepare_run_dir()
            env = self._environment()
            self._env = env
            self.replicas = [self._new_replica(free_port(), env) for _ in range(self.count)]
            with ThreadPoolExecutor(max_workers=self.count) as pool:
                list(pool.map(AppServer.start, self.replicas))
            if self.warm:
                self._warm_all()
            conf = self.run_dir / "nginx.conf"
            conf.write_text(self.config(), encoding="utf-8")
            command = [nginx, "-p", str(self.run_dir), "-c", str(conf), "-g", "daemon off;"]
            test = subprocess.run([*command[:-2], "-t", "-q"], capture_output=True, text=True)
            if test.returncode != 0:
                raise RuntimeError(f"nginx rejected {conf}:\n{test.stderr}")
            out = (self.run_dir / "logs" / "nginx.out").open("wb")
            self.nginx = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
            out.close()
            self._wait_for_nginx()
        except BaseException:
            self.stop()
            raise
        if self.watch_interval:
            self._watcher = threading.Thread(target=self._watch, name="replica-watchdog", daemon=True)
            self._watcher.start()
        return self

    def _warm_all(self) -> None:
        """One session on each replica, r0 alone first (it fills the shared cache), then the others."""
        first, *rest = list(zip(self.names, self.replicas, strict=True))
        self.warm_seconds[first[0]] = warm_up(first[1].url, self.warm_timeout)
        if rest:
            with ThreadPoolExecutor(max_workers=len(rest)) as pool:
                timings = pool.map(lambda pair: warm_up(pair[1].url, self.warm_timeout), rest)
                for (name, _), seconds in zip(rest, timings, strict=True):
                    self.warm_seconds[name] = seconds

    def _wait_for_nginx(self, timeout: float = 30.0) -> None:
        """Until /_stcore/health answers through nginx."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.nginx is not None and self.nginx.poll() is not None:
                raise RuntimeError(f"nginx exited with code {self.nginx.returncode}:\n{self.nginx_log()}")
            if _health(self.url):
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"nginx did not answer {self.url}/_stcore/health in {timeout:.0f} s:\n{self.nginx_log()}"
        )

    # health --------------------------------------------------------------------------------------------

    def _watch(self) -> None:
        """Every `watch_interval` seconds: restart a replica that exited or failed its health check 3 times."""
        failures = dict.fromkeys(self.names, 0)
        while not self._stop_watch.wait(self.watch_interval):
            for i, name in enumerate(self.names):
                server = self.replicas[i]
                alive = server.process is not None and server.process.poll() is None
                failures[name] = 0 if alive and server.healthy() else failures[name] + 1
                if not alive or failures[name] >= HEALTH_FAILURES_BEFORE_RESTART:
                    if self._stop_watch.is_set():
                        return
                    self._restart(i, "exited" if not alive else "stopped answering /_stcore/health")
                    failures[name] = 0

    def _restart(self, index: int, why: str) -> None:
        """Replace replica `index` by a new process on the same port (its cookie still routes to it)."""
        name = self.names[index]
        print(f"replica {name} {why}: restarting it", file=sys.stderr, flush=True)
        with self._lock:
            old = self.replicas[index]
            old.stop()
            server = self._new_replica(old.port, self._env)
            try:
                server.start()
                if self.warm:
                    warm_up(server.url, self.warm_timeout)
            except Exception as exc:  # tried again at the next round
                print(f"replica {name} did not restart: {exc}", file=sys.stderr, flush=True)
            self.replicas[index] = server
            self.restarts[name] = self.restarts.get(name, 0) + 1

    # stop ----------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop nginx (gracefully, then by force), then every replica; remove the run folder."""
        self._stop_watch.set()
        if self._watcher is not None:
            self._watcher.join(timeout=60)
            self._watcher = None
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # finish requests; worker_shutdown_timeout bounds it
            try:
                self.nginx.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(timeout=10)
        with ThreadPoolExecutor(max_workers=max(1, len(self.replicas))) as pool:
            list(pool.map(AppServer.stop, self.replicas))
        if not self.keep_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        elif self._own_cache:
            shutil.rmtree(self.cache_dir, ignore_errors=True)

    def __enter__(self) -> Deployment:
        """Start on entering the block."""
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop on leaving the block."""
        self.stop()


def main() -> None:
    """Serve N replicas behind nginx until interrupted, or print a configuration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2, help="number of app processes (default 2)")
    parser.add_argument("--data", type=Path, help="data folder, or set CPDASH_DATA (default: sample_data)")
    parser.add_argument(
        "--cache", type=Path, help="the shared cache folder (default: .cache/ in the checkout)"
    )
    parser.add_argument(
        "--listen", default="127.0.0.1:0", help="nginx's address (default: a free loopback port)"
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="no request to any outside host (CPDASH_OFFLINE=1; default: as set)",
    )
    parser.add_argument("--no-warm", action="store_true", help="do not load the data before serving")
    parser.add_argument("--watch", type=float, default=10.0, help="seconds between health checks (0: none)")
    parser.add_argument("--print-config", action="store_true", help="print nginx's configuration and exit")
    parser.add_argument(
        "--prefix",
        default="/var/lib/cpdash-nginx",
        help="with --print-config: nginx's folder for its pid, logs/ and tmp/ (default /var/lib/cpdash-nginx)",
    )
    parser.add_argument(
        "--backend",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="with --print-config: a replica's address (repeat for each; default: --replicas on loopback)",
    )
    args = parser.parse_args()

    if args.print_config:
        backends = args.backend or [f"127.0.0.1:{8501 + i}" for i in range(args.replicas)]
        listen = args.listen if not args.listen.endswith(":0") else "8080"
        print(render_config(backends, listen, args.prefix))
        return

    data = args.data if args.data is not None else (os.environ.get("CPDASH_DATA") or None)
    cache = args.cache if args.cache is not None else (os.environ.get("CPDASH_CACHE") or ROOT / ".cache")
    deployment = Deployment(
        args.replicas,
        data,
        cache_dir=cache,
        listen=args.listen,
        offline=args.offline
        or os.environ.get("CPDASH_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"},
        warm=not args.no_warm,
        watch_interval=args.watch or None,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that SIGTERM stops everything too
    with deployment:
        for name, pid in deployment.pids().items():
            seconds = deployment.warm_seconds.get(name)
            warmed = f", data loaded in {seconds:.1f} s" if seconds is not None else ""
            print(f"replica {name}: {deployment.addresses()[name]} (pid {pid}{warmed})", flush=True)
        print(f"serving {deployment.url} (nginx pid {deployment.nginx.pid}); Ctrl-C stops it", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while deployment.nginx.poll() is None:
                time.sleep(1)
        if deployment.nginx.poll() is not None:
            print(f"nginx exited:\n{deployment.nginx_log()}", file=sys.stderr)


if __name__ == "__main__":
    main()
