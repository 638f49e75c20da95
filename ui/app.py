"""The Gradio app: wiring only. Answers come from `Engine.ask_stream`, text and cards from ui/render.py.

`create_app(engine)` builds the Blocks without launching them, so tests build it around their own engine;
`serve()` is what `paperrag serve` runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

from rag.errors import ConfigError, PaperRAGError, UsageError
from ui.render import (
    answer_markdown,
    example_questions,
    ingest_summary_markdown,
    source_cards_html,
    stats_markdown,
)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}

CSS = """
.cards { display: flex; flex-direction: column; gap: 10px; }
.cards.empty { color: var(--body-text-color-subdued); font-style: italic; padding: 8px; }
.turn-head { font-size: 0.8em; text-transform: uppercase; letter-spacing: .05em; color: var(--body-text-color-subdued);
             margin-top: 6px; }
.card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 12px;
        background: var(--block-background-fill); transition: box-shadow .2s, border-color .2s; }
.card.active { border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft); }
.card.active mark { background: #ffd54f; }
.card-head { display: flex; gap: 8px; align-items: baseline; font-weight: 600; }
.card .num { background: var(--color-accent); color: white; border-radius: 6px; padding: 0 7px; font-size: .85em; }
.card .meta { font-size: .85em; color: var(--body-text-color-subdued); margin: 4px 0 6px; }
.card .evidence { font-size: .92em; line-height: 1.45; }
.card mark { background: #fff3b0; color: inherit; padding: 1px 2px; border-radius: 3px; }
.notice { padding: 8px 10px; border-radius: 8px; background: var(--block-background-fill); }
.others summary { cursor: pointer; color: var(--body-text-color-subdued); font-size: .9em; }
a.cite { font-weight: 600; text-decoration: none; margin-left: 1px; }
.unsupported { color: #b3261e; font-size: .85em; }
#stats { font-size: .9em; }
"""

# Clicking a marker [n] in an answer highlights card n of that answer and scrolls it into view.
HEAD = """
<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href^="#cite-"]');
  if (!link) return;
  event.preventDefault();
  const id = link.getAttribute('href').slice(1);
  document.querySelectorAll('.card.active').forEach((c) => c.classList.remove('active'));
  const card = document.getElementById(id);
  if (card) { card.classList.add('active'); card.scrollIntoView({behavior: 'smooth', block: 'nearest'}); }
});
</script>
"""


def conversation_cards(answers: list[dict[str, Any]]) -> str:
    """Cards of every answer so far, newest first, so markers of earlier answers still find their card."""
    if not answers:
        return source_cards_html(None, 0)
    blocks = []
    for turn in range(len(answers) - 1, -1, -1):
        head = f'<div class="turn-head">Answer {turn + 1}: {answers[turn]["question"][:80]}</div>'
        blocks.append(head + source_cards_html(answers[turn], turn))
    return "".join(blocks)


def _filters(year_from: Any, year_to: Any) -> dict[str, int]:
    out = {}
    if year_from:
        out["year_from"] = int(year_from)
    if year_to:
        out["year_to"] = int(year_to)
    return out


def create_app(engine: Any) -> Any:
    """Build the PaperRAG Blocks around `engine` (an rag.engine.Engine); nothing is launched."""
    import gradio as gr

    from ingest.readers import SUPPORTED_EXTENSIONS
    from rag.generators import BACKENDS

    settings = engine.settings
    store_stats = engine.library.stats()
    papers = engine.library.recent(limit=50) if store_stats["papers"] else []

    def respond(message: str, chat: list, answers: list, year_from, year_to, mode, top_k, generator) -> Iterator:
        message = (message or "").strip()
        if not message:
            raise gr.Error("Type a question about the papers first.")
        turn = len(answers)
        chat = chat + [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        yield chat, answers, gr.skip(), ""
        partial = ""
        answer = None
        try:
            for item in engine.ask_stream(
                message, history=answers, filters=_filters(year_from, year_to), top_k=int(top_k), mode=mode,
                generator=generator,
            ):
                if isinstance(item, str):
                    partial += item
                    chat[-1] = {"role": "assistant", "content": partial}
                    yield chat, answers, gr.skip(), ""
                else:
                    answer = item.to_dict()
        except PaperRAGError as e:
            raise gr.Error(str(e)) from None
        chat[-1] = {"role": "assistant", "content": answer_markdown(answer, turn)}
        answers = answers + [answer]
        yield chat, answers, conversation_cards(answers), ""

    def ask_api(
        question: str,
        year_from: int | None = None,
        year_to: int | None = None,
        mode: str = settings.retrieval.mode,
        top_k: int = settings.retrieval.top_k,
        generator: str = settings.generator.backend,
        history: list[dict] | None = None,
    ) -> dict:
        """Answer one question; returns the Answer dict (the `paperrag ask --json` schema)."""
        try:
            return engine.ask(
                question, history=history or [], filters=_filters(year_from, year_to), top_k=int(top_k),
                mode=mode, generator=generator,
            ).to_dict()
        except PaperRAGError as e:
            raise gr.Error(str(e)) from None

    def upload(files: list | None, progress=gr.Progress(track_tqdm=True)) -> tuple[str, str]:
        from ingest.pipeline import Ingestor

        if not files:
            raise gr.Error("Choose one or more listing files first.")
        upload_root = Path(gr.utils.get_upload_folder()).resolve()
        paths = []
        for f in files:
            path = Path(f if isinstance(f, str) else f.name).resolve()
            if upload_root not in path.parents:  # only files Gradio itself received, never a path a client names
                raise gr.Error(f"{path.name}: not an uploaded file.")
            if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
                raise gr.Error(f"{path.name}: unsupported file type; use one of {', '.join(sorted(SUPPORTED_EXTENSIONS))}.")
            size_mb = path.stat().st_size / 1e6
            if size_mb > settings.ui.max_upload_mb:
                raise gr.Error(f"{path.name}: {size_mb:.1f} MB is over the {settings.ui.max_upload_mb:g} MB upload limit.")
            paths.append(path)
        try:
            report = Ingestor(settings, embedder=engine.embedder, library=engine.library).run(paths, progress=True)
        except PaperRAGError as e:
            raise gr.Error(str(e)) from None
        if not report.ok:
            gr.Warning("Some files could not be read: " + "; ".join(str(e) for e in report.file_errors))
        return ingest_summary_markdown(report.to_dict()), stats_markdown(engine.library.stats())

    def new_chat() -> tuple[list, list, str, str]:
        return [], [], conversation_cards([]), ""

    with gr.Blocks(title="PaperRAG") as app:
        gr.Markdown("## PaperRAG — ask the papers\nAnswers come only from the abstracts in the collection; "
                    "every claim is cited. Click a marker like [1] to see its evidence.")
        stats_md = gr.Markdown(stats_markdown(store_stats), elem_id="stats")
        answers = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label="Conversation", height=520, elem_id="chat", buttons=["copy"],
                    placeholder="Ask about methods, results, datasets… e.g. *What makes hypernetworks hard to train?*",
                    feedback_options=None,
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask a question about the papers", show_label=False, scale=5, elem_id="question",
                        autofocus=True, submit_btn=False,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                with gr.Row():
                    clear = gr.Button("New chat", size="sm", elem_id="new-chat")
                gr.Examples(examples=[[q] for q in example_questions(papers)], inputs=[question],
                            label="Try one of these")
            with gr.Column(scale=2):
                gr.Markdown("### Cited papers")
                cards = gr.HTML(conversation_cards([]), elem_id="cards")
        with gr.Accordion("Search settings", open=False):
            with gr.Row():
                year_from = gr.Number(label="Year from", precision=0, value=None)
                year_to = gr.Number(label="Year to", precision=0, value=None)
                mode = gr.Radio(["hybrid", "dense", "bm25"], value=settings.retrieval.mode, label="Retrieval")
                top_k = gr.Slider(1, 20, value=settings.retrieval.top_k, step=1, label="Papers to retrieve")
                generator = gr.Dropdown(list(BACKENDS), value=settings.generator.backend, label="Answer writer")
        with gr.Accordion("Add papers to the collection", open=False):
            files = gr.File(
                label="Listing files (Daily Papers text, arXiv Atom XML, arXiv snapshot JSONL, JSONL/CSV, BibTeX)",
                file_count="multiple", file_types=sorted(SUPPORTED_EXTENSIONS), elem_id="upload",
            )
            add = gr.Button("Add to collection", elem_id="add")
            summary = gr.Markdown()

        inputs = [question, chat, answers, year_from, year_to, mode, top_k, generator]
        outputs = [chat, answers, cards, question]
        send.click(respond, inputs, outputs, api_name="chat")
        question.submit(respond, inputs, outputs, api_visibility="private")
        clear.click(new_chat, None, [chat, answers, cards, question], api_name="new_chat")
        add.click(upload, [files], [summary, stats_md], api_name="upload")
        gr.api(ask_api, api_name="ask")
    app.queue(default_concurrency_limit=settings.ui.concurrency_limit)
    return app


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


def serve(settings: Any, *, ingest_if_empty: bool = True, open_browser: bool = False) -> None:
    """Ingest the bundled corpus when the index is empty, warm the engine, and serve until interrupted."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from rag.engine import Engine

    options = launch_options(settings)  # refuse unsafe binds before any heavy work
    engine = Engine(settings)
    if ingest_if_empty and engine.library.count() == 0:
        from ingest.pipeline import Ingestor

        if not settings.ingest.default_paths:
            raise UsageError("the index is empty and no ingest.default_paths are configured: run `paperrag ingest PATH`.")
        print("The index is empty: ingesting " + ", ".join(str(p) for p in settings.ingest.default_paths))
        report = Ingestor(settings, embedder=engine.embedder, library=engine.library).run(None)
        print(report.summary())
    engine.warm_up()
    app = create_app(engine)
    print(f"PaperRAG is serving on http://{settings.ui.host}:{settings.ui.port}/ (Ctrl-C stops it)")
    app.launch(inbrowser=open_browser, **options)
