"""Token-aware chunking: short abstracts stay whole, long ones split on sentences with overlap and offsets."""

from __future__ import annotations


from conftest import BUNDLED
from ingest.chunking import chunk_paper, embedding_text
from ingest.readers import read_records
from rag.types import Paper

SENTENCES = [f"Sentence number {i} talks about topic {i} with several extra words to pad it out." for i in range(30)]
LONG = Paper(title="A long abstract", abstract=" ".join(SENTENCES))


def test_abstract_that_fits_stays_one_chunk():
    p = Paper(title="Short", abstract="One sentence here. And a second one follows.")
    [chunk] = chunk_paper(p, max_tokens=200, overlap_tokens=40)
    assert (chunk.start, chunk.end, chunk.index) == (0, len(p.abstract), 0)
    assert [chunk.text[a:b] for a, b in chunk.sentences] == ["One sentence here.", "And a second one follows."]
    assert chunk.chunk_id == f"{p.paper_id}#0"


def test_long_abstract_splits_on_sentences_with_overlap():
    chunks = chunk_paper(LONG, max_tokens=60, overlap_tokens=20)
    assert len(chunks) > 3
    for ch in chunks:
        assert ch.n_tokens <= 60
        assert LONG.abstract[ch.start : ch.end] == ch.text
        sents = [ch.text[a:b] for a, b in ch.sentences]
        assert all(s in SENTENCES for s in sents), "every chunk holds whole sentences"
    for prev, nxt in zip(chunks, chunks[1:]):
        first_of_next = nxt.text[nxt.sentences[0][0] : nxt.sentences[0][1]]
        assert first_of_next in prev.text, "the next chunk starts with sentences repeated from the previous"
        assert nxt.start > prev.start
    covered = set()
    for ch in chunks:
        covered.update(ch.text[a:b] for a, b in ch.sentences)
    assert covered == set(SENTENCES)


def test_overlap_zero_gives_disjoint_chunks():
    chunks = chunk_paper(LONG, max_tokens=60, overlap_tokens=0)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start > prev.end - 1


def test_sentence_longer_than_max_tokens_is_cut_into_windows():
    words = " ".join(f"word{i}" for i in range(400))
    p = Paper(title="t", abstract=f"Intro sentence. {words}. Closing sentence.")
    chunks = chunk_paper(p, max_tokens=50, overlap_tokens=10)
    assert all(ch.n_tokens <= 52 for ch in chunks)
    text = " ".join(ch.text for ch in chunks)
    assert "word0" in text and "word399" in text and "Closing sentence." in text


def test_bundled_chunks_fit_the_encoder_window(embedder):
    """With the shipped chunking, nothing the encoder sees is truncated (all-MiniLM-L6-v2 stops at 256)."""
    from rag.settings import ChunkingSettings

    c = ChunkingSettings()
    papers = [p for p in read_records(BUNDLED) if isinstance(p, Paper)]
    lengths = [
        embedder.count_model_tokens(embedding_text(p, ch))
        for p in papers
        for ch in chunk_paper(p, c.max_tokens, c.overlap_tokens)
    ]
    assert max(lengths) <= embedder.max_seq_length, max(lengths)
    # Bundled abstracts run 218-385 cl100k tokens: each becomes two or three chunks, never more.
    assert len(papers) * 2 <= len(lengths) <= len(papers) * 3
