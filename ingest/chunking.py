"""Token-aware chunking of an abstract on sentence boundaries, keeping offsets and sentence spans.

We pack sentences ourselves instead of using llama-index's `SentenceSplitter`: it returns bare strings, and the
answer step needs each chunk's character offsets in the abstract and the sentence boundaries inside it to cite
sentences. Token counts are cl100k (tiktoken, from the file llama-index ships).
"""

from __future__ import annotations

from rag.text import count_tokens, sentence_spans, token_offsets
from rag.types import Chunk, Paper


def _units(text: str, max_tokens: int) -> list[tuple[int, int, int]]:
    """(start, end, tokens) per sentence; a sentence longer than max_tokens is cut into token windows."""
    units: list[tuple[int, int, int]] = []
    for a, b in sentence_spans(text):
        n = count_tokens(text[a:b]) + (1 if units else 0)  # +1: the joining space becomes part of a token
        if n <= max_tokens:
            units.append((a, b, n))
            continue
        offsets = token_offsets(text[a:b])
        for i in range(0, len(offsets), max_tokens - 1):
            s = a + offsets[i]
            e = a + offsets[i + max_tokens - 1] if i + max_tokens - 1 < len(offsets) else b
            piece = text[s:e].strip()
            if piece:
                s = s + (len(text[s:e]) - len(text[s:e].lstrip()))
                units.append((s, s + len(piece), count_tokens(piece) + 1))
    return units


def chunk_paper(paper: Paper, max_tokens: int, overlap_tokens: int) -> list[Chunk]:
    text = paper.abstract
    pid = paper.paper_id
    total = count_tokens(text)
    if total <= max_tokens:
        spans = sentence_spans(text)
        return [Chunk(pid, 0, text, 0, len(text), spans or [(0, len(text))], total)]

    units = _units(text, max_tokens)
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, used = i, 0
        while j < len(units) and used + units[j][2] <= max_tokens:
            used += units[j][2]
            j += 1
        j = max(j, i + 1)  # always make progress
        start, end = units[i][0], units[j - 1][1]
        chunk_text = text[start:end]
        spans = [(a - start, b - start) for a, b, _ in units[i:j]]
        chunks.append(Chunk(pid, len(chunks), chunk_text, start, end, spans, count_tokens(chunk_text)))
        if j >= len(units):
            break
        # Next chunk starts with the longest run of whole trailing sentences that fits overlap_tokens.
        k, carried = j, 0
        while k - 1 > i and carried + units[k - 1][2] <= overlap_tokens:
            k -= 1
            carried += units[k][2]
        i = k
    return chunks


def embedding_text(paper: Paper, chunk: Chunk) -> str:
    """What the encoder sees for a chunk: the title gives every chunk its paper's topic."""
    return f"{paper.title}. {chunk.text}"
