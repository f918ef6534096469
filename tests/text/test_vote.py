"""Paragraph votes (tasks.text.vote): readability and jusText correct trafilatura where it and the density pass disagree.

Pure-function cases on paragraph lists, and a page we wrote where trafilatura keeps text
the page hides.
"""

from __future__ import annotations

from tasks.text.extract import DEFAULT_RULE, choose_candidate, extract_article, extract_candidates
from tasks.text.vote import joined, support, vote_paragraphs

ARTICLE = [
    f"In part {i} the report explains, with figures from the city, how the night bus plan would change "
    f"daily life for the people who depend on it, and why the question of route {i} has divided the council."
    for i in range(8)
]


def _sentence(p: str) -> bool:
    return p.endswith(".")


def test_support_ignores_paragraph_splits_case_and_punctuation() -> None:
    text = joined([ARTICLE[0][:60], ARTICLE[0][60:].upper()])
    assert support(ARTICLE[0], text) == 1.0
    assert support("Nothing of this is there at all. Not a single sentence here.", text) == 0.0


def test_rest_of_an_article_that_all_voters_keep_comes_in_at_its_place() -> None:
    anchor = ARTICLE[:3]  # trafilatura stopped early
    voters = {"density": ARTICLE, "readability": ARTICLE, "justext": ARTICLE[1:]}
    paras, added, dropped = vote_paragraphs(anchor, ARTICLE, voters, _sentence)
    assert paras == ARTICLE and added == 5 and dropped == 0


def test_two_votes_do_not_add_and_neither_do_non_sentences() -> None:
    density = ["Key points", *ARTICLE]
    voters = {"density": density, "readability": ARTICLE[:3], "justext": density}
    paras, added, _ = vote_paragraphs(ARTICLE[:3], density, voters, _sentence)
    assert paras == ARTICLE[:3] and added == 0  # readability does not keep the rest: no majority


def test_an_end_paragraph_no_voter_keeps_goes_but_not_one_inside_the_text() -> None:
    leftover, inner = "2019-11-19T08:57:40+01:00", "Club statement"
    anchor = [ARTICLE[0], inner, *ARTICLE[1:], leftover]
    voters = {"density": ARTICLE, "readability": ARTICLE, "justext": ARTICLE}
    paras, added, dropped = vote_paragraphs(anchor, ARTICLE, voters, _sentence)
    assert paras == anchor[:-1] and dropped == 1 and added == 0
    # One voter keeping it is enough to stay (drop_votes=1).
    voters["justext"] = [*ARTICLE, leftover]
    assert vote_paragraphs(anchor, ARTICLE, voters, _sentence)[0] == anchor


def test_when_no_voter_keeps_anything_the_anchor_stays_whole() -> None:
    voters = {"density": ["x"], "readability": [], "justext": []}
    assert vote_paragraphs(ARTICLE, ["x"], voters, _sentence)[0] == ARTICLE


def test_the_rule_can_switch_votes_off() -> None:
    cands = {
        "trafilatura": ARTICLE[:6],  # more than half: not "stopped early", trafilatura stays the anchor
        "density": ARTICLE,
        "readability": ARTICLE,
        "justext": ARTICLE,
    }
    choice = choose_candidate(cands)
    assert choice.name == "trafilatura+vote" and choice.paragraphs == ARTICLE
    from dataclasses import replace

    off = choose_candidate(cands, replace(DEFAULT_RULE, vote_add=4, vote_drop=0))
    assert off.name == "trafilatura" and off.paragraphs == ARTICLE[:6]


def test_no_votes_without_readability_and_justext() -> None:
    # Candidates from before the voters (or a page where the two agree): trafilatura as is.
    choice = choose_candidate({"trafilatura": ARTICLE[:6], "density": ARTICLE})
    assert choice.name == "trafilatura"


def _page(tail: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in ARTICLE)
    return (
        "<html lang='en'><head><meta charset='utf-8'><title>Night buses | City Post</title></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/city'>City</a></nav></header>"
        f"<article><h1>Night buses</h1>{body}{tail}</article><footer>© City Post</footer></body></html>"
    ).encode()


def test_hidden_metadata_trafilatura_keeps_after_the_article_goes() -> None:
    page = _page("<div hidden><p>2019-11-19T08:57:40+01:00</p><p>CityPostInternational</p></div>")
    cands = extract_candidates(page)
    assert cands["trafilatura"][-1] == "CityPostInternational"  # the structure this test is about
    doc = extract_article(page, url="https://citypost.example/a")
    assert doc.paragraphs == ARTICLE
    assert doc.extractor.endswith("|generic:trafilatura+vote")


def test_pages_where_the_candidates_agree_run_no_voters() -> None:
    cands = extract_candidates(_page(""))
    assert "readability" not in cands and "justext" not in cands
    assert extract_article(_page(""), url="").paragraphs == ARTICLE


def test_stopped_early_needs_readability_too_when_it_ran() -> None:
    # An unmarked comment thread after the article: the density pass and trafilatura's
    # recall mode keep it, readability does not; trafilatura's article stays.
    thread = [
        f"Reader {i} wrote that the council has ignored the outer districts for years and that nobody there "
        f"believes the promise about the buses until the first one actually arrives at stop number {i}."
        for i in range(12)
    ]
    cands = {"trafilatura": ARTICLE[:3], "density": ARTICLE[:3] + thread, "trafilatura_recall": ARTICLE[:3] + thread}
    assert choose_candidate(cands).name == "density"  # recall mode alone confirms it
    cands["readability"], cands["justext"] = ARTICLE[:3], ARTICLE[:3] + thread
    choice = choose_candidate(cands)
    assert choice.name == "trafilatura" and choice.paragraphs == ARTICLE[:3]


def test_an_article_trafilatura_missed_entirely_comes_in_when_all_voters_find_it() -> None:
    # trafilatura kept a stray block (the unseen check's "recall 0.03" page): the density
    # pass, readability and jusText all hold the article, so its sentences come in.
    stray = [
        "Photo gallery: the valley from above, in twelve pictures taken by our readers during the long dry summer.",
        "Send us your own pictures of the river, the reservoirs and the fields, and we will publish the best of them.",
    ]  # over 30 tokens: not "near-empty"
    cands = {"trafilatura": stray, "density": ARTICLE, "readability": ARTICLE, "justext": ARTICLE}
    choice = choose_candidate(cands)
    assert choice.name == "trafilatura+vote" and all(p in choice.paragraphs for p in ARTICLE)
    assert choice.confidence < DEFAULT_RULE.low_confidence  # and the page is flagged


STANDFIRST = "Penalties for those who refuse to self-isolate are to be increased to a maximum of ten thousand pounds"


def test_a_standfirst_no_voter_keeps_stays_at_the_top_but_a_leftover_does_not() -> None:
    # The voters start at the body; the page's summary above it is still the article's.
    leftover = "2019-11-19T08:57:40+01:00"
    anchor = [leftover, STANDFIRST, *ARTICLE]
    voters = {"density": ARTICLE, "readability": ARTICLE, "justext": ARTICLE}
    lead = lambda p: len(p.split()) >= 10  # noqa: E731
    paras, _, dropped = vote_paragraphs(anchor, ARTICLE, voters, _sentence, lead=lead)
    assert paras == [STANDFIRST, *ARTICLE] and dropped == 1
    # Without `lead` (the default) both go, as before.
    assert vote_paragraphs(anchor, ARTICLE, voters, _sentence)[0] == ARTICLE
    # At the end a long line still goes when no voter keeps it.
    assert vote_paragraphs([*ARTICLE, STANDFIRST], ARTICLE, voters, _sentence, lead=lead)[0] == ARTICLE


def test_the_combination_keeps_a_standfirst_and_adds_no_promotion() -> None:
    promo = "Get the latest news straight to your phone with the Valley Times app, free for every reader."
    cands = {
        "trafilatura": [STANDFIRST, *ARTICLE[:6]],
        "density": [*ARTICLE, promo],
        "readability": [*ARTICLE, promo],
        "justext": [*ARTICLE, promo],
    }
    choice = choose_candidate(cands)
    assert choice.name == "trafilatura+vote"
    assert choice.paragraphs == [STANDFIRST, *ARTICLE]  # the rest comes in, the promotion does not


def test_a_list_number_does_not_hide_an_item_from_the_voters() -> None:
    item = "Em uma vasilha grande coloque os ingredientes secos peneirados e misture bem."
    assert support(f"- 1.{item}", joined([item])) == 1.0
    assert support(f"2) {item}", joined([item])) == 1.0


def test_votes_never_drop_half_of_the_anchor() -> None:
    # The voters kept only one line of a recipe whose steps trafilatura renders "- 1.Step":
    # dropping the rest would take most of the text, so the voters missed it, not trafilatura.
    steps = [f"- {i}.Step {i} of the recipe, with its own words about the dough number {i}" for i in range(1, 8)]
    anchor = ["Ingredients", "Method", *steps]
    voters = {"density": ["Method"], "readability": ["Method"], "justext": []}
    paras, _, dropped = vote_paragraphs(anchor, ["Method"], voters, _sentence)
    assert paras == anchor and dropped == 0


def test_a_list_item_above_the_article_is_no_standfirst() -> None:
    item = "- Lawyer who refused to wear a mask need not be granted a new hearing, court rules"
    cands = {
        "trafilatura": [item, STANDFIRST, *ARTICLE[:6]],
        "density": ARTICLE,
        "readability": ARTICLE,
        "justext": ARTICLE,
    }
    assert choose_candidate(cands).paragraphs == [STANDFIRST, *ARTICLE]
