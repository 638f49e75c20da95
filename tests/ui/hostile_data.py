"""Hostile text for the UI tests: papers, questions, URLs and file names that try to inject HTML, Markdown,
script, images and links. Every payload that would run sets `window.__pwned`; every URL that would be fetched or
linked points off 127.0.0.1's app port (a TEST-NET address, or a loopback port nothing serves)."""

from __future__ import annotations

import json
from pathlib import Path

PWN = "window.__pwned=1"
BEACON = "http://127.0.0.1:9911/beacon.png"  # a tracking pixel on loopback: must not be fetched either
OFFSITE = "http://198.51.100.7"  # TEST-NET-2: nothing answers there

HOSTILE_QUESTION = (
    f'<img src=x onerror="{PWN}"> <b>What</b> does the **quokka tokenizer** ![q]({OFFSITE}/q.png) '
    f"[report]({OFFSITE}/r) on the <i>leaderboard</i>?"
)
# A question whose 80-character cut (the cards' header) falls inside an open tag.
CUT_QUESTION = "x" * 74 + "<b>quokka tokenizer leaderboard bold?</b>"

HOSTILE_PAPERS = [
    {
        "title": f'Quokka <img src=x onerror="{PWN}"> **Tokenizer** [Leaderboard]({OFFSITE}/lb) </div><b>',
        "authors": [f"Ada <script>{PWN}</script> Quokka", f"Bob ![a]({OFFSITE}/author.png) Wombat"],
        "abstract": (
            f"The quokka tokenizer sets a record on the quokka leaderboard ![b]({BEACON}) report. "
            f"The quokka tokenizer leaderboard report is on [the official leaderboard]({OFFSITE}/phish) with "
            f"<img src={OFFSITE}/i.png onerror={PWN}> scores. "
            "Quokka tokenizer leaderboard results: **bold claim**, _emphasis_, `code`, $$x^2$$, "
            "www.evil-quokka.example, evil-quokka.com/path and quokka@evil.example report. "
            f"<script>{PWN}</script> The quokka tokenizer | leaderboard | report table row."
        ),
        "url": f"javascript:{PWN}",
        "date": "2026-01-02",
        "categories": "cs.CL",
    },
    {
        "title": "Quokka tokenizer ablations: <svg onload=window.__pwned=1> a second look",
        "authors": "Carol <b>Numbat</b>",
        "abstract": (
            f"[1]: {OFFSITE}/ref The quokka tokenizer ablation report shows the leaderboard gains come from "
            f"merges <iframe src={OFFSITE}/frame></iframe>. Quokka tokenizer merges ![c]({OFFSITE}/c.png) "
            "explain most of the leaderboard report."
        ),
        "doi": f'10.1234/quokka"><img src=x onerror={PWN}>',
        "url": f'{OFFSITE}/paper"onmouseover="{PWN}',
        "date": "2026-01-01",
    },
]

# Uploaded in the browser: a file whose very name is markup, holding one paper and one bad record.
HOSTILE_FILE_NAME = "quokka <img src=y onerror=window.__pwned=1>.jsonl"
HOSTILE_UPLOAD = [
    {
        "title": "Numbat <b>parsers</b> ![n](http://198.51.100.7/n.png)",
        "abstract": "Numbat parsers read [links](javascript:window.__pwned=1) and <img src=x onerror=window.__pwned=1> "
                    "markup as text. They are fast.",
        "authors": ["Dora <i>Dingo</i>"],
        "date": "2024-05-05",
    },
    {"title": "<b>no abstract here</b>"},
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path
