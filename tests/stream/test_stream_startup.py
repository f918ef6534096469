"""What a run does before and around its first page (issue 15, the polite overlap).

1. A shard starts its extraction worker processes only when fetched pages queue up
   behind its own thread: a polite host (a page every 0.3 s) never pays their start-up,
   a fast one gets them. Both on a loopback site, through the real stream and Fetcher.
2. `flows.quiet.start_temporary_server` starts Prefect's temporary server before Prefect
   is imported and hands it to Prefect's `SubprocessASGIServer`, whose instance the
   flow's client uses: a real server process that answers, stopped at the end.
"""

from __future__ import annotations

from pathlib import Path

from faultserver import FaultServer, html_page  # tests/ is on sys.path

PARAS = [
    "The city council approved a new budget for public transport on Monday evening.",
    "Officials said the plan would add more buses to the busiest routes next year.",
    "Residents welcomed the decision but asked for better service at night.",
]


def _shard(tmp_path: Path, n: int, delay: float, workers: int):
    from tasks.crawl.fetch import Fetcher, request_for
    from tasks.models import FetchDefaults, Provenance, Source
    from tasks.settings import get_settings
    from tasks.stream.stream import ShardRun, run_shard

    with FaultServer(host="127.0.0.1") as srv:
        srv.robots("User-agent: *\nAllow: /\n")
        sources = [
            Source(id=f"p{i}", url=srv.page(f"/n/{i}.html", html_page(f"Budget {i}", [f"{p} ({i})" for p in PARAS], lang="en")), lang="en")
            for i in range(n)
        ]
        defaults = FetchDefaults(min_delay_seconds=delay, per_host_concurrency=1 if delay else 8, timeout_seconds=20)
        run = ShardRun(
            output_dir=tmp_path / "out",
            run_id="r1",
            pivot="en",
            tm_location=str(tmp_path / "tm.sqlite"),
            provenance=Provenance(newsbridge="test", extractor="e", detector="d", run_id="r1"),
            fetch_threads=8,
            process_workers=workers,
        )
        with Fetcher(defaults, tmp_path / "out", settings=get_settings(), run_id="r1") as fetcher:
            return run_shard("s1", sources, fetcher, run)


def test_polite_host_keeps_extraction_in_the_shard_thread(tmp_path):
    record = _shard(tmp_path, n=6, delay=0.3, workers=2)
    assert [o.status for o in record.outcomes] == ["new"] * 6
    assert record.process_workers == 0


def test_fast_host_starts_the_worker_processes(tmp_path):
    record = _shard(tmp_path, n=60, delay=0.0, workers=2)
    assert [o.status for o in record.outcomes] == ["new"] * 60
    assert record.process_workers == 2
    # and with none configured, none are started however fast pages come
    record = _shard(tmp_path / "again", n=30, delay=0.0, workers=0)
    assert record.process_workers == 0
    assert [o.status for o in record.outcomes] == ["new"] * 30


EARLY_SERVER = """
import httpx
from flows.quiet import start_temporary_server
wait = start_temporary_server()
wait()
from prefect.server.api.server import SubprocessASGIServer
server = SubprocessASGIServer()
assert server.running and server.server_process is not None
assert httpx.get(f"{server.api_url}/health", timeout=10).status_code == 200
process = server.server_process
server.start()  # Prefect's own start finds it running and starts nothing else
assert server.server_process is process
from prefect import flow
@flow
def hello() -> int:
    return 42
assert hello() == 42  # a flow run on it, through Prefect's own client
server.stop()
assert process.poll() is not None
print("ok")
"""


def test_temporary_server_started_early_is_the_one_prefect_uses(tmp_path):
    # Its own process: this session's tests share one Prefect test server (conftest),
    # which must not be the one started or stopped here.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", EARLY_SERVER], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().startswith("ok")


def test_no_temporary_server_when_an_api_url_is_set(monkeypatch):
    import subprocess

    from flows.quiet import start_temporary_server

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a))
    start_temporary_server()()
    assert started == []


# 3. A local run's first pages are fetched while Prefect's temporary server starts
#    (flows/early.py), on the Fetcher the flow's first shard then takes: each page is
#    requested once, and the documents are stored by the flow with its run's ids.


PARAS_VI = [
    "Hội đồng thành phố đã thông qua ngân sách mới cho giao thông công cộng vào tối thứ Hai.",
    "Các quan chức cho biết kế hoạch sẽ bổ sung thêm xe buýt cho các tuyến đông nhất vào năm tới.",
    "Người dân hoan nghênh quyết định nhưng đề nghị cải thiện dịch vụ vào ban đêm.",
]


def _polite_site(srv: FaultServer, n: int, tmp_path: Path, delay: float = 0.2) -> Path:
    srv.robots("User-agent: *\nAllow: /\n")
    lines = ["defaults:", f"  min_delay_seconds: {delay}", "  per_host_concurrency: 1", "sources:"]
    for i in range(n):
        lang, paras = ("en", PARAS) if i % 2 else ("vi", PARAS_VI)
        url = srv.page(f"/n/{i}.html", html_page(f"{paras[0][:20]} {i}", [f"{p} ({i})" for p in paras], lang=lang))
        lines += [f"  - id: p{i}", f"    url: {url}", f"    lang: {lang}"]
    path = tmp_path / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_fetched_ahead_is_handed_out_once_and_never_requested_again(tmp_path):
    from tasks.crawl.fetch import Fetcher, request_for
    from tasks.models import FetchDefaults, Source

    with FaultServer(host="127.0.0.1") as srv:
        srv.robots("User-agent: *\nAllow: /\n")
        urls = [srv.page(f"/a/{i}.html", html_page(f"Budget {i}", PARAS, lang="en")) for i in range(4)]
        sources = [Source(id=f"p{i}", url=u, lang="en") for i, u in enumerate(urls)]
        defaults = FetchDefaults(min_delay_seconds=0.1, per_host_concurrency=1, timeout_seconds=20)
        with Fetcher(defaults, tmp_path / "out") as fetcher:
            fetcher.fetch_ahead([request_for(s, fetcher.defaults) for s in sources[:3]])
            results = [fetcher.fetch(request_for(s, fetcher.defaults)) for s in sources]
            assert [r.outcome for r in results] == ["fetched"] * 4
            assert [r.url for r in results] == urls
            assert fetcher.ahead_used == 3
            # Taken once: asking again requests the page again.
            assert fetcher.fetch(request_for(sources[0], fetcher.defaults)).outcome == "fetched"
            # An id fetched ahead for another URL is not handed out for this one.
            fetcher.fetch_ahead([request_for(s, fetcher.defaults) for s in [Source(id="x", url=urls[1], lang="en")]])
            other = fetcher.fetch(request_for(Source(id="x", url=urls[2], lang="en"), fetcher.defaults))
            assert other.url == urls[2]
        counts = [srv.count(f"/a/{i}.html") for i in range(4)]
        # /a/1 for "x": requested, or cancelled before it started (both are fine)
        assert counts[0] == 2 and counts[1] in (1, 2) and counts[2:] == [2, 1]
        assert srv.count("/robots.txt") == 1


def test_fetching_ahead_stops_at_its_byte_budget(tmp_path, monkeypatch):
    import tasks.crawl.fetch.ahead
    from tasks.crawl.fetch import Fetcher, request_for
    from tasks.models import FetchDefaults, Source

    monkeypatch.setattr(tasks.crawl.fetch.ahead, "AHEAD_BYTES", 1)  # one page fills it
    with FaultServer(host="127.0.0.1") as srv:
        srv.robots("User-agent: *\nAllow: /\n")
        sources = [Source(id=f"p{i}", url=srv.page(f"/c/{i}.html", html_page("C", PARAS, lang="en")), lang="en") for i in range(3)]
        defaults = FetchDefaults(min_delay_seconds=0.05, per_host_concurrency=1, timeout_seconds=20)
        with Fetcher(defaults, tmp_path / "out") as fetcher:
            fetcher.fetch_ahead([request_for(s, fetcher.defaults) for s in sources])
            import time

            time.sleep(1.0)  # the first page is in; the budget turned the other two away
            results = [fetcher.fetch(request_for(s, fetcher.defaults)) for s in sources]
            assert [r.outcome for r in results] == ["fetched"] * 3
            assert fetcher.ahead_used == 1  # the others were left to be fetched when asked for
        assert [srv.count(f"/c/{i}.html") for i in range(3)] == [1, 1, 1]


def test_fetched_ahead_and_never_taken_is_not_committed(tmp_path):
    from tasks.crawl.fetch import Fetcher, request_for
    from tasks.models import FetchDefaults, Source

    with FaultServer(host="127.0.0.1") as srv:
        srv.robots("User-agent: *\nAllow: /\n")
        sources = [Source(id=f"p{i}", url=srv.page(f"/b/{i}.html", html_page("B", PARAS, lang="en")), lang="en") for i in range(3)]
        defaults = FetchDefaults(min_delay_seconds=0.5, per_host_concurrency=1, timeout_seconds=20)
        fetcher = Fetcher(defaults, tmp_path / "out")
        fetcher.fetch_ahead([request_for(s, fetcher.defaults) for s in sources])
        fetcher.close()  # waits for the fetch under way, drops the rest
        assert srv.count("/b/2.html") == 0
        # Nothing was committed: the next run fetches the pages as new, not "not_modified".
        with Fetcher(defaults, tmp_path / "out") as again:
            assert again.fetch(request_for(sources[0], again.defaults)).outcome == "fetched"


def test_local_run_takes_the_pages_fetched_while_prefect_started(prefect_harness, argos_test_models, tmp_path):
    from flows.early import discard, start_early_fetch
    from flows.nightly import nightly_crawl

    with FaultServer(host="127.0.0.1") as srv:
        sources = _polite_site(srv, 6, tmp_path)
        out = tmp_path / "out"
        try:
            assert start_early_fetch(sources, None, False, out, since=None, runner=None) == 6
            import flows.early
            import time

            early = flows.early._early
            assert early is not None
            deadline = time.monotonic() + 60
            # Prefect's start-up, as it were: the pages are fetched and translated ahead.
            # (A page the shard asks for before its fetch ahead started is fetched then:
            # waiting for all six makes the count below exact on a loaded machine.)
            while time.monotonic() < deadline and not (
                early.fresh and all(f.done() for f in early.fetcher.ahead.pending())
            ):
                time.sleep(0.1)
            assert early.fresh
            summary = nightly_crawl(sources_file=str(sources), output=str(out))
        finally:
            discard()
        assert summary["new"] == 6 and summary["fetched_early"] == 6
        assert [srv.count(f"/n/{i}.html") for i in range(6)] == [1] * 6
        assert srv.count("/robots.txt") == 1
        # The documents carry the flow run's ids, as any stored document does.
        docs = [p for p in (out / "docs").rglob("*.json") if p.name != "latest.json"]
        import json

        records = [json.loads(p.read_text()) for p in docs]
        provenance = [r["provenance"] for r in records]
        assert len(provenance) == 6 and all(p["flow_run_id"] and p["run_id"] == summary["run_id"] for p in provenance)
        # What was translated ahead is in the memory, and recorded and counted as
        # translated fresh in this run, as if the shard had translated it itself.
        translated = [s["translation"] for r in records for s in r["segments"] if s["translation"] and s["translation"]["model"] != "copy"]
        assert translated and not any(t["from_memory"] for t in translated)
        assert summary["translated_from_memory"] == 0 and summary["translated_fresh"] == len(translated)

        # A rerun of a day (--since) drops finished sources first: nothing is fetched early.
        assert start_early_fetch(sources, None, False, out, since="2026-01-01", runner=None) == 0
        # Nor for another runner (its shards fetch in other processes).
        assert start_early_fetch(sources, None, False, out, since=None, runner="dask") == 0
