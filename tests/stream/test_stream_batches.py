"""The stream's translation batches (tasks/translate/batcher.py in a shard, issue 15).

Segments wait by (language, source token length); a free translator thread takes the
fullest bucket. Checked here: the token length each segment is filed under, and that a
streamed shard's translations are exactly those of one-sentence calls (through the real
stream, loopback site, tiny real models). The buckets alone: tests/translate/test_batcher.py.
"""

from __future__ import annotations

from pathlib import Path

from faultserver import FaultServer, html_page  # tests/ is on sys.path


def _seg(text: str, lang: str = "vi"):
    from tasks.models import Segment

    return Segment(id=f"d:0:{text}", paragraph=0, sentence=0, text=text, lang=lang, start=0, end=len(text))


def test_token_length_is_that_of_the_one_engine_call(argos_test_models):
    from tasks.translate.packages import find_package
    from tasks.translate.engine import EngineOptions, length_counter, load_model

    count = length_counter("vi", "en")
    model = load_model(find_package("vi", "en"), EngineOptions.from_settings())
    text = "Hà Nội hôm nay có mưa rào và dông vài nơi."
    assert count(text) == len(model.encode(text))
    assert count("một dòng\nhai dòng") is None  # several lines: several calls
    assert count(" ".join(["chữ"] * 400)) is None  # split at clauses: several calls
    assert length_counter("en", "en")("Hello.") is None  # the pivot is copied
    assert length_counter("xx", "en")("?") is None  # no model for it


VI = [
    "Hà Nội hôm nay có mưa rào và dông vài nơi, nhiệt độ thấp nhất 22 độ.",
    "Thành phố sẽ mở thêm ba tuyến xe buýt mới vào tháng tới.",
    "Người dân hoan nghênh quyết định nhưng đề nghị tăng chuyến vào buổi tối.",
    "Dự án được khởi công từ năm ngoái và dự kiến hoàn thành trong năm nay.",
]
ZH = [
    "河内今天有阵雨和雷暴，最低气温二十二度。",
    "该市下个月将开通三条新的公交线路。",
    "居民欢迎这一决定，但要求增加夜间班次。",
]


def test_streamed_translations_are_those_of_one_sentence_calls(argos_test_models, tmp_path: Path):
    from tasks.crawl.fetch import Fetcher
    from tasks.models import FetchDefaults, Provenance, Source
    from tasks.settings import get_settings
    from tasks.stream.stream import ShardRun, run_shard
    from tasks.translate.engine import EngineOptions, translate_texts

    with FaultServer(host="127.0.0.1") as srv:
        srv.robots("User-agent: *\nAllow: /\n")
        sources = []
        for i in range(12):
            lang, paras = ("vi", VI) if i % 2 == 0 else ("zh", ZH)
            # rotate and number the paragraphs: many token lengths, some shared across pages
            paras = [f"{p} ({i % 3})" for p in paras[i % len(paras):] + paras[: i % len(paras)]]
            url = srv.page(f"/n/{i}.html", html_page(paras[0][:40], paras, lang=lang))
            sources.append(Source(id=f"p{i}", url=url, lang=lang))
        run = ShardRun(
            output_dir=tmp_path / "out",
            run_id="r1",
            pivot="en",
            tm_location=str(tmp_path / "tm.sqlite"),
            provenance=Provenance(newsbridge="test", extractor="e", detector="d", run_id="r1"),
            fetch_threads=4,
            translator_threads=2,
        )
        defaults = FetchDefaults(min_delay_seconds=0.05, per_host_concurrency=2, timeout_seconds=20)
        with Fetcher(defaults, tmp_path / "out", settings=get_settings(), run_id="r1") as fetcher:
            record = run_shard("s1", sources, fetcher, run)
    assert [o.status for o in record.outcomes] == ["new"] * 12

    import json

    segments = []
    for pointer in (tmp_path / "out" / "docs").glob("*/latest.json"):
        rel = json.loads(pointer.read_text())["path"]
        segments += json.loads((tmp_path / "out" / rel).read_text())["segments"]
    translated = [s for s in segments if s["translation"] and s["translation"]["model"] != "copy"]
    assert len(translated) >= 40
    # each sentence alone, no memory: what Argos' one-sentence call gives
    one = EngineOptions(max_batch_size=1)
    for seg in translated:
        alone = translate_texts([seg["text"]], seg["lang"], "en", memory=None, options=one)[0]
        assert seg["translation"]["text"] == alone.text, seg["text"]
