"""Review: what translators get and give back.

Owns the selection of stored documents, carrying reviews across re-crawls, XLIFF import,
the exports (TMX, XLIFF, HTML review pages) and the browser review app's logic.
"""
