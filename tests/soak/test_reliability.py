"""Crash safety: every write is temp + fsync + rename; a SIGKILLed run leaves only complete
files and the next run finishes the job with each document stored once.

Real processes are killed with SIGKILL (no mocks): a writer in the middle of a 300 MB
write, and `newsbridge run` itself in the middle of storing documents.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from faultserver import FaultServer
from soak_support import build_site, check_output, cli_env, last_manifest, sigkill_when, start_run, stored_versions, write_sources
from tasks.store.files import sweep_temp_files, write_atomic

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- write_atomic


def test_sigkill_in_the_middle_of_a_write_keeps_the_old_file(tmp_path):
    """A process killed while writing leaves the previous content intact and a temp file
    the next run's sweep removes."""
    target = tmp_path / "docs" / "a.json"
    write_atomic(target, b'{"old": true}\n')
    script = textwrap.dedent(
        f"""
        import os, signal, sys, threading, time
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from tasks.store.files import write_atomic
        folder = Path({str(target.parent)!r})

        def killer():
            # SIGKILL ourselves as soon as the temp file exists and has started filling.
            while True:
                temps = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
                if temps and temps[0].stat().st_size > 0:
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(0.0005)

        threading.Thread(target=killer, daemon=True).start()
        write_atomic(Path({str(target)!r}), b"x" * 600_000_000)
        print("write finished before the kill")
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, (proc.returncode, proc.stdout, proc.stderr)
    assert target.read_bytes() == b'{"old": true}\n'
    temps = [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    assert len(temps) == 1 and temps[0].name.startswith(".a.json.")
    assert sweep_temp_files(tmp_path) == temps
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.json"]


def test_sweep_leaves_temp_files_of_live_writers_alone(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        folder = tmp_path / "runs"
        folder.mkdir()
        mine = folder / f".stats.json.{os.getpid()}.abc123_x.tmp"
        other_live = folder / f".stats.json.{live.pid}.def456yz.tmp"
        gone = folder / f".stats.json.{dead_pid}.ghi789zz.tmp"
        unrelated = folder / "notes.tmp"  # not ours: never touched
        for p in (mine, other_live, gone, unrelated):
            p.write_bytes(b"partial")
        assert sweep_temp_files(tmp_path) == [gone]
        assert mine.exists() and other_live.exists() and unrelated.exists() and not gone.exists()
    finally:
        live.kill()
        live.wait()


# --------------------------------------------------------------------------- audit

# Direct file writes allowed outside tasks/store/files.py, each with the reason it is safe.
ALLOWED_DIRECT_WRITES = {
    # test packages are assembled in a temp dir, zipped to a ".partial" name, then renamed
    ("tasks/translate/testmodels.py", "train_sentencepiece"),
    ("tasks/translate/testmodels.py", "build_argos_package"),
    # BYO package metadata is written in a staging dir that is renamed into place
    ("tasks/translate/packages.py", "install_byo"),
}


def _direct_writes(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of each write_text/write_bytes/open(..., 'w'|'a'|'x')/json.dump call."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            if isinstance(child, ast.Call):
                fn = child.func
                attr = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
                if attr in ("write_text", "write_bytes"):
                    found.append((func, child.lineno))
                elif attr == "dump" and isinstance(fn, ast.Attribute) and ast.unparse(fn.value) in ("json", "pickle", "yaml"):
                    found.append((func, child.lineno))
                elif attr in ("open", "fdopen") and not (isinstance(fn, ast.Attribute) and ast.unparse(fn.value) in ("os",) and attr == "open"):
                    modes = [a for a in child.args[1:2]] + [k.value for k in child.keywords if k.arg == "mode"]
                    if any(isinstance(m, ast.Constant) and isinstance(m.value, str) and set(m.value) & set("wax+") for m in modes):
                        found.append((func, child.lineno))
            visit(child, name)

    visit(tree, "<module>")
    return found


def test_every_file_write_goes_through_write_atomic():
    """Static audit of tasks/ and flows/: no direct file writes outside tasks/store/files.py
    except the listed, renamed-into-place ones."""
    problems = []
    for path in sorted([*ROOT.glob("tasks/*.py"), *ROOT.glob("flows/*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        for func, line in _direct_writes(path):
            if rel == "tasks/store/files.py" and func == "write_atomic":
                continue
            if (rel, func) in ALLOWED_DIRECT_WRITES:
                continue
            problems.append(f"{rel}:{line} in {func}(): direct file write (use tasks.store.files.write_atomic)")
    assert not problems, "\n".join(problems)


def test_sqlite_stores_write_in_transactions():
    """The fetch state store and the translation memory commit through transactions."""
    for rel in ("tasks/crawl/fetch/state.py", "tasks/translate/memory.py"):
        src = (ROOT / rel).read_text(encoding="utf-8")
        assert "journal_mode" in src and "WAL" in src.upper(), rel
        # every write statement is inside `with conn:` (sqlite3's transaction context) or BEGIN/COMMIT
        assert ("BEGIN IMMEDIATE" in src and "COMMIT" in src) or "with closing(self._connect()) as conn, conn:" in src, rel


# --------------------------------------------------------------------------- the whole run



@pytest.fixture(scope="module")
def run_env(prefect_harness, argos_test_models):
    """Environment for `newsbridge run` subprocesses: the session's test models and the
    harness's Prefect API (no 10 s temporary-server start per run)."""
    from prefect.settings import PREFECT_API_URL

    return cli_env(Path(argos_test_models["packages_dir"]), {"PREFECT_API_URL": str(PREFECT_API_URL.value())})


@pytest.mark.slow
def test_sigkill_while_storing_then_rerun_stores_each_document_once(tmp_path, run_env):
    out = tmp_path / "out"
    with FaultServer() as server:
        site = build_site(server, 80, slow_delay=6.0, timeout=2.0)
        sources = write_sources(tmp_path / "sources.yaml", site, timeout=2.0)
        kinds = site.kinds()
        n_good = sum(1 for k in kinds.values() if k in ("ok", "once503", "slowok"))

        first = start_run(sources, out, run_env, tmp_path / "run1.log")
        seen = sigkill_when(first, out, min_docs=3, max_wait=240)
        log1 = (tmp_path / "run1.log").read_text(errors="replace")
        assert not seen["finished_before_kill"], log1[-3000:]
        partial = stored_versions(out)
        assert 3 <= len(partial) < n_good, f"killed mid-store: {len(partial)} of {n_good} stored"
        # Killed mid-run: whatever exists is complete (valid JSON), and no manifest claims a finished run.
        for p in out.rglob("*.json"):
            json.loads(p.read_text(encoding="utf-8"))
        assert not list(out.glob("runs/*/manifest.json"))

        second = start_run(sources, out, run_env, tmp_path / "run2.log")
        code = second.wait(timeout=300)
        log2 = (tmp_path / "run2.log").read_text(errors="replace")
        assert code == 0, log2[-3000:]
        counts = check_output(out, kinds)
    assert counts["stored_versions"] == n_good
    # Documents stored before the kill were not stored again under another version.
    assert set(partial) <= set(stored_versions(out))
    summary = last_manifest(out)
    assert len(summary["sources"]) == len(kinds)


@pytest.mark.parametrize("store", ["memory", "fetch_state"])
def test_concurrent_first_open_of_the_sqlite_stores(tmp_path, store):
    """The batched translate tasks open the memory at the same moment on the first run;
    SQLite refuses the switch to WAL at once ("database is locked") unless retried."""
    import threading

    from tasks.crawl.fetch.state import FetchStateStore
    from tasks.translate.memory import open_memory

    errors: list[str] = []
    for trial in range(25):
        folder = tmp_path / str(trial)
        barrier = threading.Barrier(4)

        def open_it(i: int) -> None:
            barrier.wait()
            try:
                if store == "memory":
                    open_memory(str(folder / "tm.sqlite")).close()
                else:
                    FetchStateStore(folder / "state.sqlite").put(
                        f"http://x/{i}", sha256="0" * 64, etag=None, last_modified=None, raw_path=None, final_url=None
                    )
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(f"trial {trial}: {exc!r}")

        threads = [threading.Thread(target=open_it, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not errors, errors[:3]


def test_a_full_disk_fails_the_write_cleanly(tmp_path):
    """Out of space mid-write (RLIMIT_FSIZE makes the kernel refuse bytes past a limit, like
    ENOSPC): the error surfaces, the old file is intact and no temp file is left."""
    target = tmp_path / "runs" / "r1" / "manifest.json"
    write_atomic(target, b'{"complete": true}\n')
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from tasks.store.files import write_atomic
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            write_atomic(Path({str(target)!r}), b"y" * 100_000)
        except OSError as exc:
            print("OSError", exc.errno)
            sys.exit(3)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3 and "OSError" in proc.stdout, (proc.stdout, proc.stderr)
    assert target.read_bytes() == b'{"complete": true}\n'
    assert sorted(p.name for p in target.parent.iterdir()) == ["manifest.json"]
