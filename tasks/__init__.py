"""newsbridge's pipeline: one package per stage (crawl, text, translate, align, review, store,
stream, night), pure functions plus thin Prefect tasks; at this root the basics every stage
shares, one of each: the carrier data model (models.py), settings (settings.py), URL helpers
(urls.py) and language helpers (langs.py). docs/architecture.md has the layers."""

__version__ = "0.1.0"
