"""The chat UI served for real, through its API: gradio_client against a live server, auth, upload, removal."""

from __future__ import annotations

import html
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import FIXTURES, QUOKKA, QUOKKA_QUESTION, free_port, make_settings
from rag.errors import ConfigError
from served import launch, served

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory, embedder):
    with served(tmp_path_factory.mktemp("ui-api"), embedder) as live:
        yield live


@pytest.fixture
def client(live):
    from gradio_client import Client

    return Client(live.url, verbose=False)


def test_ask_endpoint_returns_the_answer_dict(client):
    d = client.predict("What makes hypernetworks hard to train?", api_name="/ask")
    assert d["citations"][0]["title"] == "Magnitude Invariant Parametrizations Improve Hypernetwork Learning"
    assert "magnitude proportionality" in " ".join(d["citations"][0]["evidence"])
    assert set(d["timings_ms"]) == {"retrieve", "generate", "total"}


def test_follow_up_through_the_api_uses_history(client):
    first = client.predict("What makes hypernetworks hard to train?", api_name="/ask")
    second = client.predict("What were its results?", history=[first], api_name="/ask")
    assert [c["paper_id"] for c in second["citations"]] == [first["citations"][0]["paper_id"]]


def chat(client, question, history=None, year_from=None, year_to=None, author="", title="", **kw):
    """The /chat endpoint: (chat, cards, question box, Markdown export file, BibTeX export file)."""
    return values(client.predict(question, history or [], year_from, year_to, author, title, api_name="/chat", **kw))


def values(outputs):
    """Outputs as values: a component update ({"__type__": "update", "value": ...}) as its value."""
    return [o.get("value") if isinstance(o, dict) and "__type__" in o else o for o in outputs]


def test_chat_endpoint_keeps_the_conversation_in_the_session(client):
    messages, cards, box, md, bib = chat(client, "What makes hypernetworks hard to train?")
    assert "#cite-0-1" in str(messages[-1]["content"]) and 'id="cite-0-1"' in cards
    messages, cards, _, md, bib = chat(client, "What were its results?", messages)
    assert 'id="cite-1-1"' in cards and cards.index("Q2") < cards.index("Q1")
    exported = Path(md).read_text()
    assert "## 1. What makes hypernetworks hard to train?" in exported and "## 2. What were its results?" in exported
    assert "**[1]**" in exported and "Magnitude Invariant Parametrizations" in exported
    assert "title = {Magnitude Invariant Parametrizations Improve Hypernetwork Learning}" in Path(bib).read_text()
    messages, cards, *_ = client.predict(api_name="/new_chat")
    assert messages == [] and "appear here" in cards


def test_follow_up_with_nothing_to_follow_asks_which_paper(client):
    messages, cards, *_ = chat(client, "What were its results?")
    assert "Which paper do you mean?" in str(messages[-1]["content"])
    assert "appear here" in cards  # nothing was searched, nothing is cited


def test_reversed_year_range_is_swapped_and_said(client):
    messages, cards, *_ = chat(client, "What makes hypernetworks hard to train?", year_from=2025, year_to=2020)
    content = str(messages[-1]["content"])
    assert "searched 2020–2025 instead" in content and "years 2020–2025" in content
    assert "#cite-0-1" in content  # the hypernetwork paper (2023) is found inside the swapped range


def test_off_topic_question_abstains_in_plain_words(client):
    d = client.predict("Who won the 2018 World Cup?", api_name="/ask")
    assert d["abstained"] and d["citations"] == [] and d["suggestions"]
    messages, cards, *_ = chat(client, "Who won the 2018 World Cup?")
    content = str(messages[-1]["content"])
    assert "Not found in the collection" in content and "Nearest papers" in content
    assert "threshold" not in content and not re.search(r"\d\.\d\d", content)  # no scores, plain words


def test_errors_reach_the_client_as_a_short_message(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/ask")


def test_upload_adds_papers_that_are_searchable_at_once_and_removal_takes_them_out(client, live, tmp_path):
    from gradio_client import handle_file

    from gradio.utils import get_upload_folder

    listing = tmp_path / "new_papers.jsonl"
    shutil.copy(FIXTURES / "papers.jsonl", listing)  # BERT and ResNet are new; RelP and EntroPE are bundled too
    before = live.engine.library.count()
    uploaded = set(Path(get_upload_folder()).rglob("new_papers.jsonl"))
    outputs = client.predict([handle_file(str(listing))], "", api_name="/upload")
    # Issue 12: uploaded files piled up in Gradio's temp folder; once ingested, Gradio's copy is deleted.
    assert set(Path(get_upload_folder()).rglob("new_papers.jsonl")) <= uploaded
    summary, stats, overview, table, sources, picked = values(outputs)
    assert "2 new, 2 updated" in summary and "papers in the collection" in summary
    assert f"**{before + 2} papers**" in stats and "new_papers.jsonl" in html.unescape(overview)
    # The upload is a source of the store, listed with the bundled corpus, and picked for removal.
    assert picked == "new_papers.jsonl"
    listed = html.unescape(sources)
    assert "2 sources" in listed and "daily_papers_2025-11-10.txt" in listed and "bundled" in listed
    assert re.search(r"new_papers\.jsonl</td><td>upload</td><td class=\"n\">4</td>", listed)
    bert = "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    after = client.predict("What does BERT pre-train, and on what?", api_name="/ask")
    assert bert in [s["title"] for s in after["sources"]]
    assert bert in html.unescape(client.predict("bidirectional transformers", api_name="/browse"))
    # Every word of the search must be in a paper (it matched any one of them: "3 authors" listed every paper).
    assert bert not in html.unescape(client.predict("bidirectional quokka", api_name="/browse"))

    # Issue 17: a reloaded page (a new session) uploads the same file again: nothing new, and it is still there to
    # remove, because the store (not the page) remembers what was uploaded.
    from gradio_client import Client

    reloaded = Client(live.url, verbose=False)
    summary, *_, sources, picked = values(reloaded.predict([handle_file(str(listing))], "", api_name="/upload"))
    assert "0 new, 0 updated, 4 unchanged" in summary and picked == "new_papers.jsonl"
    stats, overview, table, sources, picked, status = values(
        Client(live.url, verbose=False).predict("new_papers.jsonl", "", api_name="/remove_source"))
    assert f"**{before} papers**" in stats
    assert "Removed new_papers.jsonl: 2 papers left the collection; 2 papers stay" in html.unescape(status)
    assert "new_papers.jsonl" not in html.unescape(sources) and "1 source;" in sources and picked is None
    gone = client.predict("What does BERT pre-train, and on what?", api_name="/ask")
    assert bert not in [s["title"] for s in gone["sources"]]
    assert "RelP" in html.unescape(client.predict("RelP relevance patching", api_name="/browse"))  # there before


def test_a_source_uploaded_in_the_browser_is_listed_and_removed_by_another_process(client, live, tmp_path):
    import json
    import subprocess

    from gradio_client import handle_file

    from conftest import env_for, paperrag_cmd

    listing = tmp_path / "quokka.jsonl"
    listing.write_text(json.dumps(QUOKKA) + "\n")
    client.predict([handle_file(str(listing))], "", api_name="/upload")
    store = live.settings.store
    env = {**env_for(tmp_path), "PAPERRAG_STORE__PERSIST_DIR": str(store.persist_dir),
           "PAPERRAG_STORE__CACHE_DIR": str(store.cache_dir)}

    def paperrag(*args):
        return subprocess.run([*paperrag_cmd(), *args], env=env, capture_output=True, text=True, timeout=300,
                              cwd=tmp_path)

    out = paperrag("sources", "--json")
    assert out.returncode == 0, out.stderr
    listed = {s["name"]: s for s in json.loads(out.stdout)}
    assert listed["quokka.jsonl"]["kind"] == "upload" and listed["quokka.jsonl"]["papers"] == 1
    assert listed["quokka.jsonl"]["path"] is None  # the temporary copy of an upload is not a place to name
    assert not client.predict(QUOKKA_QUESTION, api_name="/ask")["abstained"]
    out = paperrag("remove", "--source", "quokka.jsonl")
    assert out.returncode == 0, out.stderr
    # The served app (another process) sees the removal on its next question: no longer answered.
    answer = client.predict(QUOKKA_QUESTION, api_name="/ask")
    assert QUOKKA["title"] not in [c["title"] for c in answer["citations"]]
    assert QUOKKA["title"] not in html.unescape(client.predict("Quokka-Drift", api_name="/browse"))


def test_upload_refuses_unsupported_files(client, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    bad = tmp_path / "weights.exe"
    bad.write_bytes(b"MZ\x00\x00")
    with pytest.raises(AppError, match="(?i)invalid file type|unsupported file type"):
        client.predict([handle_file(str(bad))], "", api_name="/upload")


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
