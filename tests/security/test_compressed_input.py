"""Compressed and binary bodies: judged by their bytes, never by their label or file name.

`tasks.text.decode.unwrap_body` decompresses gzip, zstd (magic bytes) and brotli (a body
that is not text and decodes completely as brotli) within the fetcher's max_bytes and
refuses images, archives and control-byte soup. The crawl uses it before extraction (gzip
bytes labelled text/html are no "English document"); `newsbridge extract` and `newsbridge
detect` use it on their input, with documented exit codes, and still import neither
prefect nor torch.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import brotli
import pytest
import zstandard

from tasks.text.decode import BodyError, unwrap_body

ROOT = Path(__file__).resolve().parents[2]
GOOD = "Hợp tác khoa học công nghệ giữa Việt Nam và Quảng Tây được đẩy mạnh trong năm nay, với nhiều dự án chung."
PAGE = (
    "<html lang=vi><head><title>Tin hợp tác</title></head><body><article>"
    f"<p>{GOOD}</p><p>{GOOD.replace('năm nay', 'năm sau')}</p></article></body></html>"
).encode()

COMPRESS = {
    "gzip": gzip.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
    "brotli": brotli.compress,
}


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_each_compression_is_undone_by_its_bytes(kind: str) -> None:
    body, layers = unwrap_body(COMPRESS[kind](PAGE))
    assert body == PAGE and layers == [kind]


def test_nested_layers_are_undone_and_plain_pages_pass_through_untouched() -> None:
    body, layers = unwrap_body(gzip.compress(zstandard.ZstdCompressor().compress(PAGE)))
    assert body == PAGE and layers == ["gzip", "zstd"]
    assert unwrap_body(PAGE) == (PAGE, [])
    # UTF-16 without a BOM (Cyrillic code units are control bytes) and legacy charsets are text
    ru = ("<p>Привет, мир. Это страница на русском языке.</p>" * 20).encode("utf-16-le")
    assert unwrap_body(ru) == (ru, [])
    cp = "<p>Vi\u00eat Nam</p>".encode("cp1258")
    assert unwrap_body(cp) == (cp, [])


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_bombs_stop_at_the_budget(kind: str) -> None:
    with pytest.raises(BodyError) as err:
        unwrap_body(COMPRESS[kind](b"a" * 3_000_000), max_bytes=1_000_000)
    assert err.value.reason == "too_large"


def test_binary_and_broken_bodies_are_refused_with_a_reason() -> None:
    cases = {
        b"\x89PNG\r\n\x1a\n" + os.urandom(200): "binary_body",
        b"%PDF-1.7\n" + os.urandom(200): "binary_body",
        os.urandom(4096): "binary_body",
        gzip.compress(PAGE)[:40]: "bad_compressed_body",
        b"\x28\xb5\x2f\xfd" + os.urandom(64): "bad_compressed_body",
    }
    for body, reason in cases.items():
        with pytest.raises(BodyError) as err:
            unwrap_body(body)
        assert err.value.reason == reason, body[:12]


def test_the_crawl_decompresses_gzip_labelled_html_and_refuses_binary() -> None:
    from tasks.models import FetchResult, Source
    from tasks.stream.stream import process_page

    def run(content: bytes):  # type: ignore[no-untyped-def]
        src = Source(id="p", url="http://127.0.0.1:9/a.html")
        fetched = FetchResult(source_id="p", url=src.url, final_url=src.url, outcome="fetched", status=200,
                              content=content, headers={"content-type": "text/html"},
                              fetched_at="2026-12-01T00:00:00+00:00")
        return process_page(src, fetched)

    done = run(gzip.compress(PAGE))
    assert done.rejection is None and done.document is not None
    assert GOOD in done.document.text and done.document.lang == "vi"
    refused = run(b"\x89PNG\r\n\x1a\n" + os.urandom(500))
    assert refused.document is None and refused.rejection is not None
    assert (refused.rejection.stage, refused.rejection.reason) == ("decode", "binary_body")


def _cli(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], input=stdin, cwd=ROOT, capture_output=True,
                          timeout=120, check=False)


def test_cli_extract_reads_compressed_files_and_refuses_binary(tmp_path: Path) -> None:
    for kind, fn in COMPRESS.items():
        path = tmp_path / f"page.{kind}"  # the name says nothing: the bytes decide
        path.write_bytes(fn(PAGE))
        proc = _cli(["extract", str(path)])
        assert proc.returncode == 0, proc.stderr.decode()
        out = json.loads(proc.stdout)
        assert out["title"] == "Tin hợp tác" and GOOD in out["paragraphs"]
    binary = tmp_path / "page.html"
    binary.write_bytes(os.urandom(5000))
    proc = _cli(["extract", str(binary)])
    assert proc.returncode == 3
    assert json.loads(proc.stdout)["error"] == "binary_body"
    assert "refused" in proc.stderr.decode()
    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(b"<p>" + b"a" * 2_000_000))
    proc = _cli(["extract", str(bomb), "--max-bytes", "1000000"])
    assert proc.returncode == 3 and json.loads(proc.stdout)["error"] == "too_large"
    big = tmp_path / "big.html"
    big.write_bytes(b"<p>" + b"a" * 2_000_000)
    proc = _cli(["extract", str(big), "--max-bytes", "1000000"])
    assert proc.returncode == 3 and json.loads(proc.stdout)["error"] == "too_large"


def test_cli_detect_reads_compressed_stdin_and_refuses_binary() -> None:
    lines = "Xin chào các bạn, hôm nay trời đẹp\nThe talks will resume next week.\n".encode()
    for fn in COMPRESS.values():
        proc = _cli(["detect"], fn(lines))
        assert proc.returncode == 0, proc.stderr.decode()
        assert [r.split("\t")[0] for r in proc.stdout.decode().splitlines()] == ["vi", "en"]
    proc = _cli(["detect"], os.urandom(3000))
    assert proc.returncode == 3 and proc.stdout == b""
    assert "binary_body" in proc.stderr.decode()


def test_extract_and_detect_on_compressed_input_import_neither_prefect_nor_torch(tmp_path: Path) -> None:
    page = tmp_path / "page.gz"
    page.write_bytes(gzip.compress(PAGE))
    code = (
        "import sys, io\n"
        "from typer.testing import CliRunner\n"
        "from flows.cli.main import app\n"
        f"r = CliRunner().invoke(app, ['extract', {str(page)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(app, ['detect'], input=__import__('gzip').compress('Xin chào các bạn\\n'.encode()))\n"
        "assert r.exit_code == 0 and r.output.startswith('vi'), r.output\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'argostranslate', 'torch', 'ctranslate2'))\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
