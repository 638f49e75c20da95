"""The chat UI in a real browser (Debian's Chromium through Playwright) against the real app on loopback.

Hostile titles, authors, abstracts, URLs, questions, filter values and file names go through every panel; the
page must show them as text, run none of their script and fetch nothing beyond its own origin. Errors are toasts,
not overlays; the trash icon forgets what it hides; markers, Copy, exports, Stop and Retry work; both themes are
readable at 1400 and 420 px wide (screenshots in test-artifacts/).
"""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, free_port, make_settings
from hostile_data import (
    BEACON,
    CUT_QUESTION,
    HOSTILE_FILE_NAME,
    HOSTILE_PAPERS,
    HOSTILE_QUESTION,
    HOSTILE_UPLOAD,
    OFFSITE,
    PWN,
    write_jsonl,
)
from rag.generators.extractive import ExtractiveGenerator
from rag.text import clean_text
from served import CHROMIUM_ARGS, chromium_path, launch, served

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
FINAL = "#chat button.copy-answer, #chat [class^='notice-']"  # what a finished turn ends with
QUESTION = "What makes hypernetworks hard to train?"


@pytest.fixture(scope="module")
def live(tmp_path_factory, embedder):
    tmp = tmp_path_factory.mktemp("ui-browser")
    with served(tmp, embedder, [write_jsonl(tmp / "hostile.jsonl", HOSTILE_PAPERS)]) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watch:
    """Every request the page makes and every dialog it opens."""

    def __init__(self, page, base: str):
        self.base = base
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def offsite(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.base, "data:", "blob:"))]


def open_page(browser, url: str, width: int = 1400, scheme: str = "light", ready: str = "#question textarea",
              **context):
    ctx = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme, **context)
    page = ctx.new_page()
    watch = Watch(page, url)
    page.goto(url + ("?__theme=dark" if scheme == "dark" else ""), wait_until="load")
    page.locator(ready).wait_for()
    return page, watch


def ask(page, question: str):
    """Ask through the box and the Ask button; the bot message of the finished turn."""
    done = page.locator(FINAL).count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.wait_for_function(f"document.querySelectorAll({FINAL!r}).length > {done}", timeout=60_000)
    page.locator("#ask").wait_for(state="visible")  # the Stop button is gone again
    return page.locator("#chat [data-testid='bot']").last


def flat(text: str) -> str:
    return " ".join(text.split())


def overlays(page) -> int:
    """Gradio's red "Error" panels over components."""
    return page.locator("[data-testid='status-tracker']:visible", has_text="Error").count()


def assert_safe(page, watch) -> None:
    """Nothing ran, nothing was fetched off the app, no element came out of quoted text."""
    assert page.evaluate("window.__pwned") is None, "injected script ran"
    assert watch.dialogs == []
    assert watch.offsite() == [], f"requests off the app: {watch.offsite()}"
    found = page.evaluate("""() => {
        const scope = '#chat, #cards, #collection, #manage, #stats';
        const out = [];
        for (const root of document.querySelectorAll(scope)) {
            for (const el of root.querySelectorAll('img, script, iframe, svg[onload], [onerror], [onmouseover]')) {
                if (!el.closest('button, label, [data-testid="block-label"]')) out.push(el.outerHTML.slice(0, 120));
            }
            for (const a of root.querySelectorAll('a[href]')) {
                const h = a.getAttribute('href');
                if (!/^(#cite-\\d+-\\d+|https?:\\/\\/)/.test(h) || /198\\.51\\.100|9911|javascript:|evil/i.test(h)) {
                    out.push('a ' + h);
                }
            }
        }
        for (const bubble of document.querySelectorAll('#chat [data-testid="user"] .message-content')) {
            for (const el of bubble.querySelectorAll('*:not(p):not(span)')) out.push('user ' + el.tagName);
        }
        for (const el of document.querySelectorAll('#chat em, #chat code, #chat h1, #chat h2, #chat del')) {
            out.push('markup ' + el.tagName);
        }
        return out;
    }""")
    assert found == [], f"elements made from quoted text: {found}"


# ----- hostile text -----------------------------------------------------------------------------------------------
def test_hostile_text_stays_text_in_every_panel(live, browser, tmp_path):
    page, watch = open_page(browser, live.url)
    page.get_by_text('What does the paper “Quokka <img src=x onerror="window.__pwn').wait_for()  # an example question

    bot = ask(page, HOSTILE_QUESTION)
    user = page.locator("#chat [data-testid='user']").last
    assert flat(user.inner_text()) == flat(HOSTILE_QUESTION)
    said = flat(bot.inner_text())
    assert f"![b]({BEACON})" in said or f"[the official leaderboard]({OFFSITE}/phish)" in said, said
    cards = page.locator("#cards")
    assert clean_text(HOSTILE_PAPERS[0]["title"]) in cards.inner_text()  # ingest drops only the LaTeX-ish "**"
    assert f'Quokka <img src=x onerror="{PWN}"> Tokenizer [Leaderboard]({OFFSITE}/lb) </div><b>' in cards.inner_text()
    assert f"Ada <script>{PWN}</script> Quokka" in cards.inner_text()
    assert flat(HOSTILE_QUESTION)[:70] in flat(cards.locator(".turn-head").first.inner_text())

    ask(page, CUT_QUESTION)  # its header is cut inside "<b>...</b>": nothing may stay open
    weight = "sel => getComputedStyle(document.querySelector(sel)).fontWeight"
    assert page.evaluate(weight, "#cards .turn-head") in ("400", "normal")
    assert page.evaluate(weight, "#cards .meta") in ("400", "normal")

    page.get_by_text("Search settings").click()
    bad_year = f"<img src={OFFSITE}/y.png onerror={PWN}>"  # the year boxes take typed values: this is no year
    page.locator("#year-from input").fill(bad_year)
    page.locator("#year-from input").press("Enter")
    ask(page, "quokka tokenizer leaderboard")
    toast = page.locator("[data-testid='toast-body']", has_text="is not a year")
    toast.first.wait_for()
    assert f"“Year from” ({bad_year}) is not a year" in flat(toast.first.inner_text())
    page.locator("#year-from input").fill("any")
    page.locator("#year-from input").press("Enter")
    # (no "<" or ">": the lexical index's author filter cannot take them yet, see rag/library/lexical.py _escape)
    bad_author = f"![f]({OFFSITE}/f.png) **bold** [l](javascript:{PWN})"
    author_box = page.locator("label:has-text('Author contains') textarea, label:has-text('Author contains') input").first
    author_box.fill(bad_author)
    bot = ask(page, "quokka tokenizer leaderboard")
    assert f"author contains “{bad_author}”" in bot.inner_text()
    author_box.fill("")

    page.get_by_text("Add or remove papers").click()
    upload = write_jsonl(tmp_path / HOSTILE_FILE_NAME, HOSTILE_UPLOAD)
    page.locator("#upload input[type='file']").set_input_files(str(upload))
    page.locator("#add").click()
    summary = page.locator("#upload-summary")
    summary.get_by_text("Added:").wait_for(timeout=60_000)
    stored_name = "quokka img src=y onerror=window.__pwned=1.jsonl"  # Gradio drops "<" and ">" from upload names
    assert "1 new" in summary.inner_text() and stored_name in summary.inner_text()
    assert "<b>no abstract here</b>" in summary.inner_text()
    assert "/tmp" not in summary.inner_text() and "gradio" not in summary.inner_text()

    page.get_by_text("Collection", exact=True).click()
    assert stored_name in page.locator("#collection-overview").inner_text()
    page.locator("#collection-search textarea, #collection-search input").first.fill("numbat parsers")
    page.locator("#collection-find").click()
    table = page.locator("#collection-papers")
    table.get_by_text("Numbat <b>parsers</b>").wait_for()
    assert "Dora <i>Dingo</i>" in table.inner_text()

    assert stored_name in page.locator("#sources").inner_text()  # listed, and picked for removal
    page.locator("#remove-source").click()  # asks first, naming the source as text
    page.locator("#confirm-text").get_by_text("Remove").wait_for()
    assert stored_name in page.locator("#confirm-text").inner_text()
    page.locator("#keep-source").click()  # "Keep it" takes the question away and removes nothing
    page.locator("#confirm-removal").wait_for(state="hidden")
    page.locator("#remove-source").click()
    page.locator("#confirm-remove").click()
    page.locator("#remove-status").get_by_text("1 paper left the collection").wait_for()
    assert stored_name in page.locator("#remove-status").inner_text()
    assert stored_name not in page.locator("#sources").inner_text()
    page.locator("#confirm-removal").wait_for(state="hidden")
    assert_safe(page, watch)
    page.context.close()


class PacedWriter:
    """A language-model writer at a model's pace, without the model: the extractive writer's sentences, each after
    `delay` seconds. Registered as the openai-compatible writer of a test engine (the engine streams LLM writers
    piece by piece and checks their citations afterwards, as it would a real server's)."""

    name = "openai-compatible"
    uses_llm = True

    def __init__(self, delay: float):
        self.delay = delay

    def stream(self, request):
        for piece in ExtractiveGenerator().stream(request):
            time.sleep(self.delay)
            yield piece

    def condense(self, question, history):
        return None


def hostile_answers() -> list[dict]:
    """An answer of every shape, each carrying hostile text where the collection or the user supplies it."""
    t = HOSTILE_PAPERS[0]
    cite = {"n": 1, "paper_id": "title:q", "title": t["title"], "date": "2026-01-02", "year": 2026,
            "url": t["url"], "evidence": [t["abstract"].split(". ")[0]], "score": 0.5, "authors": t["authors"],
            "arxiv_id": None, "doi": HOSTILE_PAPERS[1]["doi"]}
    source = {"paper_id": "title:q", "title": t["title"], "cited": True, "date": "2026-01-02", "year": 2026,
              "url": t["url"], "authors": t["authors"], "dense_rank": 1, "bm25_rank": 2,
              "matched_terms": ["<img", "**bold**"], "evidence": [{"text": "x", "similarity": 0.7, "score": 0.7}]}
    other = {**source, "paper_id": "title:r", "title": HOSTILE_PAPERS[1]["title"], "cited": False,
             "url": HOSTILE_PAPERS[1]["url"]}
    base = {"question": HOSTILE_QUESTION, "abstained": False, "citations": [cite], "sources": [source, other],
            "sentences": [{"text": t["abstract"], "citations": [1], "unsupported": False, "support": 1},
                          {"text": "**Unsupported** ![u](http://198.51.100.7/u.png)", "citations": [],
                           "unsupported": True, "support": 0}],
            "filters": {"author": f"<img src=x onerror={PWN}>", "phrase": "since <b>2024</b>", "year_from": 2024},
            "notes": ["<b>note</b> [n](http://198.51.100.7/n)"], "search_query": HOSTILE_QUESTION, "mode": "hybrid",
            "answer": t["abstract"], "kind": "fact"}
    cell = {"text": f"![t]({OFFSITE}/t.png) | <img src=x onerror={PWN}>", "citations": [1]}
    said = {"type": "sentences", "role": "answer", "sentences": base["sentences"]}
    base["blocks"] = [said]
    verdict = {"type": "verdict", "label": "Yes", "papers": [{"n": 1, "paper_id": "title:q", "title": t["title"],
                                                              "label": "Yes"}]}
    item = {"paper_id": "title:q", "title": t["title"], "year": 2026, "sentence": base["sentences"][0]}
    notice = {"type": "notice", "kind": "not-stated", "text": f"The abstract of <b>{PWN}</b> does not mention it.",
              "citations": [1]}
    return [
        base,
        {**base, "kind": "yes-no", "blocks": [verdict, {**said, "role": "deciding"}]},
        {**base, "kind": "yes-no", "blocks": [{**verdict, "label": f"<img src=x onerror={PWN}>"}, said]},
        {**base, "kind": "list", "blocks": [{"type": "items", "items": [item], "total": 1}]},
        {**base, "kind": "comparison", "blocks": [{"type": "table", "columns": ["Paper", f"<b>{PWN}</b>"],
                                                   "rows": [[cell, cell]]}]},
        {**base, "kind": "not-stated", "abstained": True, "blocks": [notice, said]},
        {**base, "abstained": True, "kind": "not-found", "citations": [], "sentences": [], "blocks": [],
         "suggestions": [{"title": t["title"], "date": "2026-01-02", "url": t["url"]},
                         {"title": "ok", "date": None, "url": f"{OFFSITE}/s\" onmouseover=\"{PWN}"}]},
    ]


def test_every_answer_shape_and_panel_renders_hostile_text_as_text(browser, tmp_path):
    """The render functions' output, for an answer of every shape (its blocks as the engine makes them), in the same
    components and page options as the app."""
    import gradio as gr

    from ui import render
    from ui.app import CHATBOT_OPTIONS

    answers = hostile_answers()
    messages = []
    for i, a in enumerate(answers):
        messages += [{"role": "user", "content": render.user_message(a["question"])},
                     {"role": "assistant", "content": render.answer_markdown(a, i, [f"<i>{PWN}</i>"])}]
    messages += [{"role": "user", "content": render.user_message(CUT_QUESTION)},
                 {"role": "assistant", "content": render.partial_message(HOSTILE_PAPERS[1]["abstract"])},
                 {"role": "assistant", "content": render.notice_message(f"<b>{PWN}</b> ![x]({OFFSITE}/x)", "error")},
                 {"role": "assistant", "content": render.with_note(render.partial_message("a *b*"), "[s](x:y)")}]
    exchanges = [{"question": a["question"], "answer": a} for a in answers]
    exchanges.append({"question": CUT_QUESTION, "answer": None})
    stats = {"papers": 3, "date_range": ["<b>2020</b>", "2026"], "embedding_model": f"<img src=x onerror={PWN}>",
             "years": {2026: 2, 2020: 1}, "sources": {HOSTILE_FILE_NAME: 2}, "undated_papers": 1}
    rows = [{"title": HOSTILE_PAPERS[0]["title"], "authors": HOSTILE_PAPERS[0]["authors"], "date": "2026-01-02",
             "source": HOSTILE_FILE_NAME}]
    report = {"new": 1, "updated": 0, "unchanged": 0, "papers_in_store": 3,
              "skipped": [{"path": f"/tmp/gradio/abc/{HOSTILE_FILE_NAME}", "line": 2,
                           "reason": "'<b>x</b>' has no abstract"}],
              "file_errors": []}
    with gr.Blocks() as gallery:
        gr.Markdown(render.stats_markdown(stats), elem_id="stats")
        gr.Chatbot(value=messages, elem_id="chat", **CHATBOT_OPTIONS)
        gr.HTML(render.conversation_cards(exchanges), elem_id="cards")
        with gr.Column(elem_id="collection"):
            gr.HTML(render.collection_overview_html(stats))
            gr.HTML(render.papers_table_html(rows, 1, 0, f"<img src=x onerror={PWN}>"))
        with gr.Column(elem_id="manage"):
            gr.Markdown(render.ingest_summary_markdown(report, [f"{HOSTILE_FILE_NAME}: cannot tell the format"]))
    settings = make_settings(tmp_path, ui={"port": free_port()})
    url = launch(gallery, settings)
    try:
        page, watch = open_page(browser, url, ready="#chat [data-testid='bot'] >> nth=0")
        time.sleep(1)  # let any injected image or script have its go
        assert_safe(page, watch)
        text = flat(page.locator("body").inner_text())
        assert flat(HOSTILE_QUESTION) in text and flat(HOSTILE_PAPERS[0]["title"]) in text
        assert f"![t]({OFFSITE}/t.png) | <img src=x onerror={PWN}>" in text  # a comparison cell, as written
        assert page.locator("#chat table.compare td").count() == 2
        assert page.locator("#chat .verdict-yes").inner_text() == "Yes"
        assert page.locator("#chat ol.items li").count() == 1
        assert "Not found in the collection." in text and "<b>2020</b>" in text
        assert HOSTILE_FILE_NAME in text and "/tmp/gradio" not in text
        # The year bars are in proportion (2020: 1 paper, 2026: 2); a max-width on the bars made them all equal.
        w2020, w2026 = page.locator(".bar").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
        assert 1.8 < w2026 / w2020 < 2.2, (w2020, w2026)
        # On a phone the comparison table scrolls sideways; it does not split its words letter by letter.
        page.set_viewport_size({"width": 420, "height": 900})
        cell = page.locator("#chat table.compare td").nth(1)
        assert cell.evaluate("e => e.getBoundingClientRect().width") > 200
        page.context.close()
    finally:
        gallery.close()


# ----- errors, history ----------------------------------------------------------------------------------------------
class _Models(http.server.BaseHTTPRequestHandler):
    """Answers GET /v1/models like an OpenAI-compatible server (the probe the answer-writer list makes)."""

    def do_GET(self):
        body = b'{"object": "list", "data": [{"id": "gemma-3-270m", "object": "model"}]}'
        self.send_response(200 if self.path.endswith("/models") else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_errors_are_toasts_not_overlays(live, browser):
    page, watch = open_page(browser, live.url)
    page.locator("#ask").click()  # nothing typed
    page.locator("[data-testid='toast-body']").get_by_text("Type a question").wait_for()
    time.sleep(0.5)
    assert overlays(page) == 0

    page.get_by_text("Search settings").click()
    assert page.locator("#year-from input").input_value() == "any"  # not "0"
    page.locator("#writer input").click()
    offered = [t.split()[-1] for t in page.get_by_role("option").all_inner_texts()]  # ("✓" marks the chosen one)
    assert "extractive" in offered and "openai-compatible" not in offered  # no server at generator.base_url
    page.keyboard.press("Escape")

    # A writer that was running when the page opened and stopped before the question: offered, then fails.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", live.writer_port), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page.reload(wait_until="load")
        page.get_by_text("Search settings").click()
        page.locator("#writer input").click()
        page.get_by_role("option", name="openai-compatible").click()
    finally:
        server.shutdown()
        server.server_close()
    bot = ask(page, QUESTION)
    assert "Could not answer" in bot.inner_text() and f"127.0.0.1:{live.writer_port}" in bot.inner_text()
    page.locator("[data-testid='toast-body']").get_by_text("cannot reach").first.wait_for()
    assert overlays(page) == 0
    assert page.locator("#ask").is_visible() and not page.locator("#stop").is_visible()
    assert_safe(page, watch)
    page.context.close()


def test_trash_icon_forgets_the_conversation_it_hides(live, browser):
    page, watch = open_page(browser, live.url)
    ask(page, QUESTION)
    assert page.locator("#cards .card").count() >= 1
    page.locator("#chat button[aria-label='Clear']").first.click()
    page.locator("#cards").get_by_text("Cited papers appear here").wait_for()
    assert page.locator("#export-md").is_disabled()
    bot = ask(page, "What were its results?")
    assert "Which paper do you mean?" in bot.inner_text()
    assert page.locator("#cards .card").count() == 0
    assert_safe(page, watch)
    page.context.close()


# ----- markers, copy, export, themes, narrow screens ------------------------------------------------------------
CONTRAST = """(selector) => {
    const parse = (c) => {
        const m = c.match(/rgba?\\(([^)]+)\\)/);
        if (!m) return null;
        const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
        return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
    };
    const over = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
                                  b: top.b * top.a + under.b * (1 - top.a), a: 1});
    const background = (el) => {
        const layers = [];
        for (let e = el; e; e = e.parentElement) {
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
        }
        let bg = document.body.classList.contains('dark') ? {r: 0, g: 0, b: 0, a: 1} : {r: 255, g: 255, b: 255, a: 1};
        for (const c of layers.reverse()) bg = over(c, bg);
        return bg;
    };
    const lum = (c) => {
        const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
    };
    return [...document.querySelectorAll(selector)].filter((e) => e.getClientRects().length).map((el) => {
        const bg = background(el);
        let fg = parse(getComputedStyle(el).color);
        if (!fg) return {text: el.textContent.slice(0, 40), ratio: null, color: getComputedStyle(el).color};
        if (fg.a < 1) fg = over(fg, bg);
        const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        return {text: el.textContent.slice(0, 40), ratio: (hi + 0.05) / (lo + 0.05)};
    });
}"""
READABLE = ["#cards mark", "#cards .card-head .title", "#cards .meta", "#cards .num", "#cards details.why p",
            "#cards .turn-head", "#chat [data-testid='bot'] .message-content", "#chat a.cite",
            "#chat button.copy-answer", "#stats"]


@pytest.mark.parametrize("width,scheme", [(1400, "light"), (1400, "dark"), (420, "light"), (420, "dark")])
def test_markers_copy_export_and_both_themes_at_both_widths(live, browser, width, scheme):
    name = f"ui-{'wide' if width > 1000 else 'narrow'}-{scheme}.png"
    page, watch = open_page(browser, live.url, width, scheme, permissions=["clipboard-read", "clipboard-write"])
    assert page.evaluate("document.body.classList.contains('dark')") == (scheme == "dark")
    if width < 1000:  # the question box keeps most of a phone's width
        assert page.locator("#question textarea").bounding_box()["width"] > 0.6 * width, "the question box is squeezed"
    bot = ask(page, QUESTION)
    assert "hypernetwork" in bot.inner_text().lower()
    assert page.locator("#question textarea").input_value() == ""

    marker = page.locator("#chat a[href='#cite-0-1']").first
    marker.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    marker.click()
    page.wait_for_selector("#cite-0-1.active", timeout=5_000)
    time.sleep(0.6)  # the smooth scroll of the cards panel
    assert abs(page.evaluate("window.scrollY") - scrolled) < 2, "a marker click scrolled the page away from the chat"
    if width < 1000:
        pop = page.locator("#cite-pop")
        assert pop.is_visible() and "Magnitude Invariant Parametrizations" in pop.inner_text()
        chat = page.locator("#chat").bounding_box()
        assert chat["y"] < 900 and chat["y"] + chat["height"] > 0, "the chat left the screen"
        pop.locator("details.why summary").click()
    else:
        card = page.locator("#cite-0-1")
        box, panel = card.bounding_box(), page.locator("#cards").bounding_box()
        assert panel["y"] <= box["y"] < panel["y"] + panel["height"], "the card is not in view in its panel"
        assert "magnitude proportionality" in " ".join(card.locator("mark").all_inner_texts())
        card.locator("details.why summary").click()
        assert "1st by meaning" in card.locator("details.why").inner_text()
    page.locator("#cards details.why").first.evaluate("d => d.open = true")

    low = [(sel, r) for sel in READABLE for r in page.evaluate(CONTRAST, sel) if r["ratio"] is None or r["ratio"] < 4.5]
    page.screenshot(path=str(_artifacts() / name))
    assert low == [], f"text below contrast 4.5 in {scheme} mode: {low}"

    if (width, scheme) == (1400, "light"):
        bot.locator("button.copy-answer").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("Unfortunately, existing hypernetworks") and "[1]" in copied
        assert "References\n[1]" in copied and "Magnitude Invariant Parametrizations" in copied
        assert "<" not in copied and "&#" not in copied
        with page.expect_download() as dl:
            page.locator("#export-md").click()
        md = Path(dl.value.path()).read_text()
        assert md.startswith("# PaperRAG conversation") and "## References" in md and "**[1]**" in md
        with page.expect_download() as dl:
            page.locator("#export-bib").click()
        assert "title = {Magnitude Invariant Parametrizations" in Path(dl.value.path()).read_text()
    assert overlays(page) == 0
    assert_safe(page, watch)
    page.context.close()


def _artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# ----- stop and retry ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def paced(live, embedder):
    """The same store, answered by a writer that takes about a second per sentence. It stands in for an
    openai-compatible server, so a server answering the model-list probe is up meanwhile (the writer list offers
    only writers that can run)."""
    from rag.engine import Engine
    from ui.app import create_app

    settings = live.settings.model_copy(deep=True)
    settings.ui.port = free_port()
    settings.generator.backend = "openai-compatible"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.generator.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    app = create_app(Engine(settings, embedder=embedder, generator=PacedWriter(1.0)).warm_up())
    url = launch(app, settings)
    yield url
    app.close()
    server.shutdown()
    server.server_close()


def test_stop_keeps_the_partial_answer_and_retry_asks_again(paced, browser):
    page, watch = open_page(browser, paced)
    page.get_by_text("Search settings").click()
    assert page.locator("#writer input").input_value() == "openai-compatible"
    page.locator("#question textarea").fill(QUESTION)
    page.locator("#ask").click()
    page.locator("#stop").wait_for(state="visible")
    bot = page.locator("#chat [data-testid='bot']").last
    page.wait_for_function(
        "() => { const b = [...document.querySelectorAll('#chat [data-testid=\"bot\"]')].pop();"
        " return b && /hypernetworks/.test(b.innerText); }", timeout=30_000)
    page.locator("#stop").click()
    bot.get_by_text("Stopped.").wait_for()
    assert page.locator("#ask").is_visible() and not page.locator("#stop").is_visible()
    assert bot.locator("button.copy-answer").count() == 0  # a stopped answer is not an answer
    time.sleep(1.5)  # the cancelled stream must not come back and finish the answer
    assert "Stopped." in bot.inner_text() and page.locator("#cards .card").count() == 0
    assert "hypernetworks" in bot.inner_text() and "'text'" not in bot.inner_text()  # the partial answer, as text
    assert overlays(page) == 0

    page.locator("#chat button[aria-label='Retry']").click()
    page.wait_for_function(f"document.querySelectorAll({FINAL!r}).length > 0", timeout=60_000)
    assert page.locator("#chat [data-testid='user']").count() == 1  # asked again, not asked twice
    assert page.locator("#chat a[href='#cite-0-1']").count() >= 1 and page.locator("#cite-0-1").count() == 1
    assert_safe(page, watch)
    page.context.close()


def test_new_chat_while_answering_clears_for_good(paced, browser):
    page, watch = open_page(browser, paced)
    page.locator("#question textarea").fill(QUESTION)
    page.locator("#ask").click()
    page.wait_for_function(
        "() => { const b = [...document.querySelectorAll('#chat [data-testid=\"bot\"]')].pop();"
        " return b && /hypernetworks/.test(b.innerText); }", timeout=30_000)
    page.locator("#new-chat").click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"user\"]').length === 0", timeout=10_000)
    time.sleep(2.5)  # the answer that was streaming ends on its own and does not bring the conversation back
    assert page.locator("#chat [data-testid='user']").count() == 0
    assert page.locator("#chat [data-testid='bot']").count() == 0
    assert page.locator("#ask").is_visible() and overlays(page) == 0
    page.locator("#question textarea").fill(QUESTION)  # and the next question is answered in full
    page.locator("#ask").click()
    page.wait_for_function(f"document.querySelectorAll({FINAL!r}).length > 0", timeout=60_000)
    assert page.locator("#chat [data-testid='user']").count() == 1
    assert_safe(page, watch)
    page.context.close()


def test_the_header_count_is_live(live, browser, tmp_path):
    """A page showed the count of when the server started: 87 while `stats` said 90 after another upload."""
    import re

    from ingest.pipeline import Ingestor

    page, _ = open_page(browser, live.url)
    before = int(re.search(r"(\d+) papers", page.locator("#stats").inner_text()).group(1))
    listing = write_jsonl(tmp_path / "late.jsonl", [
        {"title": "Counting Papers While a Page Is Open", "abstract": "We count papers live. The header follows."},
    ])
    Ingestor(live.settings, embedder=live.engine.embedder).run([listing], progress=False)  # another writer
    page.wait_for_function("n => document.querySelector('#stats').innerText.includes(n + ' papers')",
                           arg=before + 1, timeout=30_000)  # the open page follows, without a reload
    fresh, _ = open_page(browser, live.url)
    fresh.wait_for_function("n => document.querySelector('#stats').innerText.includes(n + ' papers')",
                            arg=before + 1, timeout=10_000)
    # A page loaded now lists the other writer's source among those it can remove (issue 17: only this page's
    # uploads were listed).
    fresh.get_by_text("Add or remove papers").click()
    fresh.locator("#sources").get_by_text("late.jsonl").wait_for(timeout=10_000)
    assert overlays(page) == 0


def test_a_card_opens_to_its_abstract_and_a_collection_row_to_the_paper(live, browser):
    """Issue 17: cards showed only the highlighted sentences, and collection rows could not be opened or asked
    about. The hostile paper's abstract, shown whole in both places, stays text."""
    page, watch = open_page(browser, live.url)
    ask(page, HOSTILE_QUESTION)
    card = page.locator("#cards .card").first
    card.locator("details.abstract summary").click()
    whole = card.locator("details.abstract p")
    assert "table row." in whole.inner_text() and f"<script>{PWN}</script>" in whole.inner_text()
    assert whole.locator("mark").count() >= 1  # the evidence, marked where it stands in the abstract
    assert whole.locator("img, script, a").count() == 0

    page.get_by_text("Collection", exact=True).click()
    page.locator("#collection-search textarea, #collection-search input").first.fill("quokka tokenizer")
    page.locator("#collection-find").click()
    row = page.locator("#collection-papers details.paper").first
    row.locator("summary").click()
    assert "leaderboard" in row.locator(".abstract").inner_text() and row.locator(".abstract img").count() == 0
    row.locator("button.ask-paper").click()
    page.wait_for_function(
        "() => document.querySelector('#question textarea').value.includes('this paper')", timeout=10_000)
    page.get_by_text("Search settings").click()
    title_box = page.locator("label:has-text('Title contains') textarea, label:has-text('Title contains') input").first
    assert "Quokka" in title_box.input_value() and "Tokenizer" in title_box.input_value()
    bot = ask(page, page.locator("#question textarea").input_value())
    assert "title contains" in bot.inner_text()  # the question was scoped to the paper
    cited = page.locator("#cards .card").first.locator(".title").inner_text()
    assert "Quokka" in cited and "Tokenizer" in cited
    assert overlays(page) == 0
    assert_safe(page, watch)
