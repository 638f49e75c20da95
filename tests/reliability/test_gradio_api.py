"""The Gradio API as a hostile or careless client uses it, and a served app answering while another process
ingests: real `paperrag serve`, real gradio_client, one-line errors in PaperRAG's words."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import BUNDLED, QUOKKA, env_for, free_port, paperrag_cmd, stop_server, wait_for_server

pytestmark = pytest.mark.slow
QUESTION = "What makes hypernetworks hard to train?"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`paperrag serve` over the bundled corpus, started as a user starts it, with a dead proxy in its
    environment (loopback must bypass it)."""
    folder = tmp_path_factory.mktemp("served")
    out = subprocess.run([*paperrag_cmd(), "ingest", "--quiet", str(BUNDLED)], env=env_for(folder),
                         capture_output=True, text=True, cwd=folder, timeout=300)
    assert out.returncode == 0, out.stderr
    port = free_port()
    (folder / "tmp").mkdir()
    env = env_for(folder, HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9",
                  GRADIO_ANALYTICS_ENABLED="False", TMPDIR=str(folder / "tmp"))
    proc = subprocess.Popen([*paperrag_cmd(), "serve", "--no-ingest", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder)
    from gradio_client import Client

    url = f"http://127.0.0.1:{port}/"
    wait_for_server(proc, lambda: Client(url, verbose=False), 180, "paperrag serve")
    yield folder, Client(url, verbose=False)
    stop_server(proc)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"year_from": "abc"}, "year_from must be a year from 1000 to 2999 (got 'abc')"),
        ({"year_from": 2025, "year_to": 2020}, "the year range is reversed"),
        ({"top_k": 0}, "top_k must be from 1 to 100 (got 0)"),
        ({"top_k": 1_000_000}, "top_k must be from 1 to 100"),
        ({"history": [["not", "an", "answer"]]}, "history is a list of earlier answers"),
        ({"history": "oops"}, "history is a list of earlier answers"),
        ({"mode": "fuzzy"}, "unknown retrieval mode 'fuzzy'"),
    ],
)
def test_bad_api_input_is_one_line_with_the_bound(served, kwargs, expected):
    from gradio_client.exceptions import AppError

    _, client = served
    with pytest.raises(AppError) as err:
        client.predict(QUESTION, api_name="/ask", **kwargs)
    message = str(err.value)
    assert expected in message and "\n" not in message.strip() and "Traceback" not in message


def test_the_served_app_answers_papers_another_process_ingests(served, tmp_path):
    folder, client = served
    assert client.predict("What does Quokka-Drift reduce on the Wombat-9 benchmark?", api_name="/ask")["abstained"]
    listing = tmp_path / "new.jsonl"
    listing.write_text(json.dumps(QUOKKA) + "\n")
    out = subprocess.run([*paperrag_cmd(), "ingest", "--quiet", str(listing)], env=env_for(folder),
                         capture_output=True, text=True, cwd=folder, timeout=300)
    assert out.returncode == 0, out.stderr
    answer = client.predict("What does Quokka-Drift reduce on the Wombat-9 benchmark?", api_name="/ask")
    assert not answer["abstained"] and answer["citations"][0]["title"] == QUOKKA["title"]


def test_a_huge_chat_message_is_refused_not_echoed(served):
    """`/chat` once appended a 10 MB message to the conversation (only `/ask` refused it)."""
    _, client = served
    search = dict(year_from=None, year_to=None, author="", title="", mode="hybrid", top_k=5, generator="extractive")
    chat = client.predict("why " * 2_500_000, [], **search, api_name="/chat")[0]
    assert "why why" not in json.dumps(chat)  # the chat is left as it was (a no-change update)
    chat = client.predict(QUESTION, [], **search, api_name="/chat")[0]
    assert len(chat) == 2 and QUESTION in json.dumps(chat[0]) and "hypernetwork" in json.dumps(chat[1]).lower()


def test_uploads_land_in_a_private_folder_not_the_shared_gradio_one(served):
    """Every Gradio app on a machine shares /tmp/gradio by default: one app's users could read another's files."""
    folder, _ = served
    tmp = folder / "tmp"
    private = list(tmp.glob("paperrag-gradio-*"))
    assert len(private) == 1 and (private[0].stat().st_mode & 0o777) == 0o700
    assert not (tmp / "gradio").exists()


def test_a_running_upload_stops_when_cancelled_and_keeps_what_it_wrote(served, tmp_path):
    """A 100,000-paper upload once ran 2 h inside the server with no way to stop it: now more than
    ui.max_upload_papers is refused at once, and a long one stops at the next batch when cancelled."""
    import time

    from gradio_client import handle_file

    _, client = served
    many = tmp_path / "many.jsonl"
    many.write_text("".join(json.dumps({"title": f"Cancelled study {i} of sparse graphs",
                                        "abstract": f"We measure sparsity pattern {i}. It helps."}) + "\n"
                            for i in range(3_000)))
    job = client.submit([handle_file(str(many))], "", api_name="/upload")
    time.sleep(8)  # a few batches in
    client.predict(api_name="/cancel_upload")
    summary = job.result(timeout=120)[0]
    assert summary.startswith("**Cancelled** (the papers written before the cancel are kept): ")
    added = int(summary.split(": ", 1)[1].split(" new")[0])
    assert 0 <= added < 3_000 and added % 64 == 0  # whole batches (ingest.batch_papers), nothing half-written
    if added:  # what it wrote stays, and is found
        assert "Cancelled study 0 of sparse graphs" in client.predict("Cancelled study 0", api_name="/browse")
