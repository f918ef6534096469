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

from pathlib import Path  # noqa: E402

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
