"""The nightly flow: plan shards, run them, merge their records, publish the run.

Flows compose, tasks compute: the pages of a night are planned into shards
(tasks/crawl/shards.py); each shard is one Prefect task run in this process (default), on a
Dask cluster, or a child flow run of the shard deployment on a work pool
(flows/shard.py); inside a shard pages stream through fetch → process → translate →
store (tasks/stream/stream.py). Only small things cross Prefect: the shard's source list in,
a few counters out; the outcomes come back through the shard records on disk, from
which this module writes the run's manifest, stats and Prefect artifacts.
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext
from prefect.runtime import flow_run
from prefect.states import Failed, State
from prefect.task_runners import ThreadPoolTaskRunner

from flows.shard import close_run_fetcher, run_shard_here, run_shards_on_pool
from tasks import __version__
from tasks.crawl.discover import Plan, listed_discovery
from tasks.models import Provenance
from tasks.settings import get_settings
from tasks.crawl.shards import RunPlan, Shard, plan_shards
from tasks.crawl.sources import select_outlets, select_sources
from tasks.night.health import outlet_health_task
from tasks.night.learn import learn_from_archive
from tasks.night.merge import after_shards, merge_shards, run_meta
from tasks.night.outputs import export_task
from tasks.night.params import check_parameters, run_day, run_kind, run_name
from tasks.night.summary import publish_artifacts, run_count_line, shard_count_lines
from tasks.stream.stream import read_shard_record
from tasks.translate.quality import night_mt_quality


class FlowFailed(RuntimeError):
    """Raised at the end of a run in which some source failed unexpectedly."""


# --------------------------------------------------------------------------- runners and progress


def task_runner_for(spec: str | None) -> Any:
    """`threads` / `threads:N` (default) or `dask` (local cluster) / `dask:ADDRESS` (a running scheduler).

    The runner runs shards (never pages): in-process threads by default; Dask worker
    processes take whole shards, each with its own fetcher on the shared per-host limits.
    """
    kind, _, arg = (spec or "threads").partition(":")
    if kind == "threads":
        return ThreadPoolTaskRunner(max_workers=int(arg) if arg else get_settings().global_fetch_concurrency)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if arg:
            return DaskTaskRunner(address=spec.split(":", 1)[1])
        return DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 4, "processes": True})
    raise ValueError(f"unknown runner {spec!r}: use threads[:N] or dask[:ADDRESS]")


def _in_process_runner() -> bool:
    """True when tasks run as threads of this process (per-host gates in one Fetcher hold)."""
    ctx = FlowRunContext.get()
    return ctx is None or isinstance(ctx.task_runner, ThreadPoolTaskRunner)


# Progress callback (stage, done, total) for a local `newsbridge run`; None when served.
_progress: Callable[[str, int, int], None] | None = None


@contextmanager
def progress_to(callback: Callable[[str, int, int], None]) -> Iterator[None]:
    """Report stage progress of runs started in this process to `callback`."""
    global _progress
    previous, _progress = _progress, callback
    try:
        yield
    finally:
        _progress = previous


class _PageCounter:
    """Pages through each stage (fetch, process, translate, store) of this run, in this process."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done: Counter[str] = Counter()
        self.lock = threading.Lock()
        for stage in ("fetch", "process", "translate", "store"):
            self._report(stage)

    def _report(self, stage: str) -> None:
        if _progress is not None:
            _progress(stage, self.done[stage], self.total)

    def __call__(self, stage: str) -> None:
        with self.lock:
            self.done[stage] += 1
            self._report(stage)


# --------------------------------------------------------------------------- the shard unit


@task(name="shard", cache_policy=NONE, task_run_name="shard {shard.id}")
def shard_task(
    shard: Shard, plan: RunPlan, in_process: bool = True, tick: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Stream one shard (tasks/stream/stream.py); its record (outcomes, counters) is also on disk."""
    record = run_shard_here(shard, plan, in_process, tick)
    return {"shard": record.shard, **record.stats}


# --------------------------------------------------------------------------- flow


def _scheduled_start() -> datetime:
    """When this run was meant to start (the schedule's slot for scheduled runs), else now."""
    start = flow_run.scheduled_start_time if flow_run.id else None
    return start or datetime.now(timezone.utc)


def _run_day(since: date | str | None = None) -> str:
    """The day a run works for: `since` on reruns of a day, else the scheduled day in the schedule's timezone."""
    if since:
        return str(since)[:10]
    return run_day(_scheduled_start(), get_settings().timezone)


def _run_name() -> str:
    return run_name(flow_run.parameters or {}, _scheduled_start(), get_settings().timezone)


def _make_run_id() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run = (flow_run.id or "local")[:8]
    return f"{stamp}-{run}"


@flow(
    name="nightly-crawl",
    flow_run_name=_run_name,
    task_runner=task_runner_for(get_settings().runner),
    log_prints=True,
)
def nightly_crawl(
    sources_file: str = "sources.yaml",
    only: list[str] | None = None,
    force: bool = False,
    pivot: str = "en",
    output: str = "output",
    since: date | None = None,
    refresh_days: int | None = None,
    export: bool = True,
) -> Any:
    """Discover, fetch, extract, translate, align and store every source; then export what changed.

    Args:
        sources_file: The sources file (YAML) on the machine that runs the flow: its listed
            sources and outlets are the night's work.
        only: Run only these ids (listed sources or outlets of the sources file). Empty: every
            source and outlet.
        force: Fetch and process pages again even when they did not change (translations
            still come from the memory).
        pivot: The language every document is translated into (a language code, e.g. en).
        output: The output directory on the machine that runs the flow: documents, run
            records and the translators' exports.
        since: A day (YYYY-MM-DD) in the schedule's timezone (the deployment's description
            names it): skip sources already finished in runs started on or after that
            day's midnight there, to finish a failed night. Empty: skip none.
        refresh_days: Outlets only: request again (conditionally) an article stored more
            than this many whole days (24-hour periods before the run) ago. Empty: never.
        export: When the run ends, write the translators' outputs for what changed:
            review pages, TMX per language pair, XLIFF per new or changed document (under
            output/export/). Off: none.
    """
    from tasks.crawl.reruns import drop_finished
    from tasks.store.files import sweep_temp_files, write_run_records

    logger = get_run_logger()
    settings = get_settings()
    params = {"only": only, "since": since, "force": force}
    kind, day = run_kind(params), _run_day(since)
    checked = check_parameters(sources_file, only, since, refresh_days)
    if checked.problems or checked.cfg is None:
        return _refuse(checked.message, kind, day)
    cfg = checked.cfg
    out = Path(output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    # Temp files of a killed run (their writer is gone) would otherwise stay forever.
    for stale in sweep_temp_files(out):
        logger.info("removed temp file of a killed run: %s", stale)
    selected, skipped = drop_finished(select_sources(cfg, only), out, since, settings.timezone)
    run_id = _make_run_id()
    started = datetime.now(timezone.utc)
    # Outlets -> frontier -> tonight's discovered articles (tasks/crawl/discover.py);
    # listed sources on an outlet's edition are marked `via: listed` so they can be paired.
    discovery = _plan_outlets(cfg, only, out, run_id, force, refresh_days)
    selected = [listed_discovery(cfg, s) for s in selected] + discovery.sources
    shards = plan_shards(selected, settings.shard_max_pages)
    mode = _shard_mode(settings.shard_deployment)
    if mode != "in-process":
        from flows.limits import ensure_host_limits

        ensure_host_limits(selected, cfg.defaults)
    logger.info("run %s: %d source(s) in %d shard(s) (%s) → %s", run_id, len(selected), len(shards), mode, out)
    if skipped:
        logger.info("since %s: %d source(s) already finished, skipped: %s", since, len(skipped), ", ".join(skipped))
    plan = _run_plan(run_id, out, force, pivot, cfg.defaults)

    error: BaseException | None = None
    try:
        if mode == "deployment":
            error = _run_shards_on_pool(shards, plan, settings.shard_deployment or "")
        else:
            error = _run_shards_here(shards, plan, in_process=mode == "in-process")
    finally:
        close_run_fetcher(run_id)
        records = {s.id: read_shard_record(out, run_id, s.id) for s in shards}
        for line in shard_count_lines(records):
            logger.info(line)
        summary, ordered, rejections = merge_shards(run_id, selected, shards, records, skipped, error)
        # The frontier learns every outcome, tonight's versions are paired with each other
        # and earlier nights', every discovery decision is listed.
        ordered, rejections = after_shards(out, summary, ordered, rejections, selected, discovery, plan, error)
        summary["mt_quality"] = night_mt_quality(out, ordered, summary.get("stories", []))  # MT vs human versions
        summary["learned"] = learn_from_archive(out, settings.tm_location(out), skip=error is not None)  # issue 24
        logger.info(run_count_line(summary))
        run_dir = write_run_records(
            out,
            run_id,
            outcomes=ordered,
            stats=summary,
            rejections=rejections,
            meta=run_meta(flow_run.id, started, shards, discovery, skipped, sources_file=str(sources_file), only=only,
                          force=force, pivot=pivot, since=str(since) if since else None, refresh_days=refresh_days),
        )
        exported = export_task(out) if export and settings.export_after_run else None
        health = outlet_health_task(out, cfg, only, run_id, day, kind, ordered, summary)
        publish_artifacts(summary, ordered, run_dir, out, day, kind, skipped, exported, health)
    if error is not None:
        raise error

    failed = [o for o in ordered if o.status == "failed"]
    if failed:
        raise FlowFailed(
            f"{len(failed)} source(s) failed: "
            + ", ".join(f"{o.id} ({o.reason})" for o in failed)
            + f"; see {run_dir / 'manifest.json'}"
        )
    return {**summary, "run_dir": str(run_dir)}


def _refuse(message: str, kind: str, day: str) -> State:
    """Fail the run before anything is fetched: one log line, a small artifact, no traceback."""
    get_run_logger().error("refused, nothing fetched: %s", message)
    try:
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(
            markdown=f"# newsbridge {kind} {day}: refused\n\nNothing was fetched. {message}",
            key=f"{kind}-refused-{day}", description=f"newsbridge {kind} {day}: invalid parameters",
        )
    except Exception as exc:  # noqa: BLE001 - the run's state message says it anyway
        get_run_logger().warning("could not publish the refusal artifact: %s", exc)
    return Failed(message=f"refused, nothing fetched: {message}")


def _run_plan(run_id: str, out: Path, force: bool, pivot: str, defaults: Any) -> RunPlan:
    """What every shard of this run shares."""
    from tasks.text.detect import DETECTOR_SIGNATURE
    from tasks.text.extract import EXTRACTOR_SIGNATURE

    return RunPlan(
        run_id=run_id,
        output=str(out),
        force=force,
        pivot=pivot,
        tm_postgres=bool(get_settings().tm_dsn),
        defaults=defaults,
        provenance=Provenance(
            newsbridge=__version__,
            extractor=EXTRACTOR_SIGNATURE,
            detector=DETECTOR_SIGNATURE,
            flow_run_id=flow_run.id,
            run_id=run_id,
        ),
    )


def _shard_mode(deployment: str | None) -> str:
    """"deployment" (child flow runs on a work pool), "in-process" (threads) or "runner" (Dask)."""
    if deployment:
        return "deployment"
    return "in-process" if _in_process_runner() else "runner"


def _run_shards_here(shards: list[Shard], plan: RunPlan, in_process: bool) -> BaseException | None:
    """Shards as tasks of this flow: one at a time in this process (memory stays that of one
    shard), or all at once on a Dask cluster (its workers bound them). The first error is returned."""
    if in_process:
        tick = _PageCounter(sum(len(s.sources) for s in shards))
        for shard in shards:
            try:
                shard_task(shard, plan, True, tick)
            except BaseException as exc:  # noqa: BLE001 - recorded in the shard record; re-raised by the flow
                return exc
        return None
    futures = [shard_task.submit(shard, plan, False) for shard in shards]
    first: BaseException | None = None
    for future in futures:
        try:
            future.result()
        except BaseException as exc:  # noqa: BLE001
            first = first or exc
    return first


def _run_shards_on_pool(shards: list[Shard], plan: RunPlan, deployment: str) -> BaseException | None:
    """Each shard as a child flow run of the shard deployment; the work pool's concurrency
    limit decides how many run at once (waves). A failed child run was already retried whole
    by Prefect (the shard flow's retries); what still failed is reported, never dropped."""
    failed = run_shards_on_pool(shards, plan, deployment)
    if failed:
        return FlowFailed(f"{len(failed)} shard(s) failed on the work pool: " + ", ".join(failed))
    return None


# --------------------------------------------------------------------------- discovery and pairing (issue 14)


def _plan_outlets(
    cfg: Any, only: list[str] | None, out: Path, run_id: str, force: bool, refresh_days: int | None
) -> Plan:
    """Discover every outlet's editions; the articles to fetch tonight and every other decision."""
    outlets = select_outlets(cfg, only)
    if not outlets:
        return Plan()
    from tasks.crawl.discover import plan_run
    from tasks.crawl.fetch import Fetcher
    from tasks.crawl.frontier import open_frontier

    frontier = open_frontier(out)
    # run_id: robots.txt decisions are shared with the shards' fetchers through the state store.
    with Fetcher(cfg.defaults, out, settings=get_settings(), force=force, run_id=run_id) as fetcher:
        plan = plan_run(cfg, outlets, fetcher, frontier, run_id=run_id, force=force, refresh_days=refresh_days)
    frontier.close()
    get_run_logger().info(
        "discovery: %d article(s) found, %d to fetch (%s)", plan.stats["discovered"], len(plan.sources),
        ", ".join(f"{k} {v}" for k, v in sorted(plan.stats.items()) if k != "discovered") or "nothing skipped",
    )
    return plan
