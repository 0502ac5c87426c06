"""Two replicas behind nginx on loopback (scripts/replicas.py), loaded by benchmarks/loadgen.py's sessions.

Skipped without nginx, except under CI (CI set), where .ci/run installs it and a missing nginx fails.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT / "scripts", ROOT / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from loadgen import routing_mismatches, run_phase, summarise, websockets_by_upstream  # noqa: E402
from replicas import Deployment, nginx_binary, render_config  # noqa: E402
from stclient import http_request  # noqa: E402

pytestmark = pytest.mark.deploy

MISSING_NGINX = "nginx is missing: install Debian's nginx (apt-get install nginx; .ci/run does)"
if nginx_binary() is None and not os.environ.get("CI"):
    pytest.skip(MISSING_NGINX, allow_module_level=True)

SESSIONS = 12


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory):
    """Two replicas of the sample data sharing one cache, nginx in front, a watchdog every second."""
    if nginx_binary() is None:
        pytest.fail(f"CI is set and {MISSING_NGINX}", pytrace=False)
    with Deployment(2, cache_dir=tmp_path_factory.mktemp("cache"), watch_interval=1.0) as running:
        yield running


def route_cookie(response) -> str | None:
    """The routing cookie a response sets, if any."""
    for header in response.all("set-cookie"):
        if header.startswith("cpdash_route="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return None


def test_the_rendered_configuration() -> None:
    """Every replica has its own upstream with the others as backups; the cookie names replicas."""
    text = render_config(["10.0.0.1:8501", "10.0.0.2:8501"], "8080", "/srv/nginx", max_body_mb=50)
    assert "least_conn;" not in text and "client_max_body_size 51m;" in text  # new visitors in turn
    health = text.split("location = /_stcore/health {")[1].split("}")[0]
    assert "proxy_pass http://$cpdash_upstream;" in health  # a browser's own checks never turn the pool
    assert "server 10.0.0.2:8501 max_fails=2 fail_timeout=10s backup;" in text.split("upstream cpdash_r0")[1]
    assert "r1 cpdash_r1;" in text and '"~(^|, )10\\.0\\.0\\.2:8501$" r1;' in text
    assert "{{" not in text.split("http {")[1]


def test_sessions_through_nginx_stay_with_their_replica(deployment: Deployment) -> None:
    """12 sessions open the Overview and change a filter through nginx (after 2 that set the memory
    baseline): no error, and every request of a session reaches the replica its websocket reached."""
    assert set(deployment.warm_seconds) == {"r0", "r1"}  # each loaded the data before nginx took visitors
    phase = asyncio.run(
        run_phase(deployment.url, SESSIONS, 3.0, change="mixed", timeout=240, pids=deployment.pids(), warm=2)
    )
    assert len(phase.records) == SESSIONS and phase.warm == 2  # the first two are not in the figures
    assert all(r.ok and r.changed for r in phase.warm_records)
    failures = [r.as_dict() for r in phase.records if not r.ok]
    assert not failures, failures
    assert all(r.affinity == 204 for r in phase.records)  # each session's upload reached its own process
    assert all(r.changed for r in phase.records)  # each filter change changed the page
    routes = {r.route for r in phase.records}
    # New visitors go to each replica in turn: sessions arriving one after another are shared out evenly
    # (a visitor's health checks once turned the pool too, and every visitor then landed on r0).
    by_route = {name: sum(r.route == name for r in phase.records) for name in ("r0", "r1")}
    assert routes == {"r0", "r1"} and min(by_route.values()) >= SESSIONS // 3, by_route

    deadline = time.monotonic() + 10  # nginx logs a websocket when it closes
    everyone = phase.records + phase.warm_records
    addresses = deployment.addresses()
    while sum(websockets_by_upstream(deployment.access_log(), addresses).values()) < len(everyone):
        assert time.monotonic() < deadline, deployment.access_log()[-5:]
        time.sleep(0.2)
    log = deployment.access_log()
    served = websockets_by_upstream(log, deployment.addresses())
    every_route = routes | {r.route for r in phase.warm_records}
    assert served == dict(sorted((name, sum(r.route == name for r in everyone)) for name in every_route))
    assert routing_mismatches(log, deployment.addresses()) == []
    assert {line["route"] for line in log if "/_stcore/upload_file/" in line["request"]} == routes

    summary = summarise(phase, SESSIONS, 3.0)
    assert summary["errors"] == 0 and summary["page_p95_s"] is not None
    assert set(summary["rss_open_mb"]) == {"r0", "r1"} and summary["mb_per_session"] is not None
    assert summary["warm_sessions"] == 2 and summary["warm_errors"] == 0


def test_a_replica_that_goes_down(deployment: Deployment) -> None:
    """Its visitors are served by the other replica (the cookie follows), and the watchdog restarts it."""

    async def get(cookie: str | None = None):
        headers = {"Cookie": f"cpdash_route={cookie}"} if cookie else {}
        return await http_request(f"{deployment.url}/", headers=headers, timeout=30)

    assert route_cookie(asyncio.run(get("r1"))) is None  # r1 answers its own visitors: nothing to change
    r1 = deployment.replicas[1]
    r1.process.terminate()
    r1.process.wait(timeout=30)
    moved = asyncio.run(get("r1"))
    assert moved.status == 200 and route_cookie(moved) == "r0"

    deadline = time.monotonic() + 180
    while not (deployment.restarts.get("r1") and deployment.replicas[1].healthy()):
        assert time.monotonic() < deadline, "the watchdog did not bring r1 back"
        time.sleep(0.5)
    back = asyncio.run(get("r1"))
    assert back.status == 200 and route_cookie(back) is None  # served by r1 again
