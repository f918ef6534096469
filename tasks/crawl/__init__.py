"""Crawl: what to fetch and fetching it.

Owns `sources.yaml` (sources), discovery of an outlet's new articles (feeds, sitemaps,
section pages), the frontier, shard planning, which sources a rerun still has to do, and
the polite HTTP fetch with its per-URL state.
"""
