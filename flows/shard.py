"""The shard deployment: one shard of a night as its own flow run on a work pool.

The nightly flow (flows/nightly.py) plans the night into shards; with the setting
`NEWSBRIDGE_SHARD_DEPLOYMENT=nightly-shard/shard` it starts one child flow run of this
flow per shard (`run_deployment`), and every machine running
`prefect worker start --pool newsbridge` takes shards from the pool. The pool's
concurrency limit sets how many shards run at once (the waves); a shard that fails is
retried whole by Prefect (`retries`), which is safe: a stored page is not stored twice
(its fetch state says unchanged) and the shard's record is rewritten.

What the machines share (docs/scaling.md): the output directory (documents, snapshots,
fetch state, run records) on a shared file system, the translation memory (and the
frontier) on PostgreSQL through NEWSBRIDGE_TM_DSN, and the Prefect server, whose global
concurrency limits keep every host's politeness across workers.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from prefect import flow

from tasks.models import FetchDefaults
from tasks.settings import get_settings
from tasks.crawl.shards import RunPlan, Shard, shard_tm_location
from tasks.stream.stream import ShardRecord

FLOW_NAME = "nightly-shard"
DEPLOYMENT_NAME = "shard"
ENTRYPOINT = "flows/shard.py:nightly_shard"
POLL_SECONDS = 1.0


@flow(name=FLOW_NAME, flow_run_name="shard {shard.id}", retries=1, retry_delay_seconds=5, log_prints=True)
def nightly_shard(shard: Shard, plan: RunPlan) -> dict[str, Any]:
    """Stream one shard on this worker; the record lands in the shared output directory."""
    record = run_shard_here(shard, plan, in_process=False)
    return {"shard": record.shard, "pages": len(record.outcomes), **record.stats}


def run_shards_on_pool(shards: list[Shard], plan: RunPlan, deployment: str) -> list[str]:
    """Start one child flow run per shard, wait for all; the ids of shards that failed.

    Every run is created at once (scheduled); the work pool hands them to workers as its
    concurrency limit allows, so the limit shapes the waves, not this function.
    """
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    runs = {
        shard.id: run_deployment(
            name=deployment,
            parameters={"shard": shard.model_dump(mode="json"), "plan": plan.model_dump(mode="json")},
            timeout=0,  # created, not awaited here
            flow_run_name=f"shard {shard.id}",
        ).id
        for shard in shards
    }
    failed: list[str] = []
    pending = dict(runs)
    with get_client(sync_client=True) as client:
        while pending:
            for shard_id, run_id in list(pending.items()):
                state = client.read_flow_run(run_id).state
                if state is not None and state.is_final():
                    del pending[shard_id]
                    if not state.is_completed():
                        failed.append(f"{shard_id} ({state.name})")
            if pending:
                time.sleep(POLL_SECONDS)
    return failed


# One Fetcher per run per process: robots cache, per-host gates and the state store are
# shared by every shard of the run that runs in this process.
_fetchers: dict[str, Any] = {}
_fetchers_lock = threading.Lock()


def _run_fetcher(run_id: str, defaults: FetchDefaults, output_dir: Path, force: bool) -> Any:
    from tasks.crawl.fetch import Fetcher

    with _fetchers_lock:
        fetcher = _fetchers.get(run_id)
        if fetcher is None:
            fetcher = Fetcher(defaults, output_dir, settings=get_settings(), force=force, run_id=run_id)
            _fetchers[run_id] = fetcher
        return fetcher


def close_run_fetcher(run_id: str) -> None:
    with _fetchers_lock:
        fetcher = _fetchers.pop(run_id, None)
    if fetcher is not None:
        fetcher.close()


def run_shard_here(
    shard: Shard, plan: RunPlan, in_process: bool, tick: Callable[[str], None] | None = None
) -> ShardRecord:
    """Compose one shard: a fetcher (the run's own in this process, or one on the shared
    per-host limits in another process), the frontier hooks, and the stream."""
    from tasks.crawl.fetch import Fetcher
    from tasks.stream.stream import ShardRun, run_shard

    out = Path(plan.output)
    settings = get_settings()
    fetcher = _run_fetcher(plan.run_id, plan.defaults, out, plan.force) if in_process else None
    run = ShardRun(
        output_dir=out,
        run_id=plan.run_id,
        pivot=plan.pivot,
        tm_location=shard_tm_location(plan, settings.tm_dsn),
        provenance=plan.provenance,
        fetch_threads=max(1, settings.global_fetch_concurrency),
        window=max(1, settings.stream_window),
        batch_segments=max(1, settings.stream_batch_segments),
        process_workers=max(0, settings.stream_process_workers),
        tick=tick,
    )
    if fetcher is not None:
        return run_shard(shard.id, shard.sources, fetcher, run)
    # Another process or machine: per-host limits are Prefect global concurrency limits
    # shared by every worker (a host split over several shards stays polite).
    from flows.limits import SharedHostGate

    with Fetcher(
        plan.defaults, out, settings=settings, force=plan.force, run_id=plan.run_id, gate_factory=SharedHostGate
    ) as fetcher:
        return run_shard(shard.id, shard.sources, fetcher, run)
