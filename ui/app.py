"""The Gradio app: wiring only. Answers come from `Engine.ask_stream`, text and cards from ui/render.py, the
conversation's bookkeeping from ui/session.py, exports and explanations from rag/.

`create_app(engine)` builds the Blocks without launching them, so tests build it around their own engine;
`serve()` is what `paperrag serve` runs.

Errors a user can act on appear as a toast (gr.Warning) and, in the chat, as a short notice: never as the red
overlays Gradio puts over every output of an event that raised. Only the `/ask` API endpoint raises gr.Error, so
that API clients get an exception.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from rag.errors import ConfigError, PaperRAGError, UsageError
from ui import render, session
from ui.assets import CSS, HEAD

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PAGE_SIZE = 25  # papers per page of the collection view
# A click on a paper's "Ask about this paper" button (ui/render.py `_paper_row`) reaches the server with its id;
# other clicks in the collection (opening a paper, a link) do not.
ASK_ABOUT_PAPER_JS = (
    "element.addEventListener('click', (e) => { const b = e.target.closest('button.ask-paper');"
    " if (b) { trigger('click', {paper_id: b.dataset.paperId});"
    " document.querySelector('#question textarea')?.scrollIntoView({block: 'center'}); } });"
)
HEADER_REFRESH_SECONDS = 10.0  # how often an open page re-counts the collection
EXPORT_ROOT = Path(tempfile.gettempdir()) / "paperrag-exports"

# The chat's display options, shared with the browser test that renders every answer shape in the same component.
CHATBOT_OPTIONS: dict[str, Any] = {
    "buttons": [],  # no raw-content copy button: each answer carries its own Copy (plain text with references)
    "latex_delimiters": [],  # "$$" in an abstract is text
    "sanitize_html": True,
    "feedback_options": None,
}


def create_app(engine: Any) -> Any:
    """Build the PaperRAG Blocks around `engine` (an rag.engine.Engine); nothing is launched."""
    import gradio as gr

    from ingest.readers import SUPPORTED_EXTENSIONS
    from rag.generators.availability import available_backends
    from rag.library import UnknownInIndex
    from ui.uploads import check_uploads, ingest_files

    settings = engine.settings
    store_stats = engine.library.stats()
    papers = engine.library.recent(limit=50) if store_stats["papers"] else []
    sources = [s.to_dict() for s in engine.library.sources()] if store_stats["papers"] else []
    writers = available_backends(settings)
    writer = settings.generator.backend if settings.generator.backend in writers else "extractive"
    upload_dirs = [str(Path(gr.utils.get_upload_folder()).resolve()), gr.utils.get_upload_folder()]

    # Toasts render their message as HTML: what they say goes through quote() like everything else on the page.
    def warn(message: str) -> None:
        gr.Warning(render.quote(message))

    def inform(message: str) -> None:
        gr.Info(render.quote(message))

    # ----- asking --------------------------------------------------------------------------------------------
    stops = session.Stops()

    def takes_request(fn):
        """Gradio hands the request to a parameter annotated gr.Request, but reads the annotation in this module's
        globals, where "gr" is not (gradio is imported here, not at import time): give it the class itself."""
        fn.__annotations__["request"] = gr.Request
        return fn

    @takes_request
    def respond(message, chat, exchanges, year_from, year_to, author, title, mode, top_k, generator,
                request: gr.Request) -> Iterator:
        run = stops.start(request.session_hash or "")
        try:
            yield from _respond(run, message, chat, exchanges, year_from, year_to, author, title, mode, top_k,
                                generator)
        finally:
            stops.end(request.session_hash or "", run)

    def _respond(run, message, chat, exchanges, year_from, year_to, author, title, mode, top_k, generator
                 ) -> Iterator:
        message = (message or "").strip() if isinstance(message, str) else ""
        if not message:
            warn("Type a question about the papers first.")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if len(message) > settings.retrieval.max_question_chars:  # refused before it is echoed into the chat
            warn(f"The question is {len(message):,} characters long; the limit is "
                 f"{settings.retrieval.max_question_chars:,}. Ask about one thing at a time.")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        chat, exchanges = list(chat or []), list(exchanges or [])
        turn = len(exchanges)
        exchanges = exchanges + [{"question": message, "answer": None}]
        chat = chat + [{"role": "user", "content": render.user_message(message)}]
        filters, notes = session.search_filters(year_from, year_to, author, title)
        for note in notes:
            inform(note)
        chat.append({"role": "assistant", "content": "…"})
        yield chat, exchanges, gr.skip(), "", gr.skip(), gr.skip()
        partial, answer = "", None
        try:
            for item in engine.ask_stream(
                message, history=session.answered(exchanges[:-1]), filters=filters, top_k=int(top_k), mode=mode,
                generator=generator,
            ):
                if run["mark"]:
                    break
                if isinstance(item, str):
                    partial += item
                    chat[-1] = {"role": "assistant", "content": render.partial_message(partial)}
                    yield chat, exchanges, gr.skip(), gr.skip(), gr.skip(), gr.skip()
                else:
                    answer = item.to_dict()
        except PaperRAGError as e:
            warn(str(e))
            chat[-1] = {"role": "assistant", "content": render.notice_message(f"Could not answer: {e}", "error")}
            yield chat, exchanges, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if run["mark"] == "clear":  # New chat: the conversation this answer belonged to is gone. Gradio sends a
            # finished run's last outputs once more, so the last ones must change nothing.
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if run["mark"] == "stop":  # the same "Stopped." the Stop button drew, so a late piece cannot undo it
            yield _stopped(chat, exchanges), exchanges, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if answer and answer.get("kind") == "clarify":  # a question back is not an answer a follow-up can refer to
            chat[-1] = {"role": "assistant", "content": render.notice_message(answer.get("reason") or "", "clarify")}
            yield chat, exchanges, render.conversation_cards(exchanges), gr.skip(), gr.skip(), gr.skip()
            return
        exchanges[-1] = {"question": message, "answer": answer}
        chat[-1] = {"role": "assistant", "content": render.answer_markdown(answer, turn, notes)}
        md_file, bib_file = _export_files(exchanges)
        yield chat, exchanges, render.conversation_cards(exchanges), gr.skip(), md_file, bib_file

    @takes_request
    def retry(chat, exchanges, year_from, year_to, author, title, mode, top_k, generator, request: gr.Request
              ) -> Iterator:
        chat, exchanges, question = session.drop_last(list(chat or []), list(exchanges or []))
        if question is None:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        yield from respond(question, chat, exchanges, year_from, year_to, author, title, mode, top_k, generator,
                           request)

    def _stopped(chat, exchanges) -> list:
        chat = list(chat or [])
        if chat and chat[-1].get("role") == "assistant" and exchanges and not exchanges[-1].get("answer"):
            text = session.message_text(chat[-1].get("content"))
            chat[-1] = {"role": "assistant", "content": render.with_note(text, "Stopped. Retry (↻) asks again.")}
        return chat

    @takes_request
    def stopped(chat, exchanges, request: gr.Request):
        stops.mark(request.session_hash or "", "stop")
        return _stopped(chat, exchanges), gr.update(visible=True), gr.update(visible=False)

    def _export_files(exchanges) -> tuple[Any, Any]:
        from rag.export import bibtex, conversation_markdown

        answers = session.answered(exchanges)
        if not answers:
            return gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)
        folder = _export_folder()
        md = folder / "paperrag-conversation.md"
        md.write_text(conversation_markdown(answers, created=datetime.now().strftime("%Y-%m-%d %H:%M")), "utf-8")
        bib_text = bibtex(answers)
        bib = folder / "paperrag-references.bib"
        bib.write_text(bib_text, "utf-8")
        return gr.update(value=str(md), interactive=True), gr.update(value=str(bib), interactive=bool(bib_text))

    @takes_request
    def new_chat(request: gr.Request):
        stops.mark(request.session_hash or "", "clear")
        none = gr.update(value=None, interactive=False)
        return [], [], render.conversation_cards([]), "", none, none

    def ask_api(
        question: str,
        year_from: int | None = None,
        year_to: int | None = None,
        mode: str = settings.retrieval.mode,
        top_k: int = settings.retrieval.top_k,
        generator: str = settings.generator.backend,
        history: list[dict] | None = None,
    ) -> dict:
        """Answer one question; returns the Answer dict (the `paperrag ask --json` schema). Every argument is
        checked by the engine, and a bad one is one line saying what is wrong and the bound."""
        filters = {k: v for k, v in (("year_from", year_from), ("year_to", year_to)) if v not in (None, "")}
        try:
            return engine.ask(
                question, history=history, filters=filters, top_k=top_k, mode=mode, generator=generator,
            ).to_dict()
        except PaperRAGError as e:
            raise gr.Error(str(e)) from None

    def refresh_writers(current):
        choices = available_backends(settings)
        return gr.update(choices=choices, value=current if current in choices else "extractive")

    # ----- the collection ----------------------------------------------------------------------------------
    def browse(text, page):
        page = max(0, int(page or 0))
        try:
            rows, total = engine.library.browse(text or "", limit=PAGE_SIZE, offset=page * PAGE_SIZE)
        except PaperRAGError as e:
            warn(str(e))
            return gr.skip(), gr.skip()
        if page and not rows and total:
            page = (total - 1) // PAGE_SIZE
            rows, total = engine.library.browse(text or "", limit=PAGE_SIZE, offset=page * PAGE_SIZE)
        return render.papers_table_html(with_abstracts(rows), total, page * PAGE_SIZE, text or ""), page

    def with_abstracts(rows):
        """A page's rows with what opening one shows: the abstract and the links (one read of 25 papers)."""
        try:
            passages = engine.library.passages([r["paper_id"] for r in rows])
        except PaperRAGError:
            return rows  # the titles still list; opening them waits for the store
        out = []
        for r in rows:
            p = passages.get(r["paper_id"])
            paper = p.record.paper if p else None
            out.append({**r, "abstract": paper.abstract, "url": paper.url, "arxiv_id": paper.arxiv_id,
                        "doi": paper.doi} if paper else r)
        return out

    def ask_about_paper(evt: gr.EventData):
        """"Ask about this paper" in the collection: questions are scoped to that paper (the title filter) and the
        question box offers a first question to edit or send."""
        pid = str((evt._data or {}).get("paper_id") or "")
        try:
            passage = engine.library.passages([pid]).get(pid) if pid else None
        except PaperRAGError as e:
            warn(str(e))
            return gr.skip(), gr.skip()
        if passage is None:
            warn("That paper is no longer in the collection: search the collection again.")
            return gr.skip(), gr.skip()
        paper_title = passage.record.paper.title
        inform(f"Questions now search only “{render.clip(paper_title, 80)}” (Search settings → Title contains); "
               "clear that box to search every paper again.")
        return "What does this paper propose, and what does it find?", paper_title

    ask_about_paper.__annotations__["evt"] = gr.EventData  # as in takes_request: the class, not the string

    def search_collection(text):
        return browse(text, 0)

    def turn_page(text, page, step):
        return browse(text, int(page or 0) + step)

    def header_views():
        try:
            stats = engine.library.stats()
        except PaperRAGError:  # the store is away for a moment: keep what the page shows
            return gr.skip(), gr.skip()
        return render.stats_markdown(stats), render.collection_overview_html(stats)

    def collection_views(text):
        stats = engine.library.stats()
        table, page = browse(text, 0)
        return render.stats_markdown(stats), render.collection_overview_html(stats), table, page

    upload_runs = session.Stops()  # Cancel, or the page going away, marks the session's running upload

    def source_views(pick: Any = "") -> tuple[Any, Any]:
        """The sources table and the dropdown that picks one to remove, read from the store (every process's
        ingests and uploads, not only this page's), with `pick` selected (None: nothing; "": what is)."""
        try:
            sources = [s.to_dict() for s in engine.library.sources()]
        except PaperRAGError as e:
            warn(str(e))
            return gr.skip(), gr.skip()
        choices = render.source_choices(sources)
        if pick == "":  # a page loading: a pick made meanwhile stays
            return render.sources_table_html(sources), gr.update(choices=choices)
        value = pick if pick in {name for _, name in choices} else None
        return render.sources_table_html(sources), gr.update(choices=choices, value=value)

    @takes_request
    def upload(files, text, request: gr.Request, progress=gr.Progress(track_tqdm=True)):
        skip = (gr.skip(),) * 7
        who = request.session_hash or ""
        run = upload_runs.start(who)
        try:
            names = [f if isinstance(f, str) else f.name for f in files or []]
            paths = check_uploads(names, upload_dirs[0], settings.ui.max_upload_mb, SUPPORTED_EXTENSIONS)
            result = ingest_files(engine, paths, max_papers=settings.ui.max_upload_papers,
                                  should_stop=lambda: bool(run["mark"]))
        except PaperRAGError as e:
            warn(render.upload_problem(str(e), upload_dirs))
            return skip
        finally:
            upload_runs.end(who, run)
        if result.report.get("cancelled"):
            inform(f"Upload cancelled: {len(result.added_ids)} papers written before the cancel were kept.")
        if result.problems:
            warn("Some files could not be read: " + "; ".join(render.upload_problem(p) for p in result.problems))
        summary = render.ingest_summary_markdown(result.report, result.problems, upload_dirs)
        stats_md, overview, table, page = collection_views(text)
        sources_table, pick = source_views(result.sources[0] if result.sources else None)
        return summary, stats_md, overview, table, page, sources_table, pick

    @takes_request
    def cancel_upload(request: gr.Request):
        upload_runs.mark(request.session_hash or "", "cancel")

    @takes_request
    def page_closed(request: gr.Request):
        """The browser went away: its upload stops at the next batch instead of running on for nobody."""
        upload_runs.mark(request.session_hash or "", "cancel")
        stops.mark(request.session_hash or "", "stop")

    def ask_removal(name):
        """The first click on Remove: say what will go, and show the button that confirms it."""
        hidden = gr.update(visible=False)
        if not name:
            warn("Choose a source from the list first.")
            return hidden, "", ""
        try:
            source = engine.library.source(name)
        except PaperRAGError as e:
            warn(str(e))
            return hidden, "", ""
        if source is None:
            warn(f"There is no source named {name} in the collection (any more): reload the page for the list.")
            return hidden, "", ""
        return gr.update(visible=True), render.removal_question(source.to_dict()), ""

    def remove_source(name, text):
        """The confirmed removal: the source's papers leave the collection (those another source holds stay)."""
        skip = (gr.skip(),) * 6 + ("",)  # an earlier "Removed ..." would read as this click's result
        if not name:
            warn("Choose a source from the list first.")
            return skip
        try:
            removal = engine.library.remove_source(name)
        except UnknownInIndex:  # another page or process removed it meanwhile
            warn(f"There is no source named {name} in the collection (any more).")
            return (gr.skip(),) * 4 + source_views(None) + ("",)
        except PaperRAGError as e:
            warn(str(e))
            return skip
        said = removal.summary()
        inform(said[0].upper() + said[1:] + ".")
        stats_md, overview, table, page = collection_views(text)
        sources_table, pick = source_views(None)
        return stats_md, overview, table, page, sources_table, pick, render.removal_markdown(removal.to_dict())

    def hide_confirmation():
        return gr.update(visible=False)

    # ----- layout ------------------------------------------------------------------------------------------
    with gr.Blocks(title="PaperRAG") as app:
        gr.Markdown("## PaperRAG — ask the papers\nAnswers come only from the abstracts in the collection; "
                    "every claim is cited. Click a marker like [1] to see its evidence.")
        stats_md = gr.Markdown(render.stats_markdown(store_stats), elem_id="stats")
        exchanges = gr.State([])
        page = gr.State(0)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(
                    label="Conversation", show_label=False, height=520, elem_id="chat",
                    placeholder="Ask about methods, results, datasets… e.g. *What makes hypernetworks hard to train?*",
                    **CHATBOT_OPTIONS,
                )
                with gr.Row(elem_id="ask-row"):
                    question = gr.Textbox(
                        label="Question about the papers", placeholder="Ask a question about the papers",
                        show_label=False, scale=5, elem_id="question", autofocus=True, submit_btn=False, max_lines=6,
                        min_width=120, max_length=settings.retrieval.max_question_chars,
                    )
                    send = gr.Button("Ask", variant="primary", scale=0, min_width=76, elem_id="ask")
                    stop = gr.Button("Stop", variant="stop", scale=0, min_width=76, elem_id="stop", visible=False)
                with gr.Row():
                    clear = gr.Button("New chat", size="sm", elem_id="new-chat")
                    export_md = gr.DownloadButton("Export Markdown", size="sm", elem_id="export-md", interactive=False)
                    export_bib = gr.DownloadButton("Export BibTeX", size="sm", elem_id="export-bib", interactive=False)
                gr.Examples(examples=[[q] for q in render.example_questions(papers)], inputs=[question],
                            label="Try one of these")
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### Cited papers")
                cards = gr.HTML(render.conversation_cards([]), elem_id="cards")
        with gr.Accordion("Search settings", open=False):
            with gr.Row():
                years = ["any", *(str(y) for y in sorted(store_stats.get("years") or {}, reverse=True))]
                year_from = gr.Dropdown(years, value="any", label="Year from", allow_custom_value=True,
                                        elem_id="year-from")
                year_to = gr.Dropdown(years, value="any", label="Year to", allow_custom_value=True, elem_id="year-to")
                author = gr.Textbox(label="Author contains", placeholder="any author")
                title = gr.Textbox(label="Title contains", placeholder="any title")
            with gr.Row():
                mode = gr.Radio(["hybrid", "dense", "bm25"], value=settings.retrieval.mode, label="Retrieval",
                                info="hybrid: meaning and keywords together")
                top_k = gr.Slider(1, 20, value=settings.retrieval.top_k, step=1, label="Papers to retrieve")
                generator = gr.Dropdown(writers, value=writer, label="Answer writer", elem_id="writer",
                                        info="Only the writers that can run on this machine are listed.")
        with gr.Accordion("Collection", open=False, elem_id="collection"):
            overview = gr.HTML(render.collection_overview_html(store_stats), elem_id="collection-overview")
            with gr.Row():
                find = gr.Textbox(placeholder="Search titles, abstracts and authors", show_label=False, scale=4,
                                  elem_id="collection-search")
                find_btn = gr.Button("Search", scale=1, min_width=80, elem_id="collection-find")
            papers_html = gr.HTML(elem_id="collection-papers", js_on_load=ASK_ABOUT_PAPER_JS)
            with gr.Row():
                prev_btn = gr.Button("← Previous", size="sm", elem_id="collection-prev")
                next_btn = gr.Button("Next →", size="sm", elem_id="collection-next")
        with gr.Accordion("Add or remove papers", open=False, elem_id="manage"):
            files = gr.File(
                label="Listing files (Daily Papers text, arXiv Atom XML, arXiv snapshot JSONL, JSONL/CSV, BibTeX)",
                file_count="multiple", file_types=sorted(SUPPORTED_EXTENSIONS), elem_id="upload",
            )
            with gr.Row():
                add = gr.Button("Add to collection", elem_id="add", scale=3)
                cancel = gr.Button("Cancel upload", elem_id="cancel-upload", scale=1, size="sm")
            summary = gr.Markdown(elem_id="upload-summary")
            gr.Markdown("#### Sources in the collection", elem_id="sources-head")
            sources_html = gr.HTML(render.sources_table_html(sources), elem_id="sources")
            with gr.Row():
                source_pick = gr.Dropdown(render.source_choices(sources), value=None, label="Source to remove",
                                          elem_id="source-pick", scale=3, allow_custom_value=True)
                remove = gr.Button("Remove…", variant="stop", scale=1, elem_id="remove-source")
            with gr.Row(visible=False, elem_id="confirm-removal") as confirm_row:
                confirm_text = gr.Markdown(elem_id="confirm-text")
                confirm = gr.Button("Yes, remove", variant="stop", scale=0, min_width=150, elem_id="confirm-remove")
                keep = gr.Button("Keep it", scale=0, min_width=110, elem_id="keep-source")
            removed = gr.Markdown(elem_id="remove-status")

        # ----- events ------------------------------------------------------------------------------------
        search = [year_from, year_to, author, title, mode, top_k, generator]
        outputs = [chat, exchanges, cards, question, export_md, export_bib]
        busy = lambda: (gr.update(visible=False), gr.update(visible=True))  # noqa: E731
        idle = lambda: (gr.update(visible=True), gr.update(visible=False))  # noqa: E731
        for trigger, fn, inputs, extra in (
            (send.click, respond, [question, chat, exchanges, *search], {"api_name": "chat"}),
            (question.submit, respond, [question, chat, exchanges, *search], {"api_visibility": "private"}),
            (chat.retry, retry, [chat, exchanges, *search], {"api_visibility": "private"}),
        ):
            event = trigger(busy, None, [send, stop], queue=False, api_visibility="private", show_progress="hidden")
            event = event.then(fn, inputs, outputs, show_progress="minimal", **extra)
            event.then(idle, None, [send, stop], queue=False, api_visibility="private", show_progress="hidden")
        # Stop and New chat mark the running answer, which ends itself (session.Stops): no `cancels=`.
        stop.click(stopped, [chat, exchanges], [chat, send, stop], api_visibility="private", queue=False)
        clear.click(new_chat, None, outputs, api_name="new_chat").then(
            idle, None, [send, stop], queue=False, api_visibility="private")
        chat.clear(new_chat, None, outputs, api_visibility="private").then(
            idle, None, [send, stop], queue=False, api_visibility="private")

        find.submit(search_collection, [find], [papers_html, page], api_visibility="private")
        papers_html.click(ask_about_paper, None, [question, title], api_visibility="private", queue=False)
        find_btn.click(search_collection, [find], [papers_html, page], api_name="browse")
        prev_btn.click(lambda t, p: turn_page(t, p, -1), [find, page], [papers_html, page], api_visibility="private")
        next_btn.click(lambda t, p: turn_page(t, p, 1), [find, page], [papers_html, page], api_visibility="private")
        add.click(upload, [files, find], [summary, stats_md, overview, papers_html, page, sources_html, source_pick],
                  api_name="upload")
        cancel.click(cancel_upload, None, None, queue=False, api_name="cancel_upload")
        app.unload(page_closed)
        # Removing a source takes two clicks: Remove… says what will go, "Yes, remove" removes it. A new pick (or
        # an upload, or a removal, changing the list) takes the question away.
        remove.click(ask_removal, [source_pick], [confirm_row, confirm_text, removed], api_visibility="private")
        confirm.click(remove_source, [source_pick, find],
                      [stats_md, overview, papers_html, page, sources_html, source_pick, removed],
                      api_name="remove_source").then(hide_confirmation, None, [confirm_row], api_visibility="private")
        keep.click(hide_confirmation, None, [confirm_row], api_visibility="private", queue=False)
        source_pick.change(hide_confirmation, None, [confirm_row], api_visibility="private", queue=False)
        app.load(source_views, None, [sources_html, source_pick], api_visibility="private", show_progress="hidden")
        app.load(refresh_writers, [generator], [generator], api_visibility="private", show_progress="hidden")
        app.load(search_collection, [find], [papers_html, page], api_visibility="private", show_progress="hidden")
        # The header and overview count what the store holds now: on every page load, and every few seconds while
        # the page is open (another session's upload, or an ingest in another process, shows without a reload).
        app.load(header_views, None, [stats_md, overview], api_visibility="private", show_progress="hidden")
        gr.Timer(HEADER_REFRESH_SECONDS).tick(header_views, None, [stats_md, overview], api_visibility="private",
                                              show_progress="hidden", queue=False)
        gr.api(ask_api, api_name="ask")
    app.queue(default_concurrency_limit=settings.ui.concurrency_limit)
    return app


def _export_folder() -> Path:
    """A fresh folder for one export (the files keep their plain names); exports older than an hour are removed."""
    EXPORT_ROOT.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in EXPORT_ROOT.iterdir():
        try:
            if now - old.stat().st_mtime > 3600:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    return Path(tempfile.mkdtemp(dir=EXPORT_ROOT))


def launch_options(settings: Any) -> dict[str, Any]:
    """Arguments for `Blocks.launch`: loopback by default, never share, auth required off loopback."""
    ui = settings.ui
    auth = None
    if ui.auth:
        user, sep, password = ui.auth.partition(":")
        if not sep or not user or not password:
            raise ConfigError("ui.auth must look like 'user:password' (env PAPERRAG_UI__AUTH).")
        auth = (user, password)
    if ui.host not in LOOPBACK and auth is None:
        raise ConfigError(
            f"binding {ui.host} exposes the app beyond this machine: set ui.auth ('user:password', or env "
            "PAPERRAG_UI__AUTH) or use --host 127.0.0.1."
        )
    import gradio as gr

    return {
        "server_name": ui.host,
        "server_port": ui.port,
        "share": False,
        "auth": auth,
        "auth_message": "PaperRAG: sign in" if auth else None,
        "max_file_size": f"{ui.max_upload_mb:g}mb",
        "show_error": True,
        # System fonts: the default theme fonts come from Google Fonts, a request the browser cannot make offline.
        "theme": gr.themes.Soft(
            font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
            font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
        ),
        "css": CSS,
        "head": HEAD,
        "footer_links": ["api"],
    }


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on host:port (binding as the web server will: address reuse on, so a
    port left in TIME_WAIT by a previous run still counts as free)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def port_message(host: str, port: int) -> str:
    return (f"port {port} on {host} is already in use (another PaperRAG, or another program): stop it, or pick "
            f"another port with `paperrag serve --port N` (or `make run PORT=N`).")


def bypass_proxy_for_loopback() -> None:
    """Gradio checks its own URL at start-up over HTTP; an HTTP(S)_PROXY in the environment must not get it."""
    for var in ("NO_PROXY", "no_proxy"):
        hosts = [h.strip() for h in os.environ.get(var, "").split(",") if h.strip()]
        os.environ[var] = ",".join(hosts + [h for h in ("127.0.0.1", "localhost", "::1") if h not in hosts])


def _browser_here() -> bool:
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def _loading_line(embedder: Any) -> str:
    if embedder.needs_export:
        return "Loading the embedding model (exporting it to ONNX first: once, up to a minute) …"
    return "Loading the embedding model …"


def serve(settings: Any, *, ingest_if_empty: bool = True, open_browser: bool = False, mcp: bool = False) -> None:
    """Ingest the bundled corpus when the index is empty, warm the engine, and serve until interrupted. Each
    phase says what it is doing; a port in use is one line naming the port and how to choose another. `mcp`: also
    serve the MCP tools at /mcp (rag/integrations/mcp.py)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Uploads go to a folder of this server's own (mode 0700), not the /tmp/gradio every Gradio app on the machine
    # shares by default, where one app's users could fetch another's files.
    os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="paperrag-gradio-"))
    bypass_proxy_for_loopback()
    host, port = settings.ui.host, settings.ui.port
    options = launch_options(settings)  # refuse unsafe binds before any heavy work
    if port_in_use(host, port):
        raise UsageError(port_message(host, port))
    from rag.engine import Engine

    say = lambda text: print(text, flush=True)  # noqa: E731
    engine = Engine(settings)
    say(f"Opening the index at {engine.library.location} …")
    if ingest_if_empty and engine.library.count() == 0:
        from ingest.pipeline import Ingestor

        if not settings.ingest.default_paths:
            raise UsageError("the index is empty and no ingest.default_paths are configured: run `paperrag ingest PATH`.")
        say("The index is empty: ingesting " + ", ".join(str(p) for p in settings.ingest.default_paths))
        say(_loading_line(engine.embedder))
        report = Ingestor(settings, embedder=engine.embedder, library=engine.library).run(None)
        say(report.summary())
    else:
        say(_loading_line(engine.embedder))
    engine.warm_up()
    say("Building the chat page (and checking which answer writers can run) …")
    app = create_app(engine)
    if mcp:
        from rag.integrations.mcp import gradio_lifespan

        options["app_kwargs"] = {"lifespan": gradio_lifespan(engine, settings)}
    if open_browser and not _browser_here():
        say(f"--open: no web browser found on this machine; open http://{host}:{port}/ in one yourself.")
        open_browser = False
    say(f"Starting the web server on {host}:{port} …")
    try:
        app.launch(inbrowser=open_browser, prevent_thread_lock=True, quiet=True, **options)
    except OSError:
        raise UsageError(port_message(host, port)) from None
    if mcp:
        say(f"MCP tools (ask, search) at http://{host}:{port}/mcp")
    say(f"PaperRAG is serving on http://{host}:{port}/ (Ctrl-C stops it)")
    app.block_thread()
