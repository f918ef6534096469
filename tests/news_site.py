"""A loopback multi-edition news outlet for discovery and pairing tests.

Three editions, each its own loopback server (tests/faultserver.py): vi (RSS advertised
on the home page, robots.txt `Sitemap:` -> a sitemap index with an old-articles sitemap),
en (Atom advertised, a disallowed /private/ path linked from the home page, a section
page listing an undated old article) and zh (only a news sitemap named in robots.txt).
Home and section pages are full of navigation links. Stories are generated parallel text
(the same facts in vi, zh and en, from sentence templates written for these tests) and
are linked by hreflang, by an in-page link only, or not at all; some have one version
only (distractors). `night(2)` adds new articles and late translations of night-1 ones.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from faultserver import FaultServer, Route  # tests/ is on sys.path (rootdir-less import)

LANGS = ("vi", "zh", "en")
_PEOPLE = ["Maria Schmidt", "John Carter", "Elena Petrova", "Ahmed Karim", "Lucas Moreau", "Sofia Rossi", "David Novak",
           "Anna Berg", "Peter Lang", "Julia Weber", "Marco Bianchi", "Nina Kowalski", "Oscar Lind", "Paula Reyes",
           "Ivan Horvat", "Clara Jensen", "Tomas Silva", "Eva Larsen", "Hugo Stein", "Lena Fischer"]
_ORGS = ["UNESCO", "ASEAN", "WHO", "UNDP", "OECD", "FAO", "IMF", "UNICEF", "WTO", "ADB", "APEC", "IAEA", "ILO", "WFP"]
_CITIES = [("Hà Nội", "河内", "Hanoi"), ("Nam Ninh", "南宁", "Nanning"), ("Đà Nẵng", "岘港", "Da Nang"),
           ("Côn Minh", "昆明", "Kunming"), ("Hải Phòng", "海防", "Hai Phong"), ("Quảng Châu", "广州", "Guangzhou")]
_TOPICS = [("giáo dục", "教育", "education"), ("y tế", "医疗", "health care"), ("giao thông", "交通", "transport"),
           ("du lịch", "旅游", "tourism"), ("năng lượng", "能源", "energy"), ("nông nghiệp", "农业", "agriculture")]
_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]

# Sentence templates: the same fact in each language (written for these tests).
_TEMPLATES = {
    "vi": [
        "{p1}, giám đốc {o1}, cho biết {c1} đã đón {n1v} lượt khách trong năm {y}.",
        "Con số này tăng {pct} phần trăm so với năm trước, theo báo cáo do {o2} công bố.",
        "Các quan chức dự kiến đầu tư {m_v} đô la vào {t} trong {k} năm tới.",
        "{p2} thuộc {o1} nói với các phóng viên rằng {n4} dự án mới sẽ khởi công trước ngày {d} tháng {mo}.",
        "Người dân địa phương hoan nghênh kế hoạch này, trong khi một số chuyên gia cảnh báo về chi phí.",
        "Cuộc họp tại {c2} kết thúc với một thỏa thuận được ký bởi {n5} đối tác.",
    ],
    "zh": [
        "{o1}主任{p1}表示，{c1}在{y}年接待了{n1z}名游客。",
        "根据{o2}发布的报告，这一数字比上一年增长了{pct}%。",
        "官员计划在未来{k}年内向{t}投资{m_z}美元。",
        "{o1}的{p2}告诉记者，{n4}个新项目将在{mo}月{d}日之前开工。",
        "当地居民对该计划表示欢迎，但一些专家对成本提出了警告。",
        "在{c2}举行的会议以{n5}个合作伙伴签署协议结束。",
    ],
    "en": [
        "{p1}, director of {o1}, said {c1} received {n1e} visitors in {y}.",
        "The number rose by {pct} percent compared with the previous year, according to a report by {o2}.",
        "Officials plan to invest {m_e} dollars in {t} over the next {k} years.",
        "{p2} of {o1} told reporters that {n4} new projects would start before {moe} {d}.",
        "Local residents welcomed the plan, while some experts warned about the costs.",
        "The meeting in {c2} ended with an agreement signed by {n5} partners.",
    ],
}
_TITLES = {"vi": "{c1} đẩy mạnh {t} với {n4} dự án mới", "zh": "{c1}推进{t}：{n4}个新项目", "en": "{c1} boosts {t} with {n4} new projects"}
_SWITCH = {"vi": "Tiếng Việt", "zh": "中文", "en": "English"}


@dataclass
class Article:
    story: str
    lang: str
    path: str
    title: str
    paragraphs: list[str]
    published: datetime
    evidence: str = "none"  # "hreflang" | "link" | "none" (how its versions point at each other)
    night: int = 1
    old: bool = False
    links_to: list[str] = field(default_factory=list)  # full URLs of other versions (link / hreflang)


def _num(n: int, lang: str) -> str:
    s = f"{n:,}"
    return s.replace(",", ".") if lang == "vi" else (str(n) if lang == "zh" else s)


def story_text(seed: int) -> dict[str, tuple[str, list[str]]]:
    """(title, paragraphs) per language for one generated story."""
    rng = random.Random(seed)
    ci, ci2, ti = rng.sample(range(len(_CITIES)), 2) + [rng.randrange(len(_TOPICS))]
    p1, p2 = rng.sample(_PEOPLE, 2)
    o1, o2 = rng.sample(_ORGS, 2)
    slots = dict(p1=p1, p2=p2, o1=o1, o2=o2, y=rng.randint(2015, 2025), pct=rng.randint(11, 89), k=rng.randint(3, 12),
                 n4=rng.randint(13, 97), d=rng.randint(2, 28), mo=rng.randint(1, 12), n5=rng.randint(14, 60))
    n1, money = rng.randint(12_000, 990_000), rng.randint(2, 900) * 100_000
    out = {}
    for li, lang in enumerate(LANGS):
        v = dict(slots, c1=_CITIES[ci][li], c2=_CITIES[ci2][li], t=_TOPICS[ti][li], n1v=_num(n1, "vi"), n1z=_num(n1, "zh"),
                 n1e=_num(n1, "en"), m_v=_num(money, "vi"), m_z=_num(money, "zh"), m_e=_num(money, "en"),
                 moe=_MONTHS_EN[slots["mo"] - 1])
        sentences = [t.format(**v) for t in _TEMPLATES[lang]]
        rng2 = random.Random(seed * 7 + li)
        order = sentences[:2] + rng2.sample(sentences[2:], len(sentences) - 2)  # versions differ in order a little
        paragraphs = [" ".join(order[i : i + 2]) for i in range(0, len(order), 2)]
        out[lang] = (_TITLES[lang].format(**v), paragraphs)
    return out


class NewsSite:
    """Three loopback editions; `night(n)` (re)publishes the site as of night n.

    layout "ports": each edition its own server (host:port); "paths": one server, the
    editions under /vi/, /zh/, /en/ with one robots.txt naming every edition's sitemaps.
    """

    SECTIONS = {"vi": ["the-gioi", "kinh-te", "xa-hoi", "the-thao", "giai-tri"], "zh": ["guoji", "jingji", "shehui", "tiyu"],
                "en": ["world", "business", "society", "sport", "culture"]}

    def __init__(self, layout: str = "ports") -> None:
        if layout == "ports":
            self.servers = {lang: FaultServer().start() for lang in LANGS}
            self.prefix = {lang: "" for lang in LANGS}
        else:
            one = FaultServer().start()
            self.servers = {lang: one for lang in LANGS}
            self.prefix = {lang: f"/{lang}" for lang in LANGS}
        self._robots: dict[int, list[str]] = {}
        self.now = datetime.now(timezone.utc)
        # Dated URLs follow the clock: a fixed date in a URL ages past max_age_days and is skipped as old.
        self.today = self.now.date().isoformat()
        self.private_path = f"/private/secret-report-{self.today}.html"
        self.articles: list[Article] = []
        self.pairs_truth: dict[frozenset[str], str] = {}  # {url_a, url_b} -> evidence

    def _unique_servers(self) -> list[FaultServer]:
        return list({id(s): s for s in self.servers.values()}.values())

    def close(self) -> None:
        for srv in self._unique_servers():
            srv.stop()

    def url(self, lang: str, path: str) -> str:
        return self.servers[lang].url(self.prefix[lang] + path)

    def count(self, lang: str, path: str) -> int:
        """Requests the edition's server saw for a path (any query)."""
        full = self.prefix[lang] + path
        return sum(1 for r in self.servers[lang].requests if r.path.split("?")[0] == full)

    def requested_urls(self) -> set[str]:
        return {srv.base_url + r.path.split("?")[0] for srv in self._unique_servers() for r in srv.requests}

    def clear_logs(self) -> None:
        for srv in self._unique_servers():
            srv.clear_log()

    def home(self, lang: str) -> str:
        return self.url(lang, "/")

    # -- content
    def _story(self, name: str, seed: int, langs: tuple[str, ...], evidence: str, night: int, hours_ago: float,
               old: bool = False, late: dict[str, int] | None = None) -> None:
        texts = story_text(seed)
        section = {lang: self.SECTIONS[lang][seed % len(self.SECTIONS[lang])] for lang in LANGS}
        arts = []
        for lang in langs:
            # Article ids differ per edition (no URL evidence); the en old one has no date anywhere but the page.
            path = f"/{section[lang]}/{name}-{ {'vi': 1, 'zh': 3, 'en': 5}[lang]}{seed:05d}.html"
            title, paras = texts[lang]
            when = self.now - (timedelta(days=30) if old else timedelta(hours=hours_ago))
            arts.append(Article(name, lang, path, title, paras, when, evidence, (late or {}).get(lang, night), old))
        for a in arts:
            a.links_to = [self.url(b.lang, b.path) for b in arts if b is not a]
        if evidence == "link":
            # Only the later/translated versions point back at the original (one way), as a "Source:" line or a switch.
            for a in arts[1:]:
                a.links_to = [self.url(arts[0].lang, arts[0].path)]
            arts[0].links_to = []
        self.articles += arts
        if not old:
            for i, a in enumerate(arts):
                for b in arts[i + 1 :]:
                    self.pairs_truth[frozenset((self.url(a.lang, a.path), self.url(b.lang, b.path)))] = evidence

    def build(self) -> None:
        """Every story of both nights (published per night by `night`)."""
        s = self._story
        s("hop-tac-khoa-hoc", 11, ("vi", "zh", "en"), "hreflang", 1, 5)
        s("dau-tu-ha-tang", 12, ("vi", "en"), "link", 1, 8)
        s("giao-thuong-bien-gioi", 13, ("vi", "zh"), "link", 1, 10)
        s("du-lich-mua-dong", 14, ("vi", "en"), "none", 1, 12)
        s("nang-luong-sach", 15, ("zh", "en"), "none", 1, 14)
        s("nong-nghiep-xanh", 16, ("vi", "zh", "en"), "none", 1, 20)
        s("giao-duc-nghe", 17, ("vi",), "none", 1, 6)
        s("world-health-note", 18, ("en",), "none", 1, 7)
        s("kinh-te-so", 19, ("zh",), "none", 1, 9)
        s("y-te-co-so", 20, ("vi", "en"), "none", 1, 15, late={"en": 2})  # late English translation, nothing links
        s("cang-bien", 21, ("zh", "en"), "hreflang", 1, 16, late={"en": 2})  # late English, hreflang one way
        s("van-hoa-le-hoi", 22, ("vi", "zh", "en"), "none", 2, 3)
        s("thi-truong-lua-gao", 23, ("vi", "en"), "hreflang", 2, 4)
        s("moi-truong-song", 24, ("zh",), "none", 2, 2)
        s("bao-cu", 25, ("vi",), "none", 1, 0, old=True)  # old: dated in the sitemap index's old sitemap
        s("old-analysis", 26, ("en",), "none", 1, 0, old=True)  # old: undated link on a section page

    # -- pages
    def _article_html(self, a: Article) -> str:
        head = ""
        body_links = ""
        if a.evidence == "hreflang":
            alts = [(a.lang, self.url(a.lang, a.path))] + [(self._lang_of(u), u) for u in a.links_to]
            head = "".join(f'<link rel="alternate" hreflang="{lg}" href="{u}">' for lg, u in alts)
        elif a.evidence == "link" and a.links_to:
            target = a.links_to[0]
            if a.lang == "en":
                body_links = f"<p>Source: {html.escape(target)}</p>"
            else:
                body_links = f'<p><a href="{target}">{_SWITCH[self._lang_of(target)]}</a></p>'
        nav = self._nav(a.lang)
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in a.paragraphs)
        date = a.published.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return (
            f'<!doctype html><html lang="{a.lang}"><head><meta charset="utf-8"><title>{html.escape(a.title)}</title>'
            f'<meta property="article:published_time" content="{date}">{head}</head><body>{nav}'
            f"<article><h1>{html.escape(a.title)}</h1><p class=\"date\">{a.published.date().isoformat()}</p>"
            f"{paras}{body_links}</article><footer>{nav}</footer></body></html>"
        )

    def _lang_of(self, url: str) -> str:
        return next(lang for lang in LANGS if url.startswith(self.url(lang, "/")))

    def _nav(self, lang: str) -> str:
        pre = self.prefix[lang]
        items = "".join(f'<li><a href="{pre}/{s}/">{s}</a></li>' for s in self.SECTIONS[lang])
        items += f'<li><a href="{pre}/search?q=x">search</a></li><li><a href="{pre}/tag/news/">tag</a></li>'
        items += "".join(f'<li><a href="{self.home(o)}">{_SWITCH[o]}</a></li>' for o in LANGS if o != lang)
        items += f'<li><a href="https://elsewhere.invalid/ad-campaign-{self.today}.html">ad</a></li>'
        return f"<nav><ul>{items}</ul></nav>"

    def night(self, n: int) -> None:
        """Publish the site as of night n (articles of nights <= n)."""
        live = [a for a in self.articles if a.night <= n]
        self._robots = {}
        for lang, srv in self.servers.items():
            pre = self.prefix[lang]
            mine = [a for a in live if a.lang == lang]
            recent = [a for a in mine if not a.old]
            for a in mine:
                srv.page(pre + a.path, self._article_html(a))
            home_links = "".join(f'<a href="{pre}{a.path}">{html.escape(a.title)}</a>' for a in recent[-3:])
            adverts = {"vi": f'<link rel="alternate" type="application/rss+xml" href="{pre}/rss.xml">',
                       "en": f'<link rel="alternate" type="application/atom+xml" href="{pre}/atom.xml">', "zh": ""}[lang]
            private = f'<a href="{pre}{self.private_path}">internal</a>' if lang == "en" else ""
            srv.page(pre + "/", f"<!doctype html><html><head>{adverts}</head><body>{self._nav(lang)}{home_links}{private}</body></html>")
            for i, sec in enumerate(self.SECTIONS[lang]):
                listed = [a for a in mine if a.path.startswith(f"/{sec}/")]
                links = "".join(f'<li><a href="{pre}{a.path}?utm_source=section">{html.escape(a.title)}</a></li>' for a in listed)
                srv.page(f"{pre}/{sec}/", f"<html><body>{self._nav(lang)}<ul>{links}</ul></body></html>")
            if lang == "en":
                srv.page(pre + self.private_path, "<html><body><p>private</p></body></html>")
            self._feeds(lang, srv, recent, mine)
        for srv in self._unique_servers():
            lines = self._robots.get(id(srv), [])
            disallow = sorted({ln for ln in lines if ln.startswith("Disallow")})
            maps = [ln for ln in lines if ln.startswith("Sitemap")]
            srv.robots("User-agent: *\n" + "".join(ln + "\n" for ln in disallow + maps))

    def _feeds(self, lang: str, srv: FaultServer, recent: list[Article], mine: list[Article]) -> None:
        pre = self.prefix[lang]
        robots = self._robots.setdefault(id(srv), [])

        def rfc822(d: datetime) -> str:
            return d.strftime("%a, %d %b %Y %H:%M:%S +0000")

        if lang == "vi":
            items = "".join(f"<item><title>{html.escape(a.title)}</title><link>{self.url(lang, a.path)}</link>"
                            f"<pubDate>{rfc822(a.published)}</pubDate></item>" for a in recent)
            srv.add(pre + "/rss.xml", Route(body=f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>vi</title>'
                                           f"{items}</channel></rss>".encode(), content_type="application/rss+xml",
                                      etag=f'"rss-{len(recent)}"'))
            old = [a for a in mine if a.old]
            urls = "".join(f"<url><loc>{self.url(lang, a.path)}</loc><lastmod>{a.published.date().isoformat()}</lastmod></url>" for a in old)
            srv.add(pre + "/sitemap-old.xml", Route(body=_urlset(urls), content_type="application/xml"))
            urls = "".join(f"<url><loc>{self.url(lang, a.path)}</loc><lastmod>{a.published.isoformat()}</lastmod></url>" for a in recent)
            srv.add(pre + "/sitemap-recent.xml", Route(body=_urlset(urls), content_type="application/xml"))
            index = "".join(f"<sitemap><loc>{srv.url(p)}</loc></sitemap>" for p in (pre + "/sitemap-old.xml", pre + "/sitemap-recent.xml"))
            srv.add(pre + "/sitemap_index.xml", Route(body=(
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{index}</sitemapindex>").encode(), content_type="application/xml"))
            robots += [f"Disallow: {pre}/private/", f"Sitemap: {srv.url(pre + '/sitemap_index.xml')}"]
        elif lang == "en":
            entries = "".join(f"<entry><title>{html.escape(a.title)}</title><link href=\"{self.url(lang, a.path)}\"/>"
                              f"<id>{self.url(lang, a.path)}</id><updated>{a.published.isoformat()}</updated></entry>" for a in recent)
            srv.add(pre + "/atom.xml", Route(body=(f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                                             f"<title>en</title><id>{self.home(lang)}</id><updated>{self.now.isoformat()}</updated>"
                                             f"{entries}</feed>").encode(), content_type="application/atom+xml"))
            robots += [f"Disallow: {pre}/private/"]
        else:
            urls = "".join(
                f"<url><loc>{self.url(lang, a.path)}</loc><news:news><news:publication><news:name>zh</news:name>"
                f"<news:language>zh</news:language></news:publication><news:publication_date>{a.published.isoformat()}"
                f"</news:publication_date><news:title>{html.escape(a.title)}</news:title></news:news></url>" for a in recent)
            srv.add(pre + "/news-sitemap.xml", Route(body=_urlset(urls, news=True), content_type="application/xml"))
            robots += [f"Disallow: {pre}/private/", f"Sitemap: {srv.url(pre + '/news-sitemap.xml')}"]

    def sources_yaml(self, max_age_days: float = 2) -> str:
        editions = "".join(f"      {lang}: {self.home(lang)}\n" for lang in LANGS)
        return (
            "defaults:\n  min_delay_seconds: 0.0\n  per_host_concurrency: 4\n  timeout_seconds: 10\n"
            f"outlets:\n  - id: loopnews\n    editions:\n{editions}    max_age_days: {max_age_days}\n    max_new_per_run: 300\n"
        )


def _urlset(urls: str, news: bool = False) -> bytes:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>'
            f"{urls}</urlset>").encode()
