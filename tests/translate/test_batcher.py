"""The translation batcher (tasks/translate/batcher.py): the one "copy, don't translate"
policy and the (language, token length) buckets, as the stream and the engine use them."""

from __future__ import annotations

import threading
import time

from tasks.models import Segment
from tasks.translate.batcher import Buckets, TranslationBatcher, needs_engine, settle


def _seg(text: str, lang: str | None = "vi") -> Segment:
    return Segment(id=f"d:0:{text}", paragraph=0, sentence=0, text=text, lang=lang, start=0, end=len(text))


def test_copy_dont_translate():
    pivot = "en"
    en, vi, und, other, blank = _seg("Hello.", "en"), _seg("Xin chào.", "vi"), _seg("123", "und"), _seg("?", "other"), _seg("  ", "vi")
    assert [needs_engine(s, pivot) for s in (en, vi, und, other, blank)] == [False, True, False, False, False]
    assert settle(en, pivot) == "copied"
    assert en.translation is not None and en.translation.text == "Hello." and en.translation.model == "copy"
    assert (settle(und, pivot), und.translation) == ("lang:und", None)
    assert (settle(other, pivot), settle(blank, pivot)) == ("lang:other", "empty")
    # An empty segment in the pivot is still copied (the pivot comes first).
    assert settle(_seg("", "en"), pivot) == "copied"


def test_the_batcher_settles_what_needs_no_engine_and_buckets_the_rest():
    lengths = {"vi": lambda text: len(text.split()), "zh": lambda text: None}
    batcher = TranslationBatcher("en", 100, lambda src, tgt: lengths[src])
    segs = [_seg("Hello.", "en"), _seg("Một hai ba.", "vi"), _seg("Bốn năm sáu.", "vi"), _seg("x", "und"), _seg("你好。", "zh")]
    assert batcher.queue("doc1", segs) == 3
    assert (batcher.counts.copied, batcher.counts.untranslated) == (1, 1)
    first = batcher.take()
    assert first is not None and first.lang == "vi" and first.owners == ["doc1", "doc1"]
    second = batcher.take()
    assert second is not None and [s.text for s in second.segments] == ["你好。"]
    batcher.close()
    assert batcher.take() is None


def test_the_engine_applies_the_same_policy(tmp_path):
    # No model is needed for segments the engine does not translate: the engine's and the
    # batcher's answers for them are the same ones.
    from tasks.translate.engine import translate_segments

    segs = [_seg("Hello.", "en"), _seg("123", "und"), _seg(" ", "vi"), _seg("?", "other")]
    stats = translate_segments(segs, "en", None, packages=tmp_path)
    assert [s.translation is not None and s.translation.model for s in segs] == ["copy", False, False, False]
    assert (stats.copied, stats.untranslated) == (1, 3)
    assert stats.untranslated_reasons == {"lang:und": 1, "empty": 1, "lang:other": 1}
    again = [_seg("Hello.", "en"), _seg("123", "und"), _seg(" ", "vi"), _seg("?", "other")]
    assert [settle(s, "en") for s in again] == ["copied", "lang:und", "empty", "lang:other"]


def test_the_fullest_bucket_goes_first_and_put_waits_when_full():
    stop = threading.Event()
    buckets = Buckets(limit=5)
    buckets.put(("vi", 7), "a", _seg("x1"), stop)
    buckets.put(("zh", 9), "a", _seg("y1", "zh"), stop)
    buckets.put(("zh", 9), "b", _seg("y2", "zh"), stop)
    buckets.put(("vi", None), "b", _seg("z1"), stop)
    first = buckets.take()
    assert first is not None and first.lang == "zh" and first.owners == ["a", "b"]
    for i in range(3):
        buckets.put(("vi", 7), "c", _seg(f"x{i + 2}"), stop)
    assert buckets.count == 5
    # Full: the next put waits until a translator takes a bucket.
    done = threading.Event()
    waiter = threading.Thread(target=lambda: (buckets.put(("vi", 3), "d", _seg("w"), stop), done.set()))
    waiter.start()
    time.sleep(0.5)
    assert not done.is_set()
    taken = buckets.take()
    assert taken is not None and [s.text for s in taken.segments] == ["x1", "x2", "x3", "x4"]
    waiter.join(timeout=5)
    assert done.is_set()
    # Closing ends the translators (take returns None) and releases a waiting put.
    buckets.close()
    assert buckets.take() is None
