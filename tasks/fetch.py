"""Fetch stage: polite, incremental, fault-tolerant HTTP GET of one source.

Contract (the flow relies on it):
- `Fetcher(defaults, output_dir, settings=..., force=False)` is thread-safe and shared by
  all fetches of one run in one process (robots cache, per-host limits, state store).
- `Fetcher.fetch(source) -> FetchResult` never raises for an expected fault: it returns
  outcome "fetched" (content set, raw snapshot stored via tasks.store.store_raw),
  "not_modified" (304 or same sha256 as last run, unless force), "rejected" (reason code)
  or "failed" (reason code). Reason codes: see REASONS.
- `Fetcher.commit(result)` records ETag/Last-Modified/sha256 in the state store once the
  document has been stored, so a crash between fetch and store refetches next run.
"""

from __future__ import annotations

raise NotImplementedError("owned by the fetch work (issue 3)")
