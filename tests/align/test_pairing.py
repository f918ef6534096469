"""Story pairing (tasks/align/pairing.py): its evidence in rank order, one-to-one, and content pairing's refusals."""

from __future__ import annotations


def _doc(key, lang, url, text, **kw):
    from tasks.align.pairing import DocInfo, content_features

    d = DocInfo(key=key, outlet="o", lang=lang, url=url, urls={url}, text=text, **kw)
    d.features = content_features(text, lang)
    return d


def test_pairing_methods_in_order_and_one_to_one():
    from tasks.align.pairing import candidate_pairs, group_stories

    en = "Maria Schmidt of UNESCO said 4,500 visitors came to Hanoi in 2024, up 17 percent."
    vi = "Bà Maria Schmidt của UNESCO cho biết 4.500 du khách đã đến Hà Nội năm 2024, tăng 17 phần trăm."
    zh = "UNESCO的Maria Schmidt表示，2024年有4500名游客到访河内，增长17%。"
    other_en = "John Carter of ASEAN said 93 projects would start in Kunming before March 8."
    docs = [
        _doc("vi1", "vi", "http://v/a-1", vi, alternates={"en": "http://e/b-2"}),
        _doc("en1", "en", "http://e/b-2", en, alternates={"vi": "http://v/a-1"}),
        _doc("zh1", "zh", "http://z/c-3", zh),
        _doc("en2", "en", "http://e/d-4", other_en, links=["http://z/c-3"], switch_links={"http://z/c-3"}),
    ]
    pairs = candidate_pairs(docs)
    methods = {frozenset((p.a, p.b)): p.method for p in pairs}
    assert methods[frozenset(("vi1", "en1"))] == "hreflang"
    assert methods[frozenset(("en2", "zh1"))] == "link"
    stories = group_stories(docs, pairs)
    # zh1 is linked from en2, so it cannot also join the vi1/en1 story (one version per language).
    members = sorted(sorted(s.members.values()) for s in stories)
    assert members == [["en1", "vi1"], ["en2", "zh1"]]


def test_content_pairing_needs_no_mt_and_refuses_a_lone_distractor():
    from tasks.align.pairing import candidate_pairs

    en = ("Maria Schmidt, director of UNESCO, said Hanoi received 48,213 visitors in 2019. "
          "Officials plan to invest 3,400,000 dollars in education over the next 7 years.")
    vi = ("Bà Maria Schmidt, giám đốc UNESCO, cho biết Hà Nội đã đón 48.213 lượt khách trong năm 2019. "
          "Các quan chức dự kiến đầu tư 3.400.000 đô la vào giáo dục trong 7 năm tới.")
    lone = ("Ahmed Karim of the WTO said 61 partners signed an agreement in Kunming, "
            "while experts warned about costs of 820,000 dollars.")
    docs = [_doc("vi", "vi", "http://v/1", vi), _doc("en", "en", "http://e/1", en), _doc("en-lone", "en", "http://e/2", lone)]
    pairs = candidate_pairs(docs)
    assert [(p.a, p.b, p.method) for p in pairs] == [("en", "vi", "content")]
    assert 0 < pairs[0].score <= 1


def test_a_page_naming_its_absent_counterpart_is_not_content_paired_with_another():
    """vi names en URL X (never stored) by hreflang or a switch link: no content pair with en Y, no story through zh."""
    from tasks.align.pairing import candidate_pairs, pair_documents

    en = ("Maria Schmidt, director of UNESCO, said Hanoi received 48,213 visitors in 2019. "
          "Officials plan to invest 3,400,000 dollars in education over the next 7 years.")
    vi = ("Bà Maria Schmidt, giám đốc UNESCO, cho biết Hà Nội đã đón 48.213 lượt khách trong năm 2019. "
          "Các quan chức dự kiến đầu tư 3.400.000 đô la vào giáo dục trong 7 năm tới.")
    zh = "UNESCO主任Maria Schmidt表示，河内2019年接待了48213名游客。官员计划在未来7年向教育投资3400000美元。"

    def docs(**vi_kw):
        return [_doc("vi", "vi", "http://s/vi/tin/1", vi, **vi_kw), _doc("en", "en", "http://s/en/news/7", en),
                _doc("zh", "zh", "http://s/zh/xinwen/9", zh)]

    def pairs(ds):
        return {frozenset((p.a, p.b)): p.method for p in candidate_pairs(ds)}

    # Control: nothing named, the content pair forms and the three versions make one story.
    assert pairs(docs())[frozenset(("en", "vi"))] == "content"
    assert [sorted(s.members) for s in pair_documents(docs())] == [["en", "vi", "zh"]]
    for kw in ({"alternates": {"en": "http://s/en/news/8"}},  # hreflang to an en page that was never stored
               {"links": ["http://s/en/news/8"], "switch_links": {"http://s/en/news/8"}}):  # "English" switch link
        ds = docs(**kw)
        assert frozenset(("en", "vi")) not in pairs(ds)
        stories = pair_documents(ds)
        # vi may still pair with zh, but never joins en Y's story (not through zh's content pair either).
        assert not any({"vi", "en"} <= set(s.members) for s in stories), [s.members for s in stories]
    # A named URL that is the stored doc still pairs, by hreflang; compared canonicalised (fragment dropped).
    assert pairs(docs(alternates={"en": "http://s/en/news/7"}))[frozenset(("en", "vi"))] == "hreflang"
    assert pairs(docs(links=["http://s/en/news/7#top"], switch_links={"http://s/en/news/7#top"}))[frozenset(("en", "vi"))] == "content"
