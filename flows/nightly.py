"""The nightly flow: compose the stage tasks, count outcomes, record everything.

Flows compose, tasks compute: every decision about pages, languages and translations
lives in `tasks/`; this module only wires them, reads every future, and writes the
run's manifest, stats and Prefect artifacts.
"""

from __future__ import annotations

import threading
import traceback
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, ConfigDict

from tasks import __version__
from tasks.models import (
    AlignedPair,
    Document,
    FetchDefaults,
    FetchResult,
    Provenance,
    Rejection,
    Segment,
    Source,
    SourceOutcome,
)
from tasks.settings import get_settings
from tasks.sources import load_sources, select_sources
from tasks.story import story_alignments


class FlowFailed(RuntimeError):
    """Raised at the end of a run in which some source failed unexpectedly."""


class Processed(BaseModel):
    """What clean+segment+detect made of one fetched page (or why it made nothing)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source_id: str
    document: Document | None = None
    doc_id: str | None = None
    rejection: Rejection | None = None
    error: str | None = None


# --------------------------------------------------------------------------- fetchers

# One Fetcher per run per process: robots cache, per-host limits and the state store
# must be shared by every fetch task of the run that runs in this process.
_fetchers: dict[str, Any] = {}
_fetchers_lock = threading.Lock()


def _fetcher(run_id: str, defaults: FetchDefaults, output_dir: Path, force: bool) -> Any:
    from tasks.fetch import Fetcher

    with _fetchers_lock:
        fetcher = _fetchers.get(run_id)
        if fetcher is None:
            fetcher = Fetcher(defaults, output_dir, settings=get_settings(), force=force, run_id=run_id)
            _fetchers[run_id] = fetcher
        return fetcher


def _close_fetcher(run_id: str) -> None:
    with _fetchers_lock:
        fetcher = _fetchers.pop(run_id, None)
    if fetcher is not None:
        fetcher.close()


# --------------------------------------------------------------------------- runners and progress


def task_runner_for(spec: str | None) -> Any:
    """`threads` / `threads:N` (default) or `dask` (local cluster) / `dask:ADDRESS` (a running scheduler)."""
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


def _tick(stage: str, done: int, total: int) -> None:
    if _progress is not None:
        _progress(stage, done, total)


# --------------------------------------------------------------------------- tasks


@task(name="fetch", cache_policy=NONE, task_run_name="fetch {source.id}")
def fetch_task(
    source: Source, defaults: FetchDefaults, output_dir: str, force: bool, run_id: str, distributed: bool = False
) -> FetchResult:
    if not distributed:
        return _fetcher(run_id, defaults, Path(output_dir), force).fetch(source)
    # Tasks run in other processes (Dask): per-host limits are Prefect global concurrency
    # limits shared by every worker; a missing limit is an error (strict), never "no limit".
    from flows.limits import SharedHostGate
    from tasks.fetch import Fetcher

    settings = get_settings()
    with Fetcher(
        defaults, Path(output_dir), settings=settings, force=force, run_id=run_id, gate_factory=SharedHostGate
    ) as fetcher:
        return fetcher.fetch(source)


@task(name="process", cache_policy=NONE, task_run_name="process {source.id}")
def process_task(source: Source, fetched: FetchResult) -> Processed:
    """Decode + extract, segment, detect: one document per task, never one per sentence."""
    from tasks.clean import ExtractionError, extract_article, with_title_paragraph
    from tasks.detect import detect_segments
    from tasks.segment import segment_document
    from tasks.store import doc_id_for

    try:
        doc = extract_article(
            fetched.content or b"",
            url=fetched.final_url or fetched.url,
            source_id=source.id,
            headers=fetched.headers,
            selector=source.selector,
        )
    except ExtractionError as exc:
        return Processed(
            source_id=source.id,
            rejection=Rejection(
                source_id=source.id, stage="clean", reason=exc.reason, detail=exc.detail, url=source.url
            ),
        )
    doc = with_title_paragraph(doc)
    doc_id = doc_id_for(source.url)
    hint = None if source.lang == "auto" else source.lang
    segments = segment_document(doc, doc_id, lang_hint=hint or doc.page_lang)
    doc.segments = detect_segments(segments, hint=hint or doc.page_lang)
    langs = Counter(s.lang for s in doc.segments if s.lang not in ("und", "other"))
    doc.lang = langs.most_common(1)[0][0] if langs else "und"
    if not doc.segments:
        return Processed(
            source_id=source.id,
            rejection=Rejection(source_id=source.id, stage="segment", reason="no_segments", url=source.url),
        )
    return Processed(source_id=source.id, document=doc, doc_id=doc_id)


@task(name="translate", cache_policy=NONE, task_run_name="translate {lang}->{pivot}")
def translate_task(lang: str, segments: list[Segment], pivot: str, tm_location: str) -> tuple[list[Segment], dict[str, int]]:
    """One batched translation task per source language, over all documents of the run."""
    from tasks.memory import open_memory
    from tasks.translate import translate_segments

    memory = open_memory(tm_location)
    try:
        stats = translate_segments(segments, pivot, memory)
    finally:
        memory.close()
    return segments, {
        "translated_fresh": stats.fresh,
        "translated_from_memory": stats.from_memory,
        "copied": stats.copied,
        "untranslated": stats.untranslated,
    }


@task(name="store", cache_policy=NONE, task_run_name="store {processed.source_id}")
def store_task(
    processed: Processed,
    fetched: FetchResult,
    output_dir: str,
    provenance: Provenance,
    run_id: str,
    force: bool,
    defaults: FetchDefaults,
    distributed: bool = False,
    tm_location: str | None = None,
    story: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """Carry reviews, align, write the document version atomically, then commit the fetch state.

    Returns (status, relative path) where status is "new", "changed" or "unchanged".
    """
    from tasks.align import align_translations
    from tasks.memory import open_memory
    from tasks.review import carry_reviews, load_record
    from tasks.store import document_record, latest_document, write_document

    out = Path(output_dir)
    doc = processed.document
    assert doc is not None and processed.doc_id is not None
    previous = latest_document(out, doc.source_id)
    # A translator's reviewed work survives a re-crawl: unchanged segments keep it,
    # changed ones are flagged needs-review with the old reviewed text as reference.
    if tm_location is not None:
        memory = open_memory(tm_location)
        try:
            carry_reviews(load_record(out, previous) if previous else None, doc.segments, memory)
        finally:
            memory.close()
    record = document_record(
        doc,
        fetched,
        doc_id=processed.doc_id,
        alignment=align_translations(doc.segments),
        provenance=provenance,
        story=story,
    )
    rel = write_document(out, record)
    # Only now is the page's new state remembered: a crash before this line refetches.
    if not distributed:
        _fetcher(run_id, defaults, out, force).commit(fetched)
    else:
        from tasks.fetch import Fetcher

        with Fetcher(defaults, out, settings=get_settings(), force=force) as fetcher:
            fetcher.commit(fetched)
    if previous is None:
        return "new", rel
    # Same version already stored: a rerun after a crash between store and commit.
    return ("unchanged" if previous == rel else "changed"), rel


# --------------------------------------------------------------------------- flow


def _run_day(since: date | str | None = None) -> str:
    """The day a run works for: `since` on reruns of a day, else the scheduled day in the schedule's timezone."""
    if since:
        return str(since)[:10]
    start = flow_run.scheduled_start_time if flow_run.id else None
    return (start or datetime.now(timezone.utc)).astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d")


def _run_name() -> str:
    return run_name_for(flow_run.parameters or {})


def run_name_for(params: dict[str, Any]) -> str:
    """`nightly 2026-11-22`, `rerun mic-gov-vn`, `rerun since 2026-11-22` (+ ` (force)`)."""
    only, since = params.get("only"), params.get("since")
    force = " (force)" if params.get("force") else ""
    if only or since:
        return " ".join(["rerun", *(only or []), *([f"since {_run_day(since)}"] if since else [])]) + force
    return f"nightly {_run_day()}" + force


def _make_run_id() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run = (flow_run.id or "local")[:8]
    return f"{stamp}-{run}"


def _future_result(future: Any) -> tuple[Any, str | None]:
    """(result, None) or (None, error text): every mapped future is read, never ignored."""
    try:
        return future.result(), None
    except Exception as exc:  # noqa: BLE001 - recorded as the source's failure
        return None, f"{type(exc).__name__}: {exc}"


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
) -> dict[str, Any]:
    """Fetch → clean → segment → detect → translate → align → store, for every source.

    `since` (a day, in the schedule's timezone): skip sources that already have a finished
    outcome (stored, unchanged, or a permanent rejection) in a run started on or after
    that day — a rerun with `since` = the day of a failed run finishes that day's job.
    """
    from tasks.clean import EXTRACTOR_SIGNATURE, is_low_confidence
    from tasks.detect import DETECTOR_SIGNATURE
    from tasks.reruns import finished_since, local_midnight_utc
    from tasks.store import latest_document, sweep_temp_files, write_run_records

    logger = get_run_logger()
    settings = get_settings()
    out = Path(output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    # Temp files of a killed run (their writer is gone) would otherwise stay forever.
    for stale in sweep_temp_files(out):
        logger.info("removed temp file of a killed run: %s", stale)
    cfg = load_sources(sources_file)
    selected = select_sources(cfg, only)
    skipped: list[str] = []
    if since:
        done = finished_since(out, local_midnight_utc(since, get_settings().timezone))
        skipped = [s.id for s in selected if s.id in done]
        selected = [s for s in selected if s.id not in done]
    distributed = not _in_process_runner()
    if distributed:
        from flows.limits import ensure_host_limits

        ensure_host_limits(selected, cfg.defaults)
    run_id = _make_run_id()
    started = datetime.now(timezone.utc)
    logger.info("run %s: %d source(s) → %s", run_id, len(selected), out)
    if skipped:
        logger.info("since %s: %d source(s) already finished, skipped: %s", since, len(skipped), ", ".join(skipped))

    outcomes: dict[str, SourceOutcome] = {}
    rejections: list[Rejection] = []
    stats: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    low_confidence: list[str] = []  # sources whose extraction candidates disagreed (tasks.clean)

    def outcome(source_id: str, status: str, reason: str | None = None, detail: str | None = None, document: str | None = None) -> None:
        outcomes[source_id] = SourceOutcome(id=source_id, status=status, reason=reason, detail=detail, document=document)  # type: ignore[arg-type]
        if reason:
            reasons[reason] += 1

    try:
        # 1. fetch (thread pool; per-host limits inside the Fetcher)
        fetch_futures = [fetch_task.submit(s, cfg.defaults, str(out), force, run_id, distributed) for s in selected]
        fetched: dict[str, FetchResult] = {}
        for i, (source, fut) in enumerate(zip(selected, fetch_futures), 1):
            result, error = _future_result(fut)
            _tick("fetch", i, len(selected))
            if error is not None:
                outcome(source.id, "failed", "internal_error", error)
                continue
            fetched[source.id] = result
            if result.outcome == "fetched":
                stats["fetched"] += 1
            elif result.outcome == "not_modified":
                stats["not_modified"] += 1
                outcome(source.id, "unchanged", document=latest_document(out, source.id))
            else:
                # Every fault of the web the fetcher names (robots, 4xx, 5xx after retries,
                # timeouts, resets, limits) is an expected outcome of crawling: the source is
                # rejected with its reason and the run goes on green. A fault of our own
                # (`internal_error`: a bug, a full disk) fails the run.
                reason = result.reason or result.outcome
                outcome(source.id, "failed" if reason == "internal_error" else "rejected", reason, result.detail)
                rejections.append(
                    Rejection(source_id=source.id, stage="fetch", reason=result.reason or result.outcome, detail=result.detail, url=source.url)
                )

        # 2. clean + segment + detect, one task per document
        to_process = [s for s in selected if s.id in fetched and fetched[s.id].outcome == "fetched"]
        process_futures = [process_task.submit(s, fetched[s.id]) for s in to_process]
        processed: dict[str, Processed] = {}
        for i, (source, fut) in enumerate(zip(to_process, process_futures), 1):
            result, error = _future_result(fut)
            _tick("process", i, len(to_process))
            if error is not None:
                outcome(source.id, "failed", "internal_error", error)
            elif result.rejection is not None:
                outcome(source.id, "rejected", result.rejection.reason, result.rejection.detail)
                rejections.append(result.rejection)
            else:
                processed[source.id] = result
                stats["segments"] += len(result.document.segments)
                if is_low_confidence(result.document.extractor):
                    low_confidence.append(source.id)  # operators add a `selector` for these

        # 3. translate: one batched task per source language across all documents
        by_lang: dict[str, list[Segment]] = {}
        for p in processed.values():
            for seg in p.document.segments:
                by_lang.setdefault(seg.lang, []).append(seg)
        tm_location = settings.tm_location(out)
        translate_futures = {
            lang: translate_task.submit(lang, segs, pivot, tm_location) for lang, segs in sorted(by_lang.items())
        }
        translated: dict[str, Segment] = {}
        for i, (lang, fut) in enumerate(translate_futures.items(), 1):
            # A missing model or a broken engine fails the run before anything is stored.
            segs, counts = fut.result()
            _tick("translate", i, len(translate_futures))
            stats.update(counts)
            translated.update({s.id: s for s in segs})
        models = sorted({s.translation.model for s in translated.values() if s.translation and s.translation.model != "copy"})
        engines = sorted({s.translation.engine for s in translated.values() if s.translation and s.translation.model != "copy"})
        for p in processed.values():
            p.document.segments = [translated.get(s.id, s) for s in p.document.segments]

        # 4. align + store, one task per document
        provenance = Provenance(
            newsbridge=__version__,
            extractor=EXTRACTOR_SIGNATURE,
            detector=DETECTOR_SIGNATURE,
            models=models,
            engine="; ".join(engines) or None,
            flow_run_id=flow_run.id,
            run_id=run_id,
        )
        # Versions of one story: align each non-pivot version to the pivot-language one.
        stories = story_alignments(selected, {sid: p.document for sid, p in processed.items()}, pivot, out)
        store_futures = {
            sid: store_task.submit(
                p, fetched[sid], str(out), provenance, run_id, force, cfg.defaults, distributed,
                tm_location, stories.get(sid),
            )
            for sid, p in processed.items()
        }
        for i, (sid, fut) in enumerate(store_futures.items(), 1):
            result, error = _future_result(fut)
            _tick("store", i, len(store_futures))
            if error is not None:
                outcome(sid, "failed", "store_error", error)
            else:
                status, rel = result
                stats[status] += 1
                outcome(sid, status, document=rel)
    except Exception:
        # Record every source we know about before failing (an unexpected error).
        for s in selected:
            if s.id not in outcomes:
                outcome(s.id, "failed", "run_aborted", traceback.format_exc(limit=3).strip().splitlines()[-1])
        raise
    finally:
        _close_fetcher(run_id)
        counts = Counter(o.status for o in outcomes.values())
        summary = {
            "run_id": run_id,
            "sources": len(selected),
            "fetched": stats["fetched"],
            "not_modified": stats["not_modified"],
            "new": counts["new"],
            "changed": counts["changed"],
            "unchanged": counts["unchanged"],
            "rejected": counts["rejected"],
            "failed": counts["failed"],
            "segments": stats["segments"],
            "translated_fresh": stats["translated_fresh"],
            "translated_from_memory": stats["translated_from_memory"],
            "copied": stats["copied"],
            "untranslated": stats["untranslated"],
            "reasons": dict(sorted(reasons.items())),
            "skipped_finished": len(skipped),
            "low_confidence_extraction": sorted(low_confidence),
        }
        ordered = [outcomes[s.id] for s in selected if s.id in outcomes]
        run_dir = write_run_records(
            out,
            run_id,
            outcomes=ordered,
            stats=summary,
            rejections=rejections,
            meta={
                "flow_run_id": flow_run.id,
                "started_at": started.isoformat(),
                "finished_at": datetime.now(timezone.utc).isoformat(),
                "sources_file": str(sources_file),
                "only": only,
                "force": force,
                "pivot": pivot,
                "since": str(since) if since else None,
                "skipped_finished": skipped,
                "newsbridge": __version__,
            },
        )
        _publish_artifacts(summary, ordered, run_dir, out, _run_day(since), skipped)

    failed = [o for o in ordered if o.status == "failed"]
    if failed:
        raise FlowFailed(
            f"{len(failed)} source(s) failed: "
            + ", ".join(f"{o.id} ({o.reason})" for o in failed)
            + f"; see {run_dir / 'manifest.json'}"
        )
    return {**summary, "run_dir": str(run_dir)}


def _publish_artifacts(
    summary: dict[str, Any], outcomes: list[SourceOutcome], run_dir: Path, out: Path, day: str, skipped: list[str]
) -> None:
    """A markdown summary and a per-source table in the Prefect UI, one key per day (reruns add versions)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    by_status: dict[str, list[SourceOutcome]] = {}
    for o in outcomes:
        by_status.setdefault(o.status, []).append(o)
    review = out / "export" / "html" / "index.html"
    lines = [
        f"# newsbridge {day} — run {summary['run_id']}",
        "",
        f"- sources: {summary['sources']} — new {summary['new']}, changed {summary['changed']}, "
        f"unchanged {summary['unchanged']}, rejected {summary['rejected']}, failed {summary['failed']}",
        f"- segments: {summary['segments']} — translated fresh {summary['translated_fresh']}, "
        f"from memory {summary['translated_from_memory']}, copied {summary['copied']}, "
        f"untranslated {summary['untranslated']}",
        f"- review pages: [{review}]({review.as_uri()})"
        + ("" if review.exists() else f" (not built yet: `newsbridge export --format html --output {out}`)"),
        f"- run records: [{run_dir / 'manifest.json'}]({(run_dir / 'manifest.json').as_uri()})",
    ]
    if skipped:
        lines.append(f"- skipped, already finished since {day}: {', '.join(skipped)}")
    if summary.get("low_confidence_extraction"):
        lines.append(f"- low-confidence extraction (add a `selector`): {', '.join(summary['low_confidence_extraction'])}")
    for status in ("new", "changed", "unchanged", "rejected", "failed"):
        if status in by_status:
            lines += ["", f"## {status} ({len(by_status[status])})", ""]
            for o in by_status[status]:
                why = f" — `{o.reason}`" + (f": {o.detail}" if o.detail else "") if o.reason else ""
                doc = f" ([document]({(out / o.document).as_uri()}))" if o.document else ""
                lines.append(f"- {o.id}{why}{doc}")
    if summary["reasons"]:
        lines += ["", "## Reasons", ""] + [f"- `{r}`: {n}" for r, n in summary["reasons"].items()]
    try:
        create_markdown_artifact(
            markdown="\n".join(lines), key=f"nightly-summary-{day}", description=f"newsbridge run summary, {day}"
        )
        create_table_artifact(
            table=[o.model_dump(mode="json") for o in outcomes]
            + [{"id": sid, "status": "skipped", "reason": f"finished since {day}", "detail": None, "document": None} for sid in skipped]
            or [{"id": "", "status": "no sources"}],
            key=f"nightly-sources-{day}",
            description=f"per-source outcomes, {day}",
        )
    except Exception as exc:  # noqa: BLE001 - artifacts are a view; the run records are the truth
        get_run_logger().warning("could not publish artifacts: %s", exc)
