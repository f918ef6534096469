"""Decode raw page bytes to text: charset truth from bytes, recorded with its source.

Contract: `decode_html(content: bytes, headers: dict[str, str] | None = None) -> Decoded`
with fields text (str), charset (str), charset_source ("bom" | "utf-8" | "http-header" |
"meta" | "detector" | ...). Never raises on any bytes.
"""

from __future__ import annotations

raise NotImplementedError("owned by the fetch work (issue 3)")
