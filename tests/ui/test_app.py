"""The chat UI served for real: gradio_client against a live server, a real browser, auth, upload."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, free_port, make_settings
from rag.errors import ConfigError

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def launch(app, settings):
    from ui.app import launch_options

    opts = launch_options(settings)
    app.launch(prevent_thread_lock=True, quiet=True, **opts)
    return f"http://127.0.0.1:{settings.ui.port}/"


@pytest.fixture(scope="module")
def live(tmp_path_factory, embedder):
    """A store with the bundled corpus, an engine, and the app served on a free loopback port."""
    from ingest.pipeline import Ingestor
    from rag.engine import Engine
    from ui.app import create_app

    tmp = tmp_path_factory.mktemp("ui")
    settings = make_settings(tmp, ui={"port": free_port()})
    Ingestor(settings, embedder=embedder).run(None, progress=False)
    engine = Engine(settings, embedder=embedder).warm_up()
    app = create_app(engine)
    url = launch(app, settings)
    yield url, engine
    app.close()


@pytest.fixture
def client(live):
    from gradio_client import Client

    return Client(live[0], verbose=False)


def test_ask_endpoint_returns_the_answer_dict(client):
    d = client.predict("What makes hypernetworks hard to train?", api_name="/ask")
    assert d["citations"][0]["title"] == "Magnitude Invariant Parametrizations Improve Hypernetwork Learning"
    assert "magnitude proportionality" in " ".join(d["citations"][0]["evidence"])
    assert set(d["timings_ms"]) == {"retrieve", "generate", "total"}


def test_follow_up_through_the_api_uses_history(client):
    first = client.predict("What makes hypernetworks hard to train?", api_name="/ask")
    second = client.predict("What were its results?", history=[first], api_name="/ask")
    assert [c["paper_id"] for c in second["citations"]] == [first["citations"][0]["paper_id"]]


def test_chat_endpoint_keeps_the_conversation_in_the_session(client):
    chat, cards, box = client.predict("What makes hypernetworks hard to train?", [], None, None, api_name="/chat")
    assert "#cite-0-1" in str(chat[-1]["content"]) and 'id="cite-0-1"' in cards and box == ""
    chat, cards, _ = client.predict("What were its results?", chat, None, None, api_name="/chat")
    assert 'id="cite-1-1"' in cards and cards.index("Answer 2") < cards.index("Answer 1")
    chat, cards, _ = client.predict(api_name="/new_chat")
    assert chat == [] and "appear here" in cards


def test_off_topic_question_abstains(client):
    d = client.predict("Who won the 2018 World Cup?", api_name="/ask")
    assert d["abstained"] and d["citations"] == [] and d["suggestions"]
    chat, cards, _ = client.predict("Who won the 2018 World Cup?", [], None, None, api_name="/chat")
    assert "Not found in the collection" in str(chat[-1]["content"])


def test_errors_reach_the_client_as_a_short_message(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/ask")


def test_upload_adds_papers_that_are_searchable_at_once(client, tmp_path):
    from gradio_client import handle_file

    before = client.predict("sparse mixture of experts adapters fine-tuning cost", api_name="/ask")
    listing = tmp_path / "new_papers.jsonl"
    shutil.copy(FIXTURES / "papers.jsonl", listing)
    summary, stats = client.predict([handle_file(str(listing))], api_name="/upload")
    assert "new" in summary and "papers in the collection" in summary
    first_title = (FIXTURES / "papers.jsonl").read_text().splitlines()[0]
    import json

    title = json.loads(first_title)["title"]
    after = client.predict(f"What does the paper {title} do?", api_name="/ask")
    assert title in [s["title"] for s in after["sources"]]
    assert before is not None


def test_upload_refuses_unsupported_files(client, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    bad = tmp_path / "weights.exe"
    bad.write_bytes(b"MZ\x00\x00")
    with pytest.raises(AppError, match="(?i)invalid file type|unsupported file type"):
        client.predict([handle_file(str(bad))], api_name="/upload")


def test_browser_ask_click_marker_and_see_evidence(live):
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (.ci/run does this)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(live[0], wait_until="load")
        page.locator("#question textarea").fill("What makes hypernetworks hard to train?")
        page.locator("#ask").click()
        marker = page.locator("#chat a[href='#cite-0-1']").first
        marker.wait_for(timeout=60_000)
        assert "hypernetwork" in page.locator("#chat").inner_text().lower()
        marker.click()
        card = page.locator("#cite-0-1")
        card.wait_for()
        page.wait_for_selector("#cite-0-1.active", timeout=5_000)
        assert "Magnitude Invariant Parametrizations" in card.inner_text()
        assert "magnitude proportionality" in card.locator("mark").all_inner_texts().__str__()
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "chat.png").stat().st_size > 20_000


def test_auth_refuses_unauthenticated_requests(bundled_settings, embedder, tmp_path):
    from gradio_client import Client

    from rag.engine import Engine
    from ui.app import create_app

    settings = bundled_settings.model_copy(deep=True)
    settings.ui.port = free_port()
    settings.ui.auth = "ada:lovelace"
    app = create_app(Engine(settings, embedder=embedder))
    url = launch(app, settings)
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + "config", timeout=10)
        assert err.value.code in (401, 403)
        with pytest.raises(Exception):
            Client(url, verbose=False)
        authed = Client(url, auth=("ada", "lovelace"), verbose=False)
        assert authed.predict("What makes hypernetworks hard to train?", api_name="/ask")["citations"]
    finally:
        app.close()


def test_launch_options_are_safe(tmp_path):
    from ui.app import launch_options

    settings = make_settings(tmp_path)
    opts = launch_options(settings)
    assert opts["server_name"] == "127.0.0.1" and opts["share"] is False and opts["auth"] is None
    settings.ui.host = "0.0.0.0"
    with pytest.raises(ConfigError, match="PAPERRAG_UI__AUTH"):
        launch_options(settings)
    settings.ui.auth = "user-without-password"
    with pytest.raises(ConfigError, match="user:password"):
        launch_options(settings)
    settings.ui.auth = "user:pw"
    assert launch_options(settings)["auth"] == ("user", "pw")
