"""Soak and crash-safety support shared by tests/soak/test_soak.py, tests/soak/test_reliability.py and bench/soak.py.

A loopback site of many small articles sprinkled with faults (5xx, connection resets,
503-then-OK, slow but fine, too slow, 404), a sources file for it, the real CLI run in a
subprocess that can be SIGKILLed mid-run, and one function that checks every promise
about the output directory afterwards. Nothing here fakes the product: the pages go
over real sockets, the flow is the real `newsbridge run`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from faultserver import FaultServer, Route, html_page  # tests/ is on sys.path (rootdir-less import)

ROOT = Path(__file__).resolve().parents[1]

# kind -> (expected status set in the final manifest, expected reason or None)
STORED = {"new", "changed", "unchanged"}
EXPECT: dict[str, tuple[set[str], str | None]] = {
    "ok": (STORED, None),
    "once503": (STORED, None),  # 503 then 200: the retry stores it
    "slowok": (STORED, None),  # answers after a short delay, inside the timeout
    "500": ({"rejected"}, "http_5xx"),
    "503": ({"rejected"}, "http_5xx"),
    "reset": ({"rejected"}, "connection_error"),
    "slow": ({"rejected"}, "timeout"),
    "404": ({"rejected"}, "http_404"),
}

# One cycle of 20 pages: 12 good (incl. 2 that fail once and 1 slow-but-fine), 8 faults.
CYCLE = ["ok"] * 9 + ["once503"] * 2 + ["slowok"] + ["500", "503", "500", "503", "reset", "reset", "404", "slow"]

_VI = [
    "Hội thảo hợp tác khoa học công nghệ giữa Việt Nam và Quảng Tây lần thứ {i} đã diễn ra tại Hà Nội.",
    "Các đại biểu thảo luận về chuyển giao công nghệ, đào tạo nhân lực và đổi mới sáng tạo trong năm {i}.",
    "Hai bên thống nhất thúc đẩy các dự án nghiên cứu chung trong lĩnh vực nông nghiệp và y tế.",
]
_EN = [
    "Delegates from both sides met for the {i}th science and technology cooperation forum in Hanoi.",
    "They discussed technology transfer, human resources training and innovation programmes for year {i}.",
    "Both sides agreed to promote joint research projects in agriculture and public health.",
]
_ZH = [
    "第{i}届中越科技合作论坛在河内举行，双方代表出席了会议。",
    "与会代表就技术转让、人才培养和创新合作等议题进行了深入讨论。",
    "双方同意在农业和公共卫生领域推动更多联合研究项目。",
]


def article(i: int) -> bytes:
    """A small, distinct, extractable article in vi, en or zh (round robin)."""
    lang, paras = [("vi", _VI), ("en", _EN), ("zh", _ZH)][i % 3]
    title = paras[0].format(i=i)[:60]
    return html_page(title, [p.format(i=i) for p in paras], lang=lang).encode("utf-8")


@dataclass
class SoakSite:
    server: FaultServer
    sources: list[tuple[str, str, str]] = field(default_factory=list)  # (id, url, kind)

    def kinds(self) -> dict[str, str]:
        return {sid: kind for sid, _, kind in self.sources}


def build_site(server: FaultServer, n: int, slow_delay: float, timeout: float) -> SoakSite:
    """n sources on `server`, kinds cycling through CYCLE."""
    site = SoakSite(server)
    server.robots("User-agent: *\nAllow: /\n")
    for i in range(n):
        kind = CYCLE[i % len(CYCLE)]
        path = f"/news/{i}.html"
        body = article(i)
        if kind == "ok":
            url = server.page(path, body)
        elif kind == "once503":
            url = server.add(path, Route(status=503, body=b"busy", headers={"Retry-After": "0"}), Route(body=body))
        elif kind == "slowok":
            url = server.add(path, Route(body=body, delay=min(0.3, timeout / 4)))
        elif kind == "slow":
            url = server.add(path, Route(body=body, delay=slow_delay))
        elif kind in ("500", "503"):
            url = server.add(path, Route(status=int(kind), body=b"<html><body>boom</body></html>"))
        elif kind == "reset":
            url = server.add(path, Route(reset=True))
        elif kind == "404":
            url = server.add(path, Route(status=404, body=b"<html><body>no</body></html>"))
        else:  # pragma: no cover - CYCLE and this switch are written together
            raise ValueError(kind)
        site.sources.append((f"soak-{i:04d}-{kind}", url, kind))
    return site


def write_sources(path: Path, site: SoakSite, *, timeout: float, per_host: int = 8) -> Path:
    lines = [
        "defaults:",
        "  min_delay_seconds: 0",
        f"  per_host_concurrency: {per_host}",
        f"  timeout_seconds: {timeout}",
        "sources:",
    ]
    for sid, url, _ in site.sources:
        lines += [f"  - id: {sid}", f"    url: {url}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli_env(models_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(models_dir), "PYTHONUNBUFFERED": "1"}
    env.update(extra or {})
    return env


def start_run(sources: Path, output: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`newsbridge run` in its own process group (so a kill can take its children too)."""
    with open(log, "ab") as fh:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--output", str(output), "--json"],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stored_versions(output: Path) -> list[Path]:
    docs = output / "docs"
    return sorted(docs.glob("*/*/*.json")) if docs.is_dir() else []


def sigkill_when(proc: subprocess.Popen, output: Path, *, min_docs: int, max_wait: float) -> dict[str, float | int]:
    """SIGKILL the run (whole process group) once `min_docs` document versions exist,
    or after `max_wait` seconds, whichever first. Returns what was seen at the kill."""
    t0 = time.monotonic()
    seen = 0
    while time.monotonic() - t0 < max_wait and proc.poll() is None:
        seen = len(stored_versions(output))
        if seen >= min_docs:
            break
        time.sleep(0.1)
    finished_before_kill = proc.poll() is not None
    kill_group(proc)
    return {"docs_at_kill": seen, "seconds": round(time.monotonic() - t0, 1), "finished_before_kill": int(finished_before_kill)}


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


class TreeRSS:
    """Polls /proc for the summed RSS of a process and its descendants; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(children.get(p, []))
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for p in self._tree():
                try:
                    for line in Path(f"/proc/{p}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                except OSError:
                    pass
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self.interval)


def last_manifest(output: Path) -> dict:
    """The manifest of the newest run (run ids start with a UTC timestamp)."""
    runs = sorted(p for p in (output / "runs").glob("*/manifest.json"))
    assert runs, f"no run records under {output}"
    return json.loads(runs[-1].read_text(encoding="utf-8"))


def check_output(output: Path, kinds: dict[str, str]) -> dict[str, int]:
    """Every promise about a finished output directory; raises AssertionError naming the first broken one.

    - the last manifest has every source exactly once;
    - each fault kind ended with its expected status and reason (every 5xx: rejected, http_5xx);
    - every good page is stored exactly once (one version file under docs/<id>/<doc>/), its
      manifest entry points at it and the latest pointer agrees;
    - no fault source has a stored document;
    - every *.json file under output is valid JSON, every *.jsonl line too;
    - no temp file (*.tmp, .*.tmp) is left anywhere.
    """
    manifest = last_manifest(output)
    ids = [s["id"] for s in manifest["sources"]]
    assert len(ids) == len(set(ids)), "a source has more than one outcome in the manifest"
    assert set(ids) == set(kinds), f"missing from manifest: {sorted(set(kinds) - set(ids))[:10]}; extra: {sorted(set(ids) - set(kinds))[:10]}"
    by_id = {s["id"]: s for s in manifest["sources"]}
    counts: dict[str, int] = {}
    versions = stored_versions(output)
    per_source: dict[str, list[Path]] = {}
    for v in versions:
        per_source.setdefault(v.parent.parent.name, []).append(v)
    for sid, kind in kinds.items():
        statuses, reason = EXPECT[kind]
        o = by_id[sid]
        assert o["status"] in statuses, f"{sid}: status {o['status']} ({o.get('reason')}: {o.get('detail')}), expected {statuses}"
        counts[o["status"]] = counts.get(o["status"], 0) + 1
        if reason is not None:
            assert o["reason"] == reason, f"{sid}: reason {o['reason']!r}, expected {reason!r} ({o.get('detail')})"
            assert sid not in per_source, f"{sid}: a fault source has stored documents"
        else:
            files = per_source.get(sid, [])
            assert len(files) == 1, f"{sid}: {len(files)} stored versions, expected exactly 1: {files}"
            rel = files[0].relative_to(output).as_posix()
            assert o["document"] == rel, f"{sid}: manifest points at {o['document']}, stored {rel}"
            pointer = json.loads((output / "docs" / sid / "latest.json").read_text(encoding="utf-8"))
            assert pointer["path"] == rel
    stray = set(per_source) - set(kinds)
    assert not stray, f"documents stored for unknown sources: {sorted(stray)[:5]}"
    n_json = 0
    for p in output.rglob("*.json"):
        json.loads(p.read_text(encoding="utf-8"))
        n_json += 1
    for p in output.rglob("*.jsonl"):
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                json.loads(line)
    temps = [p for p in output.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name or p.name.endswith("-journal")]
    assert not temps, f"temp files left: {temps[:5]}"
    counts["json_files"] = n_json
    counts["stored_versions"] = len(versions)
    return counts
