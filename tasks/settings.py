"""One settings object for the whole pipeline, with NEWSBRIDGE_* environment overrides.

Hard limits live here (as trafilatura keeps them in one settings file), never as
literals scattered through stages. Per-source politeness lives in sources.yaml.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_models_dir() -> Path:
    return Path.home() / ".local" / "share" / "newsbridge" / "argos-packages"


class Settings(BaseSettings):
    """Settings; every field can be overridden with NEWSBRIDGE_<FIELD> (upper case)."""

    model_config = SettingsConfigDict(env_prefix="NEWSBRIDGE_", extra="ignore")

    output_dir: Path = Path("output")
    sources_file: Path = Path("sources.yaml")
    pivot: str = "en"
    # Argos packages directory. ARGOS_PACKAGES_DIR, when set, wins (Argos' own variable).
    models_dir: Path = Field(default_factory=_default_models_dir)
    # Translation memory: SQLite file by default (relative paths are under output_dir);
    # a postgresql:// DSN when several machines write.
    tm_dsn: str | None = None

    # fetch
    max_redirects: int = 5
    connect_timeout_seconds: float = 10.0
    max_attempts: int = 3
    backoff_base_seconds: float = 0.5
    retry_after_cap_seconds: float = 60.0
    global_fetch_concurrency: int = 8
    allow_private_redirects: bool = False

    # translate
    translate_batch_size: int = 32
    # Measured on 2 cores (README, issue-6 block): two batches in parallel with one
    # thread each beat one batch on two threads.
    inter_threads: int = 2
    intra_threads: int = 1
    # "auto" is Argos' own default; another type changes the words (int8 vs float32).
    compute_type: str = "auto"
    # Batch only same-length sources: output bit-identical to Argos' one-sentence calls.
    # False is ~1.7x faster and differs on ~0.4 % of sentences (padding numerics).
    translate_same_length_batches: bool = True
    max_segment_chars: int = 400

    # prefect
    timezone: str = "Asia/Ho_Chi_Minh"
    cron: str = "0 2 * * *"
    # Task runner of the nightly flow: threads[:N] (default) | dask | dask:ADDRESS.
    runner: str = "threads"

    # after every run (docs/outputs.md): the translators' outputs under <output>/export/
    # (review pages, TMX per pair, XLIFF per new or changed document); false = none.
    export_after_run: bool = True
    # Address of a running `newsbridge review serve` (e.g. http://reviews.lan:8765): the
    # run summary links there; unset = the summary shows paths and the command to open them.
    review_url: str | None = None
    # outlet health (docs/running.md): `newsbridge.outlet.degraded` when tonight's share of
    # rejected pages (or of low-confidence extractions) is this much above the earlier
    # nights' mean, with at least `health_min_pages` such pages tonight.
    health_jump: float = 0.25
    health_min_pages: int = 3

    # shards and streaming (docs/scaling.md)
    # Pages per shard at most (a shard is one Prefect task run or child flow run).
    shard_max_pages: int = 1000
    # "flow-name/deployment-name" of the shard deployment: when set, the nightly flow runs
    # each shard as a child flow run on that deployment's work pool; unset = in-process.
    shard_deployment: str | None = None
    # Fetched pages held at most by one shard's stream (back-pressure on the fetchers).
    stream_window: int = 16
    # Segments a shard lets wait for its translator threads at most (then it waits too).
    # They wait in buckets by language and token length; a free translator thread takes
    # the fullest (bigger same-length batches: faster, same words).
    stream_batch_segments: int = 1024
    # Worker processes for decode/extract/segment/detect (pure Python, so threads would
    # share one core); 0 = in the shard's own thread.
    stream_process_workers: int = 2

    def models_path(self) -> Path:
        import os

        env = os.environ.get("ARGOS_PACKAGES_DIR")
        return Path(env) if env else self.models_dir

    def tm_location(self, output_dir: Path | None = None) -> str:
        """The translation memory DSN or SQLite path for this run."""
        if self.tm_dsn:
            return self.tm_dsn
        return str((output_dir or self.output_dir) / "tm.sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
