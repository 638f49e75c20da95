"""The change log: one Chroma record per write, so every process and every client learns what changed.

A writer adds an entry naming the papers it is about to write (state "pending"), writes them, then marks the
entry "done". Readers look for entries they have not applied yet (a cheap query on the entry time) and bring
their lexical index up to date by reading those papers' current records from Chroma, so it does not matter in
which order entries are applied, or whether a paper changed again since. A pending entry is applied again on
every look until it is done, or until its writer is known to be gone (a dead process of this machine, or
STALE_SECONDS of silence): what it wrote is then whatever Chroma holds. Entries carry unique ids: two writers never collide, whatever their clocks say.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Sequence

from rag.library.chroma import ChromaCollections, placeholder

STALE_SECONDS = 600.0
# Entries are fetched from this far before the newest one applied: covers clock differences between clients of
# one server and a writer whose entry landed after a later one was already seen.
HORIZON_SECONDS = 300.0

_counter = itertools.count()


def new_writer_id() -> str:
    """host:pid:random, so a reader on the same machine can tell a writer that died from one still writing."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _writer_gone(writer: str) -> bool:
    host, _, rest = writer.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's writer: only time tells (STALE_SECONDS)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class Change:
    id: str
    ts: float
    writer: str
    state: str  # "pending" | "done"
    paper_ids: list[str] = field(default_factory=list)
    done_ts: float = 0.0  # when the writer finished (0 while pending)
    superseded: bool = False  # the last entry of a generation a rebuild replaced: readers reopen and move on

    @property
    def done(self) -> bool:
        return self.state == "done"

    def settled(self, now: float) -> bool:
        """Nothing more will come of it: done, or its writer is gone (a process of this machine that no longer
        runs, or any writer silent for STALE_SECONDS)."""
        return self.done or now - self.ts > STALE_SECONDS or _writer_gone(self.writer)


class ChangeLog:
    def __init__(self, chroma: ChromaCollections, writer: str):
        self.chroma = chroma
        self.writer = writer

    def begin(self, paper_ids: Sequence[str]) -> Change:
        ts = time.time()
        change = Change(f"{time.time_ns():020d}-{self.writer}-{next(_counter)}", ts, self.writer, "pending",
                        list(dict.fromkeys(paper_ids)))
        self.chroma.changes.add(
            ids=[change.id], embeddings=[placeholder(change.id)], metadatas=[_meta(change)]
        )
        return change

    def finish(self, change: Change) -> None:
        change.state = "done"
        change.done_ts = time.time()
        self.chroma.changes.update(ids=[change.id], metadatas=[_meta(change)])

    def supersede(self, old_log: Any) -> None:
        """Tell the readers of a replaced generation (through its own log) that another one is current."""
        now = time.time()
        change = Change(f"{time.time_ns():020d}-{self.writer}-{next(_counter)}", now, self.writer, "done", [], now,
                        superseded=True)
        old_log.add(ids=[change.id], embeddings=[placeholder(change.id)], metadatas=[_meta(change)])

    def ids_since(self, ts: float) -> list[str]:
        """Ids of the entries from `ts` on: a cheap look (no metadata) before fetching the ones not seen yet."""
        return list(self.chroma.changes.get(where={"ts": {"$gte": float(ts)}}, include=[])["ids"])

    def since(self, ts: float) -> list[Change]:
        res = self.chroma.changes.get(where={"ts": {"$gte": float(ts)}}, include=["metadatas"])
        return sorted((_change(i, m) for i, m in zip(res["ids"], res["metadatas"])), key=lambda c: c.ts)

    def get(self, ids: Sequence[str]) -> list[Change]:
        if not ids:
            return []
        res = self.chroma.changes.get(ids=list(ids), include=["metadatas"])
        return [_change(i, m) for i, m in zip(res["ids"], res["metadatas"])]


def _meta(c: Change) -> dict[str, Any]:
    meta = {"ts": c.ts, "done_ts": c.done_ts, "writer": c.writer, "state": c.state, "papers": json.dumps(c.paper_ids)}
    if c.superseded:
        meta["superseded"] = True
    return meta


def _change(cid: str, meta: dict[str, Any]) -> Change:
    return Change(cid, float(meta["ts"]), meta["writer"], meta["state"], json.loads(meta.get("papers", "[]")),
                  float(meta.get("done_ts", 0.0)), bool(meta.get("superseded", False)))
