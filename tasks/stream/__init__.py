"""Stream: one shard of a night as a bounded stream, page by page.

Owns the scheduling of a shard (scheduler.py: fetch threads, processing, translator
threads, storing each document when its last segment is back, back-pressure), its
outcomes ledger and record (outcomes.py) and the work on one page (page.py). Which
segments are translated and in which batches is the translation batcher's
(tasks/translate/batcher.py); a story's versions are aligned after all shards
(tasks/align/story.py).
"""
