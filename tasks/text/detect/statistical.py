"""langdetect, seeded and loaded once, restricted to the languages a script allows."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from tasks.text.detect.detection import LANGDETECT_SEED

# --------------------------------------------------------------------------- langdetect

_FACTORY_LOCK = threading.Lock()


@lru_cache(maxsize=None)
def _factory(langs: tuple[str, ...] | None):
    """A seeded langdetect factory with only `langs`' profiles (None = all), loaded once."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    with _FACTORY_LOCK:
        factory = DetectorFactory()
        if langs is None:
            factory.load_profile(PROFILES_DIRECTORY)
        else:
            profiles = [(Path(PROFILES_DIRECTORY) / lang).read_text(encoding="utf-8") for lang in langs]
            factory.load_json_profile(profiles)
        factory.set_seed(LANGDETECT_SEED)
        return factory


def _langdetect_probs(text: str, langs: tuple[str, ...] | None) -> dict[str, float]:
    """langdetect probabilities over `langs` (all profiles when None); {} without features."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _factory(langs).create()
    detector.append(text)
    try:
        return {p.lang: p.prob for p in detector.get_probabilities()}
    except LangDetectException:
        return {}
