"""Translate: offline machine translation with a memory.

Owns the engine (Argos packages through batched CTranslate2), the translation batcher
(what is copied, what is translated, which segments share a call), the packages
directory and installs, the translation memory (SQLite, PostgreSQL) and the tiny test
models.
"""
