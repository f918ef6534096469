"""Story pairing without a link: document evidence (numbers, names, dictionaries, the learned
lexicon), a calibrated probability with rivals, nothing paired below the threshold, and the
features recorded in `paired_by`."""

from __future__ import annotations

from tasks.align.content_pairs import ContentScorer
from tasks.align.doc_evidence import PAIR_FEATURES, PairScorer, doc_evidence, fit_logistic, shipped_model
from tasks.align.pairing import DocInfo, content_features, pair_documents, story_block

VI = ("Bà Maria Schmidt, giám đốc UNESCO, cho biết Hà Nội đã đón 48.213 lượt khách trong năm 2019. "
      "Con số này tăng 17 phần trăm so với năm trước, theo báo cáo do ASEAN công bố. "
      "Các quan chức dự kiến đầu tư 3.400.000 đô la vào giáo dục trong 7 năm tới. "
      "Ông John Carter nói với các phóng viên rằng 93 dự án mới sẽ khởi công trước ngày 8 tháng 3.")
# The English edition: abridged (the last two sentences dropped) and a line of context added.
EN = ("Maria Schmidt, director of UNESCO, said Hanoi received 48,213 visitors in 2019. "
      "Hanoi is the capital of Vietnam. "
      "The number rose by 17 percent compared with the previous year, according to a report by ASEAN.")
LONE = ("Ahmed Karim of the WTO said 61 partners signed an agreement in Kunming in 2019, "
        "while experts warned about costs of 820,000 dollars.")


def _doc(key: str, lang: str, text: str, lexicon=None) -> DocInfo:
    d = DocInfo(key=key, outlet="o", lang=lang, url=f"http://{lang}.example/{key}", urls=set(), text=text)
    d.features = content_features(text, lang, lexicon)
    return d


def test_an_abridged_edition_pairs_and_a_lone_article_does_not() -> None:
    docs = [_doc("vi", "vi", VI), _doc("en", "en", EN), _doc("en-lone", "en", LONE)]
    stories = pair_documents(docs)
    assert [sorted(s.members.values()) for s in stories] == [["en", "vi"]]
    edge = stories[0].edges[0]
    assert edge.method == "content" and shipped_model().threshold <= edge.score <= 1
    block = story_block(stories[0], docs[0], {d.key: d for d in docs})
    assert block.paired_by is not None and block.paired_by.features is not None
    features = block.paired_by.features
    assert set(PAIR_FEATURES) <= set(features) and features["threshold"] == shipped_model().threshold
    assert features["numbers"] > 0.5 and features["names"] > 0.5


def test_below_the_threshold_nothing_is_paired() -> None:
    docs = [_doc("vi", "vi", VI), _doc("en-lone", "en", LONE)]
    scorer = ContentScorer(docs)
    p, _ = scorer.provenance(docs[0], docs[1], None, None)
    assert p < shipped_model().threshold
    assert pair_documents(docs) == []


def test_a_rival_lowers_the_probability() -> None:
    docs = [_doc("vi", "vi", VI), _doc("en", "en", EN)]
    scorer = ContentScorer(docs)
    z = scorer.logit(docs[0], docs[1])
    assert z is not None
    alone, _ = scorer.provenance(docs[0], docs[1], None, None)
    rivalled, _ = scorer.provenance(docs[0], docs[1], z - 0.1, None)
    assert rivalled < alone


def test_the_learned_lexicon_adds_dictionary_evidence() -> None:
    vi = "Khách du lịch đông vui ở thủ đô."
    en = "Tourists crowd the capital happily."
    plain = PairScorer([doc_evidence(vi, "vi"), doc_evidence(en, "en")])
    learned = {"đông": {"crowd": 0.8}, "vui": {"happi": 0.7}}
    a, b = doc_evidence(vi, "vi", learned), doc_evidence(en, "en")
    with_lexicon = PairScorer([a, b])
    i = PAIR_FEATURES.index("lexicon_src")
    assert with_lexicon.features(a, b)[i] > plain.features(doc_evidence(vi, "vi"), b)[i]


def test_logistic_fit_separates() -> None:
    rows = [[0.0], [0.1], [0.2], [0.8], [0.9], [1.0]]
    w = fit_logistic(rows, [0, 0, 0, 1, 1, 1])
    assert w[0] > 0 and w[0] * 0.1 + w[1] < 0 < w[0] * 0.9 + w[1]


def test_empty_and_odd_documents_are_scored_not_crashed() -> None:
    docs = [_doc("vi", "vi", ""), _doc("en", "en", "x" * 50_000), _doc("zh", "zh", "——")]
    assert pair_documents(docs) == []


def test_a_translators_decision_survives_realignment() -> None:
    from tasks.align.pairing import carry_decisions
    from tasks.store.document import LinkReview, StoryLink

    def link(i: int, export: bool, decision: str | None = None) -> StoryLink:
        return StoryLink(src=[f"a:0:{i}"], tgt=[f"e:0:{i}"], score=0.5, method="evidence", export=export,
                         review=LinkReview(decision=decision, by="lan") if decision else None)

    old = [link(0, True, "confirm"), link(1, False, "reject")]
    out = carry_decisions(old, [link(0, False), link(1, True), link(2, False)])
    assert [(x.export, x.review.decision if x.review else None) for x in out] == [(True, "confirm"), (False, "reject"), (False, None)]


def test_a_weak_pair_is_not_lifted_by_weaker_rivals() -> None:
    """A pair whose own evidence is under the model's floor gets 0, however far below it its rivals are
    (seen in the two-night outlet check: log-odds -3.4 with both rivals a little weaker)."""
    model = shipped_model()
    scorer = PairScorer([], model)
    assert model.min_logit is not None
    assert scorer.probability(model.min_logit - 0.1, model.min_logit - 5, None) == 0.0
    assert scorer.probability(model.min_logit + 8, None, None) > model.threshold
