"""The nightly flow: compose the stage tasks, count outcomes, record everything.

Flows compose, tasks compute: every decision about pages, languages and translations
lives in `tasks/`; this module only wires them, reads every future, and writes the
run's manifest, stats and Prefect artifacts.
"""

from __future__ import annotations

import threading
import traceback
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
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
            fetcher = Fetcher(defaults, output_dir, settings=get_settings(), force=force)
            _fetchers[run_id] = fetcher
        return fetcher


def _close_fetcher(run_id: str) -> None:
    with _fetchers_lock:
        fetcher = _fetchers.pop(run_id, None)
    if fetcher is not None:
        fetcher.close()


# --------------------------------------------------------------------------- tasks


@task(name="fetch", cache_policy=NONE, task_run_name="fetch {source.id}")
def fetch_task(source: Source, defaults: FetchDefaults, output_dir: str, force: bool, run_id: str) -> FetchResult:
    return _fetcher(run_id, defaults, Path(output_dir), force).fetch(source)


@task(name="process", cache_policy=NONE, task_run_name="process {source.id}")
def process_task(source: Source, fetched: FetchResult) -> Processed:
    """Decode + extract, segment, detect: one document per task, never one per sentence."""
    from tasks.clean import ExtractionError, extract_article
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
) -> tuple[str, str]:
    """Align, write the document version atomically, then commit the fetch state.

    Returns (status, relative path) where status is "new", "changed" or "unchanged".
    """
    from tasks.align import align_translations
    from tasks.store import document_record, latest_document, write_document

    out = Path(output_dir)
    doc = processed.document
    assert doc is not None and processed.doc_id is not None
    previous = latest_document(out, doc.source_id)
    record = document_record(
        doc,
        fetched,
        doc_id=processed.doc_id,
        alignment=align_translations(doc.segments),
        provenance=provenance,
    )
    rel = write_document(out, record)
    # Only now is the page's new state remembered: a crash before this line refetches.
    _fetcher(run_id, defaults, out, force).commit(fetched)
    if previous is None:
        return "new", rel
    # Same version already stored: a rerun after a crash between store and commit.
    return ("unchanged" if previous == rel else "changed"), rel


# --------------------------------------------------------------------------- flow


def _run_name() -> str:
    params = flow_run.parameters or {}
    only = params.get("only")
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    if only:
        return f"rerun {' '.join(only)}"
    return f"nightly {day}" + (" (force)" if params.get("force") else "")


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
    task_runner=ThreadPoolTaskRunner(max_workers=8),
    log_prints=True,
)
def nightly_crawl(
    sources_file: str = "sources.yaml",
    only: list[str] | None = None,
    force: bool = False,
    pivot: str = "en",
    output: str = "output",
) -> dict[str, Any]:
    """Fetch → clean → segment → detect → translate → align → store, for every source."""
    from tasks.clean import EXTRACTOR_SIGNATURE
    from tasks.detect import DETECTOR_SIGNATURE
    from tasks.store import latest_document, write_run_records

    logger = get_run_logger()
    settings = get_settings()
    out = Path(output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    cfg = load_sources(sources_file)
    selected = select_sources(cfg, only)
    run_id = _make_run_id()
    started = datetime.now(timezone.utc)
    logger.info("run %s: %d source(s) → %s", run_id, len(selected), out)

    outcomes: dict[str, SourceOutcome] = {}
    rejections: list[Rejection] = []
    stats: Counter[str] = Counter()
    reasons: Counter[str] = Counter()

    def outcome(source_id: str, status: str, reason: str | None = None, detail: str | None = None, document: str | None = None) -> None:
        outcomes[source_id] = SourceOutcome(id=source_id, status=status, reason=reason, detail=detail, document=document)  # type: ignore[arg-type]
        if reason:
            reasons[reason] += 1

    try:
        # 1. fetch (thread pool; per-host limits inside the Fetcher)
        fetch_futures = [fetch_task.submit(s, cfg.defaults, str(out), force, run_id) for s in selected]
        fetched: dict[str, FetchResult] = {}
        for source, fut in zip(selected, fetch_futures):
            result, error = _future_result(fut)
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
                # Every fault the fetcher names (robots, 4xx, 5xx after retries, timeouts,
                # resets, limits) is an expected outcome of crawling the web: the source is
                # rejected with its reason and the run goes on green. Only an exception
                # (a bug, a full disk) is a failure.
                outcome(source.id, "rejected", result.reason or result.outcome, result.detail)
                rejections.append(
                    Rejection(source_id=source.id, stage="fetch", reason=result.reason or result.outcome, detail=result.detail, url=source.url)
                )

        # 2. clean + segment + detect, one task per document
        to_process = [s for s in selected if s.id in fetched and fetched[s.id].outcome == "fetched"]
        process_futures = [process_task.submit(s, fetched[s.id]) for s in to_process]
        processed: dict[str, Processed] = {}
        for source, fut in zip(to_process, process_futures):
            result, error = _future_result(fut)
            if error is not None:
                outcome(source.id, "failed", "internal_error", error)
            elif result.rejection is not None:
                outcome(source.id, "rejected", result.rejection.reason, result.rejection.detail)
                rejections.append(result.rejection)
            else:
                processed[source.id] = result
                stats["segments"] += len(result.document.segments)

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
        for lang, fut in translate_futures.items():
            # A missing model or a broken engine fails the run before anything is stored.
            segs, counts = fut.result()
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
        store_futures = {
            sid: store_task.submit(p, fetched[sid], str(out), provenance, run_id, force, cfg.defaults)
            for sid, p in processed.items()
        }
        for sid, fut in store_futures.items():
            result, error = _future_result(fut)
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
                "newsbridge": __version__,
            },
        )
        _publish_artifacts(summary, ordered, run_dir)

    failed = [o for o in ordered if o.status == "failed"]
    if failed:
        raise FlowFailed(
            f"{len(failed)} source(s) failed: "
            + ", ".join(f"{o.id} ({o.reason})" for o in failed)
            + f"; see {run_dir / 'manifest.json'}"
        )
    return {**summary, "run_dir": str(run_dir)}


def _publish_artifacts(summary: dict[str, Any], outcomes: list[SourceOutcome], run_dir: Path) -> None:
    """A markdown summary and a per-source table, readable in the Prefect UI."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    lines = [
        f"# newsbridge run {summary['run_id']}",
        "",
        f"- sources: {summary['sources']} — new {summary['new']}, changed {summary['changed']}, "
        f"unchanged {summary['unchanged']}, rejected {summary['rejected']}, failed {summary['failed']}",
        f"- segments: {summary['segments']} — translated fresh {summary['translated_fresh']}, "
        f"from memory {summary['translated_from_memory']}, copied {summary['copied']}, "
        f"untranslated {summary['untranslated']}",
        f"- records: `{run_dir}`",
    ]
    if summary["reasons"]:
        lines += ["", "## Reasons", ""] + [f"- `{r}`: {n}" for r, n in summary["reasons"].items()]
    try:
        create_markdown_artifact(markdown="\n".join(lines), key="nightly-summary", description="newsbridge run summary")
        create_table_artifact(
            table=[o.model_dump(mode="json") for o in outcomes] or [{"id": "", "status": "no sources"}],
            key="nightly-sources",
            description="per-source outcomes",
        )
    except Exception as exc:  # noqa: BLE001 - artifacts are a view; the run records are the truth
        get_run_logger().warning("could not publish artifacts: %s", exc)
