"""Recognising the same paper from several sources and merging what each knows about it.

Two records are the same paper when they share an arXiv id, a DOI or a normalised title. The merged record
takes each field from the most authoritative source that has it (arXiv metadata over BibTeX over generic
tables over listing pages) and fills the gaps from the others, so re-reading any of the sources changes nothing.
"""

from __future__ import annotations

from dataclasses import fields, replace

from rag.types import Paper

SOURCE_RANK = {"arxiv-atom": 5, "arxiv-snapshot": 5, "bibtex": 3, "jsonl": 2, "csv": 2, "hf-daily": 1}
_IDENTITY = {"source", "source_format", "line"}


def rank(paper: Paper) -> int:
    return SOURCE_RANK.get(paper.source_format, 0)


def keys(paper: Paper) -> list[str]:
    out = []
    if paper.arxiv_id:
        out.append(f"arxiv:{paper.arxiv_id}")
    if paper.doi:
        out.append(f"doi:{paper.doi}")
    if paper.title_key:
        out.append(f"title:{paper.title_key}")
    return out


def merge(primary: Paper, secondary: Paper) -> Paper:
    """`primary`'s values, with its empty fields filled from `secondary`."""
    updates = {}
    for f in fields(Paper):
        if f.name in _IDENTITY:
            continue
        mine, theirs = getattr(primary, f.name), getattr(secondary, f.name)
        if f.name == "links":
            merged = list(dict.fromkeys([*mine, *theirs]))
            if merged != mine:
                updates[f.name] = merged
        elif f.name == "n_authors" and primary.authors:
            continue
        elif mine in (None, "", []) and theirs not in (None, "", []):
            updates[f.name] = theirs
    return replace(primary, **updates) if updates else primary


def combine(incoming: Paper, existing: Paper) -> Paper:
    """Merge a new record with an existing one: the higher-ranked source leads; on a tie the newer record."""
    if rank(incoming) >= rank(existing):
        return merge(incoming, existing)
    return merge(existing, incoming)


def group_duplicates(papers: list[Paper]) -> list[list[int]]:
    """Indices of `papers` grouped by shared keys (union-find), in order of first appearance."""
    parent = list(range(len(papers)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, p in enumerate(papers):
        for k in keys(p):
            if k in owner:
                a, b = find(owner[k]), find(i)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[k] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(papers)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])
