"""Shared fixtures. Prefect's home is a fresh temp dir set BEFORE prefect is imported."""

from __future__ import annotations

import os
import tempfile

_PREFECT_HOME = tempfile.mkdtemp(prefix="newsbridge-prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "90"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import glob  # noqa: E402
import pwd  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test harness (temporary server + SQLite) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def argos_test_models(tmp_path_factory):
    """Tiny real vi→en and zh→en Argos packages, built once per session and installed
    into a temp ARGOS_PACKAGES_DIR (set for the session). Returns a dict with
    `packages_dir`, `archives` {(src, tgt): .argosmodel path} and `packages`
    {(src, tgt): installed package dir}. Their output is nonsense by design."""
    from tasks.translate.packages import install_argosmodel
    from tasks.translate.testmodels import build_test_packages

    root = tmp_path_factory.mktemp("argos-test-models")
    archives = build_test_packages(root / "archives")
    packages_dir = root / "packages"
    previous = os.environ.get("ARGOS_PACKAGES_DIR")
    os.environ["ARGOS_PACKAGES_DIR"] = str(packages_dir)
    installed = {pair: install_argosmodel(path, packages_dir).path for pair, path in archives.items()}
    yield {"packages_dir": packages_dir, "archives": archives, "packages": installed}
    if previous is None:
        os.environ.pop("ARGOS_PACKAGES_DIR", None)
    else:
        os.environ["ARGOS_PACKAGES_DIR"] = previous


# --- a throwaway PostgreSQL cluster (the memory and frontier on PostgreSQL) ---

def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_cluster_owner(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: use the `postgres` account then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="module")
def pg_dsn():
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        # Never a silent skip: `make test` installs them (.ci/apt-packages).
        pytest.fail("PostgreSQL server binaries not found: `apt-get install -y postgresql` (Debian; `make test` installs it)")
    # A private dir directly under the temp root: pytest's tmp dirs are 0700 root-only.
    root = Path(tempfile.mkdtemp(prefix="newsbridge-pg-"))
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data, log = root / "data", root / "server.log"
    with socket.socket() as s:  # names the socket file only; nothing listens on TCP
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = lambda cmd: subprocess.run(_as_cluster_owner(cmd), capture_output=True, text=True, timeout=120)  # noqa: E731
    init = run([initdb, "-D", str(data), "-U", "newsbridge", "-A", "trust", "-E", "UTF8", "--no-sync"])
    assert init.returncode == 0, init.stdout + init.stderr
    options = f"-k {root} -p {port} -c listen_addresses='' -c fsync=off"
    start = run([pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"])
    assert start.returncode == 0, start.stdout + start.stderr + (log.read_text() if log.exists() else "")
    try:
        yield f"postgresql://newsbridge@/postgres?host={root}&port={port}"
    finally:
        run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)



# --- a real `prefect server start` (deployments, work pools, events) ---

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, check, timeout: float, proc: subprocess.Popen | None = None, log: Path | None = None):
    """Poll `check()` until it returns something truthy; fail with the process log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what}: process exited with {proc.returncode}\n{log.read_text() if log else ''}")
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{log.read_text()[-4000:] if log else ''}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """A real `prefect server start` on 127.0.0.1:<free port> with its own home and SQLite."""
    tmp_path = tmp_path_factory.mktemp("prefect-server")
    home = tmp_path / "server-home"
    home.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        # Let the scheduler put the cron runs on the calendar within seconds, not a minute.
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    }
    env.pop("PREFECT_API_URL", None)
    log = tmp_path / "server.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
        )
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait("prefect server health", lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 120, proc, log)
        yield api
    finally:
        _stop(proc)



@pytest.fixture()
def outlet_yaml():
    """A sources.yaml text with one outlet `site`: outlet_yaml({"vi": URL, ...}, max_new_per_run=1)."""
    import json

    def make(editions: dict[str, str], **extra: object) -> str:
        lines = ["outlets:", "  - id: site", "    editions:"] + [f"      {k}: {v}" for k, v in editions.items()]
        lines += [f"    {k}: {json.dumps(v)}" for k, v in extra.items()]
        return "\n".join(lines) + "\n"

    return make
