"""Night: what one run did, from its shards' records.

Owns merging the shard records into one outcome per source, the after-shards steps,
the run summary the Prefect UI shows, and (later) the translators' outputs and outlet health.
"""
