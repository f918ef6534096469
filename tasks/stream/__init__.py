"""Stream: one shard of a night as a bounded stream, page by page.

Owns the scheduling of a shard: fetch threads, processing, translation batches that fill
across documents, storing each document when its last segment is back, and its outcomes.
"""
