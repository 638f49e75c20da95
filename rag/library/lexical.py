"""Lexical search: an on-disk tantivy index with one document per paper, updated in place as papers are written.

Why tantivy (benchmarks/lexical_engines.py, 100,000 papers, 2 cores; table in the README): its BM25 ranks the
gold set (hit@1 1.000) and pubmedqa-dev (0.976) like SQLite FTS5 and the in-memory bm25s index it replaces
(0.972); it answers a question in 1.5 ms at p50 where FTS5's bm25() takes 91 ms (it scores every paper sharing a
term with the question); adding a paper is a 30 ms commit where bm25s re-indexed everything (10.5 s). Document
frequencies (for IDF) and the filters come from it.

Terms are made by PaperRAG's own analyzer (rag/terms.py: stemmed, stopwords removed, compounds split) and stored
pre-tokenised in a whitespace-tokenised field, so the index, evidence scoring and citation checks agree on what a
term is. Title and author filters are case-insensitive substring matches: regular expressions over lowercased
whole-title and per-author terms, run on the term dictionary, so they never scan papers.
"""

from __future__ import annotations

import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from rag import names as naming
from rag.filters import Filters
from rag.terms import TermIDF
from rag.terms import terms as analyze
from rag.types import Paper

FORMAT = 4  # 4: the `heads`, `names` and `mentions` fields (rag/names.py); a cache of another format is rebuilt
WRITER_HEAP = 15_000_000  # tantivy's minimum per indexing thread


@dataclass
class LexicalDoc:
    paper_id: str
    content_hash: str
    paper: Paper
    fields: tuple[str, str, str, str] | None = None  # `analyzed(paper)`, when computed elsewhere (a worker process)


def analyzed(paper: Paper) -> tuple[str, str, str, str]:
    """The fields of a paper's document that take analysis: its terms, and the keys of the names it introduces as
    its own, introduces, and mentions (rag/names.py). Pure and picklable, so that a rebuild of many papers can
    compute them in worker processes: about 0.75 ms a paper in Python, most of a rebuild's time."""
    p = paper
    own, introduced = naming.introductions(p.title, p.abstract)
    return (" ".join(analyze(f"{p.title} {p.abstract}")) or "_",
            " ".join(naming.keys(own)) or "_",
            " ".join(naming.keys(introduced)) or "_",
            " ".join(naming.keys(naming.mentioned(p.title, p.abstract))) or "_")


def analyzed_all(papers: Sequence[Paper]) -> list[tuple[str, str, str, str]]:
    return [analyzed(p) for p in papers]


def _escape(text: str) -> str:
    """`text` as a literal inside a tantivy regular expression: its metacharacters escaped, nothing else (in
    tantivy's syntax an escaped letter or bracket such as `\\<` means something else, or is refused)."""
    return re.sub(r"([.+*?()|\[\]{}^$#&\-~\\])", r"\\\1", text.lower())


def _date_number(date: str | None, year: int | None) -> int:
    if date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return int(date.replace("-", ""))
    return year * 10000 if year else 0


class LexicalIndex:
    """One tantivy index in `folder`. Readers see new commits after `reload()`."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._index: Any = None
        self._schema: Any = None

    # ----- lifecycle --------------------------------------------------------------------------------------
    @staticmethod
    def schema() -> Any:
        from tantivy import SchemaBuilder

        sb = SchemaBuilder()
        sb.add_text_field("paper_id", stored=True, tokenizer_name="raw", index_option="basic")
        sb.add_text_field("content_hash", stored=True, tokenizer_name="raw", index_option="basic")
        sb.add_text_field("terms", stored=True, tokenizer_name="whitespace", index_option="freq")
        # The keys of the names a paper introduces and of the names it mentions (rag/names.py): how a question's
        # names find their papers with one term lookup each.
        sb.add_text_field("heads", stored=False, tokenizer_name="whitespace", index_option="basic")
        sb.add_text_field("names", stored=False, tokenizer_name="whitespace", index_option="basic")
        sb.add_text_field("mentions", stored=False, tokenizer_name="whitespace", index_option="basic")
        sb.add_text_field("title", stored=True, tokenizer_name="raw_lower", index_option="basic")
        sb.add_text_field("authors", stored=True, tokenizer_name="raw_lower", index_option="basic")
        sb.add_text_field("categories", stored=True, tokenizer_name="raw", index_option="basic")
        sb.add_text_field("source", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
        sb.add_integer_field("year", stored=True, indexed=True, fast=True)
        sb.add_integer_field("date", stored=True, indexed=True, fast=True)  # yyyymmdd, 0 when unknown
        return sb.build()

    @property
    def index(self) -> Any:
        if self._index is None:
            from tantivy import Filter, Index, TextAnalyzerBuilder, Tokenizer

            self.folder.mkdir(parents=True, exist_ok=True)
            self._schema = self.schema()
            self._index = Index(self._schema, path=str(self.folder), reuse=True)
            self._index.register_tokenizer(
                "raw_lower", TextAnalyzerBuilder(Tokenizer.raw()).filter(Filter.lowercase()).build()
            )
        return self._index

    def reload(self) -> None:
        self.index.reload()

    def damage(self) -> str | None:
        """What is wrong when the index cannot be opened or read (deleted or corrupted segment files); None when it
        reads. Opens it and looks a term up in every segment, which reads each segment's term dictionary."""
        try:
            self.index.reload()
            s = self.searcher
            int(s.num_docs)
            s.doc_freq("terms", "_")
            s.search(self._all(), 1, count=True)
        except Exception as e:  # tantivy reports every damage as ValueError / OSError with the file's name
            self._index = None
            return f"{type(e).__name__}: {' '.join(str(e).split())[:160]}"
        return None

    def _all(self) -> Any:
        from tantivy import Query

        return Query.all_query()

    def destroy(self) -> None:
        self._index = None
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.folder.exists():  # a file rmtree could not remove (it is read-only, or held): say which
            raise OSError(f"cannot remove the lexical index at {self.folder}")

    # ----- writing (callers hold the lexical lock) --------------------------------------------------------
    def apply(self, upserts: Sequence[LexicalDoc], deletes: Iterable[str] = ()) -> None:
        """Replace or add `upserts`, remove `deletes`, in one commit."""
        from tantivy import Document

        writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
        try:
            for pid in deletes:
                writer.delete_documents_by_term("paper_id", pid)
            for d in upserts:
                p = d.paper
                writer.delete_documents_by_term("paper_id", d.paper_id)
                terms, heads, names, mentions = d.fields or analyzed(p)
                doc = Document(
                    paper_id=d.paper_id,
                    content_hash=d.content_hash,
                    terms=terms,
                    heads=heads,
                    names=names,
                    mentions=mentions,
                    title=p.title,
                    source=p.source.rsplit("/", 1)[-1] or "unknown",
                    year=int(p.year or 0),
                    date=_date_number(p.date, p.year),
                )
                for a in p.authors:
                    doc.add_text("authors", a)
                for c in p.categories:
                    doc.add_text("categories", c)
                writer.add_document(doc)
            writer.commit()
        finally:
            writer.wait_merging_threads()  # also releases tantivy's writer lock
        self.index.reload()

    def clear(self) -> None:
        writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
        try:
            writer.delete_all_documents()
            writer.commit()
        finally:
            writer.wait_merging_threads()
        self.index.reload()

    # ----- reading ----------------------------------------------------------------------------------------
    @property
    def searcher(self) -> Any:
        return self.index.searcher()

    def count(self) -> int:
        return int(self.searcher.num_docs)

    def filter_query(self, filters: Filters) -> Any | None:
        """The filters as one tantivy query (None when there are none)."""
        from tantivy import FieldType, Occur, Query

        schema = self._schema_or_load()
        must = []
        if filters.year_from or filters.year_to:
            must.append(Query.range_query(
                schema, "year", FieldType.Integer, int(filters.year_from or 1), int(filters.year_to or 9999)
            ))
        if filters.paper_ids:
            must.append(Query.term_set_query(schema, "paper_id", list(filters.paper_ids)))
        if filters.categories:
            must.append(Query.term_set_query(schema, "categories", list(filters.categories)))
        if filters.title:
            must.append(Query.regex_query(schema, "title", f".*{_escape(filters.title)}.*"))
        if filters.author:
            must.append(Query.regex_query(schema, "authors", f".*{_escape(filters.author)}.*"))
        exclude = Query.term_set_query(schema, "paper_id", list(filters.exclude_ids)) if filters.exclude_ids else None
        if not must and exclude is None:
            return None
        if exclude is not None:
            return Query.boolean_query(
                [(Occur.Must, q) for q in must or [Query.all_query()]] + [(Occur.MustNot, exclude)]
            )
        return must[0] if len(must) == 1 else Query.boolean_query([(Occur.Must, q) for q in must])

    def _schema_or_load(self) -> Any:
        self.index  # noqa: B018 (opens the index and its schema)
        return self._schema

    def search(self, query_terms: Sequence[str], n: int, filters: Filters) -> list[tuple[str, float]]:
        """(paper id, BM25 score) of the best n papers for the terms, within the filters."""
        from tantivy import Occur, Query

        schema = self._schema_or_load()
        unique = list(dict.fromkeys(query_terms))
        if not unique or n <= 0:
            return []
        q = Query.boolean_query([(Occur.Should, Query.term_query(schema, "terms", t)) for t in unique])
        f = self.filter_query(filters)
        if f is not None:
            q = Query.boolean_query([(Occur.Must, Query.const_score_query(f, 0.0)), (Occur.Must, q)])
        s = self.searcher
        return [(s.doc(addr)["paper_id"][0], float(score)) for score, addr in s.search(q, n, count=False).hits]

    def name_freq(self, key: str) -> tuple[int, int, int]:
        """How many papers own the name with this key (rag/names.py `key`: a title head, a whole title, a name after
        "called" or "we introduce"), how many introduce it (also in brackets), and how many mention it."""
        s = self.searcher
        return int(s.doc_freq("heads", key)), int(s.doc_freq("names", key)), int(s.doc_freq("mentions", key))

    def named(self, keys: Sequence[str], filters: Filters, *, field: str = "names", limit: int = 20) -> list[str]:
        """Ids of the papers (within the filters) that introduce (or, with field="mentions", mention) any of these
        names."""
        from tantivy import Occur, Query

        if not keys:
            return []
        schema = self._schema_or_load()
        q = Query.term_set_query(schema, field, list(dict.fromkeys(keys)))
        f = self.filter_query(filters)
        if f is not None:
            q = Query.boolean_query([(Occur.Must, q), (Occur.Must, f)])
        s = self.searcher
        return [s.doc(addr)["paper_id"][0] for _, addr in s.search(q, limit, count=False).hits]

    def matching_count(self, filters: Filters) -> int:
        """How many papers are within the filters (no documents read)."""
        from tantivy import Query

        f = self.filter_query(filters) or Query.all_query()
        return int(self.searcher.search(f, 1, count=True).count or 0)

    def matching_ids(self, filters: Filters, limit: int) -> tuple[list[str], int]:
        """Up to `limit` ids of papers within the filters, and how many there are in all."""
        from tantivy import Query

        f = self.filter_query(filters) or Query.all_query()
        s = self.searcher
        res = s.search(f, max(1, limit), count=True)
        return [s.doc(addr)["paper_id"][0] for _, addr in res.hits], int(res.count or 0)

    def stored(self, ids: Sequence[str]) -> dict[str, dict[str, list[Any]]]:
        """Stored fields of these papers (paper_id -> field -> values)."""
        from tantivy import Query

        if not ids:
            return {}
        s = self.searcher
        q = Query.term_set_query(self._schema_or_load(), "paper_id", list(ids))
        out = {}
        for _, addr in s.search(q, len(ids), count=False).hits:
            d = s.doc(addr).to_dict()
            out[d["paper_id"][0]] = d
        return out

    def term_sets(self, ids: Sequence[str]) -> dict[str, frozenset[str]]:
        return {pid: frozenset(d.get("terms", [""])[0].split()) for pid, d in self.stored(ids).items()}

    def hashes(self, ids: Sequence[str]) -> dict[str, str]:
        return {pid: d.get("content_hash", [""])[0] for pid, d in self.stored(ids).items()}

    def doc_freq(self, term: str) -> int:
        return int(self.searcher.doc_freq("terms", term))

    def idf(self, query_terms: Iterable[str]) -> TermIDF:
        """BM25's inverse document frequency of each term (a term no paper contains gets the largest value)."""
        s = self.searcher
        n = max(int(s.num_docs), 1)
        out, unseen = {}, []
        for t in set(query_terms):
            df = int(s.doc_freq("terms", t))
            out[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
            if not df:
                unseen.append(t)
        return TermIDF(out, unseen)

    def unseen_idf(self) -> float:
        n = max(int(self.searcher.num_docs), 1)
        return math.log(1 + (n + 0.5) / 0.5)

    def aggregate(self, filters: Filters | None = None) -> dict[str, Any]:
        """Counts by year and by source file, and the date range, of the papers within the filters."""
        from tantivy import FieldType, Occur, Query

        f = (self.filter_query(filters) if filters else None) or Query.all_query()
        s = self.searcher
        res = s.aggregate(f, {
            "years": {"terms": {"field": "year", "size": 500}},
            "sources": {"terms": {"field": "source", "size": 100}},
        })
        dated = Query.boolean_query([
            (Occur.Must, f), (Occur.Must, Query.range_query(self._schema_or_load(), "date", FieldType.Integer, 1))
        ])
        span = s.aggregate(dated, {"first": {"min": {"field": "date"}}, "last": {"max": {"field": "date"}}})
        return {
            "years": {int(b["key"]): int(b["doc_count"]) for b in res["years"]["buckets"]},
            "sources": {str(b["key"]): int(b["doc_count"]) for b in res["sources"]["buckets"]},
            "first": span["first"].get("value"),
            "last": span["last"].get("value"),
        }

    def browse(self, text: str, filters: Filters, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Papers matching `text` (BM25, or newest first when empty) within the filters: stored fields, total."""
        from tantivy import Occur, Order, Query

        schema = self._schema_or_load()
        f = self.filter_query(filters)
        q_terms = list(dict.fromkeys(analyze(text))) if text.strip() else []
        s = self.searcher
        if q_terms:
            # Every word must be there: a search box narrowing the list ("3 authors" is not "any paper with 3").
            q = Query.boolean_query([(Occur.Must, Query.term_query(schema, "terms", t)) for t in q_terms])
            if f is not None:
                q = Query.boolean_query([(Occur.Must, Query.const_score_query(f, 0.0)), (Occur.Must, q)])
            res = s.search(q, limit, count=True, offset=offset)
        else:
            res = s.search(f or Query.all_query(), limit, count=True, offset=offset, order_by_field="date",
                           order=Order.Desc)
        return [s.doc(addr).to_dict() for _, addr in res.hits], int(res.count or 0)
