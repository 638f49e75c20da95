"""The source readers on small real-looking files, the bundled Daily Papers listing, and broken inputs."""

from __future__ import annotations

import json
import resource
from pathlib import Path

import pytest

from ingest.readers import FORMATS, Rejected, detect_format, read_records
from ingest.readers.base import find_links, iter_lines, parse_date, read_text, split_authors
from ingest.readers.hf_daily import read_hf_daily
from rag.errors import SourceError, UsageError
from rag.types import Paper

FIXTURES = Path(__file__).parents[1] / "fixtures"
DAILY = Path(__file__).parents[2] / "data" / "daily_papers_2025-11-10.txt"


def papers(path: Path | str, fmt: str | None = None, **kw) -> list[Paper]:
    records = list(read_records(path, fmt, **kw))
    assert all(isinstance(r, Paper) for r in records), [r for r in records if isinstance(r, Rejected)]
    return records


def by_title(records: list[Paper]) -> dict[str, Paper]:
    return {p.title: p for p in records}


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- Hugging Face Daily Papers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def daily() -> list[Paper]:
    return papers(DAILY)


def test_daily_listing_reads_every_paper_once(daily):
    # 83 papers with a metadata block (81 with "N authors", 2 with an organisation line) and 4 without one.
    assert len(daily) == 87
    assert len({p.title for p in daily}) == 87
    assert daily[0].title == (
        "InternLM-XComposer2-4KHD: A Pioneering Large Vision-Language Model Handling Resolutions from 336 Pixels "
        "to 4K HD"
    )
    assert daily[-1].title == (
        "LLM4DistReconfig: A Fine-tuned Large Language Model for Power Distribution Network Reconfiguration"
    )
    assert (daily[0].line, daily[-1].line) == (13, 685)
    assert all(p.source == str(DAILY) and p.source_format == "hf-daily" for p in daily)
    # No abstract swallowed a title and no title is an abstract.
    assert max(len(p.title) for p in daily) < 160
    assert min(len(p.abstract) for p in daily) > 1000


@pytest.mark.parametrize(
    ("title", "n_authors", "date", "year"),
    [
        (
            "InternLM-XComposer2-4KHD: A Pioneering Large Vision-Language Model Handling Resolutions from 336 Pixels "
            "to 4K HD",
            24, "2024-04-09", 2024,
        ),  # "Apr 9, 2024 1": explicit year, 1 upvote
        ("RelP: Faithful and Efficient Circuit Discovery via Relevance Patching", 4, "2025-08-28", 2025),  # "Aug 28"
        ("EntroPE: Entropy-Guided Dynamic Patch Encoder for Time Series Forecasting", None, None, None),
        (
            "PAROAttention: Pattern-Aware ReOrdering for Efficient Sparse and Quantized Attention in Visual "
            "Generation Models",
            11, "2025-06-19", 2025,
        ),  # "Jun 19 2": no year, 2 upvotes
        ("A Model Zoo on Phase Transitions in Neural Networks", 6, "2025-04-25", 2025),  # "Apr 25 2"
        ("Configurable Foundation Models: Building LLMs from a Modular Perspective", None, "2024-09-04", 2024),
        (
            "MCTED: A Machine-Learning-Ready Dataset for Digital Elevation Model Generation From Mars Imagery",
            None, "2025-09-09", 2025,
        ),  # organisation line "ESA-Datalabs ESA Datalabs" instead of an author count
        ("Deep Model Assembling", 6, "2022-12-08", 2022),
        ("Hopfield Networks is All You Need", 16, "2020-07-16", 2020),
        ("Rethinking the shape convention of an MLP", None, None, None),
        (
            "LLM4DistReconfig: A Fine-tuned Large Language Model for Power Distribution Network Reconfiguration",
            4, "2025-01-24", 2025,
        ),
    ],
)  # fmt: skip
def test_daily_listing_fields(daily, title, n_authors, date, year):
    paper = by_title(daily)[title]
    assert (paper.n_authors, paper.date, paper.year) == (n_authors, date, year)


def test_daily_listing_papers_without_metadata_keep_the_next_title(daily):
    titles = [p.title for p in daily]
    for no_meta, following in [
        ("EntroPE: Entropy-Guided Dynamic Patch Encoder for Time Series Forecasting",
         "D-Former: A U-shaped Dilated Transformer for 3D Medical Image Segmentation"),
        ("Robust Layerwise Scaling Rules by Proper Weight Decay Tuning",
         "Free Discontinuity Regression: With an Application to the Economic Effects of Internet Shutdowns"),
        ("Rethinking the shape convention of an MLP",
         "Dale meets Langevin: A Multiplicative Denoising Diffusion Model"),
        ("Dale meets Langevin: A Multiplicative Denoising Diffusion Model",
         "A Single Merging Suffices: Recovering Server-based Learning Performance in Decentralized Learning"),
    ]:  # fmt: skip
        assert titles[titles.index(no_meta) + 1] == following
    entrope = by_title(daily)["EntroPE: Entropy-Guided Dynamic Patch Encoder for Time Series Forecasting"]
    assert entrope.abstract.endswith("Code is available at: https://github.com/Sachithx/EntroPE.")
    assert entrope.url == "https://github.com/Sachithx/EntroPE"


def test_daily_listing_text_and_links(daily):
    papers_ = by_title(daily)
    modular = "Modular versus Hierarchical: A Structural Signature of Topic Popularity in Mathematical Research"
    cities = "From Cities to Series: Complex Networks and Deep Learning for Improved Spatial and Temporal Analytics*"
    first = daily[0]
    assert first.links == ["https://github.com/InternLM/InternLM-XComposer"]
    assert first.url == "https://github.com/InternLM/InternLM-XComposer"
    assert papers_[modular].links == ["https://mathresearchcompass.com"]  # from "(https://mathresearchcompass.com),"
    assert papers_["RelP: Faithful and Efficient Circuit Discovery via Relevance Patching"].url is None
    wisdom = papers_["Rethinking Conventional Wisdom in Machine Learning: From Generalization to Scaling"]
    assert 'termed "scaling law crossover," where' in wisdom.abstract
    assert papers_["AutoKnots: Adaptive Knot Allocation for Spline Interpolation"].abstract.endswith("(abridged)")
    # The title really ends with an asterisk on the page.
    assert cities in papers_


def test_daily_listing_year_can_be_given(daily):
    given = by_title(papers(DAILY, listing_year=2024))
    assert given["RelP: Faithful and Efficient Circuit Discovery via Relevance Patching"].date == "2024-08-28"
    assert given["Deep Model Assembling"].date == "2022-12-08"  # explicit years are kept


def test_daily_excerpt():
    records = papers(FIXTURES / "daily_small.txt")
    assert [(p.title, p.line, p.n_authors, p.date) for p in records] == [
        ("RelP: Faithful and Efficient Circuit Discovery via Relevance Patching", 13, 4, "2025-08-28"),
        ("EntroPE: Entropy-Guided Dynamic Patch Encoder for Time Series Forecasting", 21, None, None),
        ("Configurable Foundation Models: Building LLMs from a Modular Perspective", 25, None, "2024-09-04"),
    ]
    assert records[0].abstract.startswith("Activation patching is a standard method in mechanistic interpretability")


def test_daily_abstract_over_several_paragraphs(tmp_path):
    path = write(
        tmp_path,
        "listing.txt",
        "A First Paper Title\n\nFirst paragraph of the abstract. It goes on.\n\n"
        "Code: https://github.com/example/first\n\n  • 3 authors\n·\nMar 3, 2024\n\n"
        "A Second Paper Without Metadata\n\nIts abstract, wrapped\nover two lines.\n\n"
        "A Third Paper\n\nThird abstract.\n\n  • 1 authors\n·\nJan 2, 2023\n",
    )
    records = papers(path)
    assert [(p.title, p.abstract, p.n_authors, p.date, p.line) for p in records] == [
        ("A First Paper Title", "First paragraph of the abstract. It goes on. Code: https://github.com/example/first",
         3, "2024-03-03", 1),
        ("A Second Paper Without Metadata", "Its abstract, wrapped over two lines.", None, None, 11),
        ("A Third Paper", "Third abstract.", 1, "2023-01-02", 16),
    ]  # fmt: skip
    assert records[0].links == ["https://github.com/example/first"]


def test_daily_metadata_without_title_is_rejected(tmp_path):
    path = write(tmp_path, "listing.txt", "Daily Papers\n\n  • 3 authors\n·\nMar 3, 2024\n\nA Title\n\nAn abstract.\n")
    records = list(read_hf_daily(path))
    assert isinstance(records[0], Rejected) and records[0].line == 3
    assert records[1].title == "A Title" and records[1].date is None  # no explicit year anywhere: none inferred


# --- arXiv API (Atom) ----------------------------------------------------------------------------------------


def test_arxiv_atom():
    records = papers(FIXTURES / "arxiv_query.xml")
    assert [(p.arxiv_id, p.arxiv_version, p.line) for p in records] == [
        ("2508.21258", "v1", 10), ("1706.03762", "v7", 56), ("2102.06701", "v2", 108), ("2008.02217", "v3", 160),
    ]  # fmt: skip
    relp, attention, scaling, hopfield = records
    assert relp.title == "RelP: Faithful and Efficient Circuit Discovery via Relevance Patching"
    assert relp.authors == ["Farnoush Rezaei Jafari", "Oliver Eberle", "Ashkan Khakzar", "Neel Nanda"]
    assert (relp.date, relp.year, relp.updated) == ("2025-08-28", 2025, "2025-08-28")
    assert relp.categories == ["cs.LG", "cs.AI"]
    assert relp.url == "http://arxiv.org/abs/2508.21258v1"
    assert relp.abstract.startswith("Activation patching is a standard method in mechanistic interpretability for ")
    assert relp.abstract.endswith("without the extra computational cost associated with IG.")
    assert "\n" not in relp.abstract and "  " not in relp.abstract
    assert (relp.links, relp.doi, relp.source_format, relp.paper_id) == ([], None, "arxiv-atom", "arxiv:2508.21258")
    assert attention.title == "Attention Is All You Need"
    assert (attention.date, attention.updated) == ("2017-06-12", "2023-08-02")
    assert len(attention.authors) == 8 and attention.authors[5] == "Aidan N. Gomez"
    assert (scaling.doi, scaling.categories) == ("10.1073/pnas.2311878121", ["cs.LG", "cond-mat.dis-nn", "stat.ML"])
    assert hopfield.authors[1] == "Bernhard Schäfl" and hopfield.authors[8] == "Milena Pavlović"
    assert hopfield.links == ["https://github.com/ml-jku/hopfield-layers"]
    assert hopfield.url == "http://arxiv.org/abs/2008.02217v3"  # the abs page, not the code link


def test_arxiv_atom_malformed():
    path = FIXTURES / "malformed.xml"
    with pytest.raises(SourceError) as err:
        list(read_records(path))
    assert err.value.line == 8
    assert str(err.value) == f"{path}:8: malformed XML: mismatched tag at line 8, column 4"


def test_arxiv_atom_api_error(tmp_path):
    path = write(
        tmp_path,
        "error.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "  <entry>\n    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1706.0376</id>\n"
        "    <title>Error</title>\n    <summary>incorrect id format for 1706.0376</summary>\n  </entry>\n</feed>\n",
    )
    with pytest.raises(SourceError, match=r"arXiv API error response.*incorrect id format for 1706\.0376") as err:
        list(read_records(path))
    assert err.value.line == 3


def test_arxiv_atom_other_xml(tmp_path):
    path = write(tmp_path, "feed.xml", '<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>\n')
    with pytest.raises(SourceError, match=r"not an arXiv Atom feed \(the root element is <rss>\)"):
        list(read_records(path))


# --- arXiv metadata snapshot (Kaggle) ------------------------------------------------------------------------


def test_arxiv_snapshot():
    diphoton, attention, bert, maldacena = papers(FIXTURES / "arxiv_snapshot.jsonl")
    assert diphoton.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert diphoton.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]  # authors_parsed
    assert (diphoton.date, diphoton.year, diphoton.updated) == ("2007-04-02", 2007, "2008-11-13")
    assert (diphoton.arxiv_id, diphoton.arxiv_version) == ("0704.0001", "v2")
    assert diphoton.doi == "10.1103/physrevd.76.013009"
    assert (diphoton.url, diphoton.categories, diphoton.line) == ("https://arxiv.org/abs/0704.0001", ["hep-ph"], 1)
    assert diphoton.abstract.startswith("A fully differential calculation in perturbative quantum chromodynamics")
    assert (attention.arxiv_version, attention.date, attention.categories) == ("v7", "2017-06-12", ["cs.CL", "cs.LG"])
    assert attention.authors[0] == "Ashish Vaswani"
    # No authors_parsed: the authors string is split on "," and " and ".
    assert bert.authors == ["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova"]
    assert bert.title == "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    assert (maldacena.arxiv_id, maldacena.arxiv_version, maldacena.date) == ("hep-th/9711200", "v3", "1997-11-27")
    assert maldacena.url == "https://arxiv.org/abs/hep-th/9711200"


def test_arxiv_snapshot_bad_lines_are_reported_and_reading_goes_on():
    path = FIXTURES / "snapshot_bad_line.jsonl"
    records = list(read_records(path))
    assert [type(r).__name__ for r in records] == ["Paper", "Rejected", "Paper", "Paper", "Paper"]
    bad = records[1]
    assert (bad.path, bad.line) == (str(path), 2)
    assert bad.reason.startswith("malformed JSON: Unterminated string")
    assert str(bad).startswith(f"{path}:2: malformed JSON")
    # Missing abstract, missing title and a repeated id are yielded as they are: the pipeline judges them.
    assert (records[2].line, records[2].abstract, records[2].title[:9]) == (3, "", "The Large")
    assert (records[3].line, records[3].title, records[3].arxiv_id) == (4, "", "1810.04805")
    assert (records[4].line, records[4].arxiv_id) == (5, records[0].arxiv_id)


def test_snapshot_streams_a_huge_file(tmp_path):
    """A 1 GB file (sparse: 100 real lines, then NUL bytes) gives its first record without being loaded."""
    path = tmp_path / "arxiv-metadata-oai-snapshot.json"
    line = (FIXTURES / "arxiv_snapshot.jsonl").read_text(encoding="utf-8").splitlines()[0]
    with path.open("w", encoding="utf-8") as f:
        f.write((line + "\n") * 100)
        f.truncate(1 << 30)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    records = read_records(path, "arxiv-snapshot")
    assert next(records).arxiv_id == "0704.0001"
    with pytest.raises(SourceError, match=r":101: binary file, not a paper listing$"):
        list(records)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100 * 1024  # KiB: under 100 MB


# --- JSON Lines and CSV ---------------------------------------------------------------------------------------


def test_jsonl():
    bert, resnet, relp, entrope = papers(FIXTURES / "papers.jsonl")
    assert (bert.arxiv_id, bert.arxiv_version, bert.date, bert.year) == ("1810.04805", "v2", "2018-10-11", 2018)
    assert bert.authors == ["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova"]
    assert (bert.url, bert.categories, bert.source_format) == ("https://arxiv.org/abs/1810.04805", ["cs.CL"], "jsonl")
    assert (resnet.doi, resnet.arxiv_id, resnet.paper_id) == ("10.1109/cvpr.2016.90", None, "doi:10.1109/cvpr.2016.90")
    assert resnet.authors == ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"]
    assert (resnet.date, resnet.year, resnet.categories) == (None, 2016, ["computer vision", "residual networks"])
    assert "152 layers\u20148x deeper" in resnet.abstract  # LaTeX '---'
    # Capitalised and aliased keys: Title, Summary, Authors, Published, Link.
    assert relp.title == "RelP: Faithful and Efficient Circuit Discovery via Relevance Patching"
    assert relp.abstract.startswith("Activation patching is a standard method")
    assert relp.authors == ["Farnoush Rezaei Jafari", "Oliver Eberle", "Ashkan Khakzar", "Neel Nanda"]
    assert (relp.date, relp.arxiv_id, relp.line) == ("2025-08-28", "2508.21258", 3)
    # An id that is neither arXiv nor DOI is ignored for identity.
    assert (entrope.arxiv_id, entrope.doi, entrope.paper_id[:6]) == (None, None, "title:")
    assert (entrope.date, entrope.url) == ("2025-09-01", "https://github.com/Sachithx/EntroPE")


def test_jsonl_malformed_line_is_rejected(tmp_path):
    path = write(
        tmp_path,
        "papers.jsonl",
        '{"title": "A", "abstract": "First."}\n\n{"title": "B", "abstract": \n["not", "an object"]\n'
        '{"title": "C", "abstract": "Third."}\n',
    )
    records = list(read_records(path))
    assert [(type(r).__name__, r.line) for r in records] == [
        ("Paper", 1), ("Rejected", 3), ("Rejected", 4), ("Paper", 5),
    ]  # fmt: skip
    assert records[1].reason.startswith("malformed JSON")
    assert records[2].reason == "malformed record: expected a JSON object, found list"


def test_json_array(tmp_path):
    items = [{"title": "A", "abstract": "First.", "year": "2020"}, 7, {"title": "B", "summary": "Second."}]
    path = write(tmp_path, "papers.json", json.dumps(items, indent=2))
    records = list(read_records(path))
    assert detect_format(path) == "jsonl"
    assert [(type(r).__name__, r.line) for r in records] == [("Paper", 2), ("Rejected", 7), ("Paper", 8)]
    assert (records[0].year, records[2].abstract) == (2020, "Second.")


def test_json_array_malformed(tmp_path):
    path = write(tmp_path, "papers.json", '[\n  {"title": "A", "abstract": "x"},\n  {"title": "B"\n]\n')
    with pytest.raises(SourceError, match=r"papers.json:4: malformed JSON"):
        list(read_records(path))


def test_csv():
    attention, resnet, pruning, hopfield = papers(FIXTURES / "papers.csv")
    assert [p.line for p in (attention, resnet, pruning, hopfield)] == [2, 3, 4, 9]  # pruning spans lines 4-8
    assert (attention.arxiv_id, attention.year, attention.date) == ("1706.03762", 2017, None)
    assert (attention.url, attention.categories) == ("https://arxiv.org/abs/1706.03762", ["cs.CL", "cs.LG"])
    assert len(attention.authors) == 8 and attention.authors[-1] == "Illia Polosukhin"
    assert (resnet.doi, resnet.url) == ("10.1109/cvpr.2016.90", "https://doi.org/10.1109/cvpr.2016.90")
    assert pruning.title == "Rethinking the Value of Network Pruning"
    assert pruning.authors == ["Zhuang Liu", "Mingjie Sun", "Tinghui Zhou", "Gao Huang", "Trevor Darrell"]
    assert pruning.categories == ["cs.LG", "cs.CV"]
    assert 'learned "important" weights of the large model' in pruning.abstract and "\n" not in pruning.abstract
    assert hopfield.authors[-1] == "Sepp Hochreiter" and len(hopfield.authors) == 16
    assert hopfield.url == "https://github.com/ml-jku/hopfield-layers"  # no URL column value: first link


def test_csv_header_is_case_insensitive_and_bom_tolerant(tmp_path):
    path = write(tmp_path, "export.csv", "\ufeffTITLE,Abstract Note,Publication Year\nA,An abstract.,2021\n")
    [paper] = papers(path)
    assert (paper.title, paper.abstract, paper.year, paper.line) == ("A", "An abstract.", 2021, 2)


def test_csv_row_with_extra_fields_is_rejected(tmp_path):
    path = write(tmp_path, "papers.csv", "title,abstract\nA,One, two\n\nB,Fine.\n")
    records = list(read_records(path))
    assert [(type(r).__name__, r.line) for r in records] == [("Rejected", 2), ("Paper", 4)]
    assert records[0].reason.startswith("3 fields but 2 columns")


def test_csv_missing_abstract_column():
    path = FIXTURES / "papers_missing_abstract_col.csv"
    with pytest.raises(SourceError) as err:
        list(read_records(path))
    assert str(err.value).startswith(f"{path}:1: no abstract column in the header row (found: title, authors, year)")


def test_csv_latin1_is_refused_whole_and_names_the_line():
    path = FIXTURES / "latin1.csv"
    records = read_records(path)
    with pytest.raises(SourceError) as err:
        next(records)  # line 2 is plain ASCII, but no row is used from a file in the wrong encoding
    assert err.value.line == 3
    assert str(err.value).startswith(f"{path}:3: not UTF-8 text (invalid byte 0xe4 at line 3, byte offset ")
    assert str(err.value).endswith("re-save the file as UTF-8")


# --- BibTeX --------------------------------------------------------------------------------------------------


def test_bibtex():
    records = papers(FIXTURES / "papers.bib")
    assert [p.line for p in records] == [4, 23, 39, 50, 65]
    attention, bert, wisdom, assembling, deep = records
    assert attention.title == "Attention Is All You Need"
    assert "the Transformer, based solely on attention" in attention.abstract  # {\it Transformer}
    assert attention.authors[6] == "Łukasz Kaiser"  # Kaiser, {\L}ukasz
    assert (attention.arxiv_id, attention.date, attention.year) == ("1706.03762", "2017-12-01", 2017)
    assert (attention.categories, attention.url) == (["cs.CL"], "https://arxiv.org/abs/1706.03762")
    assert bert.title == "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    assert "GLUE score to 80.5% (7.7% point absolute improvement)" in bert.abstract  # \%
    assert (bert.doi, bert.date) == ("10.18653/v1/n19-1423", "2019-06-01")
    assert bert.url == "https://aclanthology.org/N19-1423"
    assert bert.authors == ["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova"]
    assert 'a new phenomenon termed "scaling law crossover," where' in wisdom.abstract  # ``x''
    assert (wisdom.arxiv_id, wisdom.authors, wisdom.date, wisdom.year) == ("2409.15156", ["Lechao Xiao"], None, 2024)
    assert "divide-and-conquer strategy, i.e., dividing a large model" in assembling.abstract  # {\it i.e.}
    assert (assembling.arxiv_id, assembling.url) == ("2212.04129", "https://arxiv.org/abs/2212.04129")
    assert assembling.links == ["https://github.com/LeapLabTHU/Model-Assembling"]
    assert assembling.categories == ["model assembling", "divide-and-conquer"]
    # No abstract: still yielded, so the pipeline can count it as skipped.
    assert (deep.title, deep.abstract, deep.doi) == ("Deep learning", "", "10.1038/nature14539")
    assert deep.authors == ["Yann LeCun", "Yoshua Bengio", "Geoffrey Hinton"]


def test_bibtex_entry_that_cannot_be_parsed_is_rejected(tmp_path):
    path = write(
        tmp_path,
        "refs.bib",
        "@article{good1,\n  title = {One},\n  abstract = {First.}\n}\n\n"
        "@article{broken,\n  title = {Two\n  abstract = {Second.}\n}\n\n"
        "@misc{good2, title = {Three}, abstract = {Third.}}\n",
    )
    records = list(read_records(path))
    assert [(type(r).__name__, r.line) for r in records] == [("Paper", 1), ("Rejected", 6), ("Paper", 11)]
    assert "'broken'" in records[1].reason


def test_bibtex_undefined_string_macro(tmp_path):
    path = write(tmp_path, "refs.bib", "@inproceedings{a,\n  title = {One},\n  booktitle = neurips,\n}\n")
    with pytest.raises(SourceError) as err:
        list(read_records(path))
    assert str(err.value) == (
        f"{path}:3: undefined @string macro 'neurips'; "
        'define it with @string{neurips = "..."} or write the value in braces'
    )


def test_bibtex_without_entries(tmp_path):
    path = write(tmp_path, "refs.bib", "Write to me at someone@example.org {soon}.\n")
    with pytest.raises(SourceError, match=r"refs.bib: no BibTeX entries could be parsed"):
        list(read_records(path))


# --- shared helpers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("Code is available at https://github.com/a/b.", ["https://github.com/a/b"]),
        ("(see https://x.org/page), and https://x.org/page; again", ["https://x.org/page"]),
        ("https://en.wikipedia.org/wiki/Transformer_(deep_learning) is kept",
         ["https://en.wikipedia.org/wiki/Transformer_(deep_learning)"]),
        ("two: http://a.io/x, https://b.io/y?q=1&r=2!", ["http://a.io/x", "https://b.io/y?q=1&r=2"]),
        ("no links here, nor in https:// alone", []),
    ],
)  # fmt: skip
def test_find_links(text, links):
    assert find_links(text) == links


@pytest.mark.parametrize(
    ("raw", "default_year", "expected"),
    [
        ("2017-06-12T17:57:34Z", None, ("2017-06-12", 2017)),
        ("Mon, 2 Apr 2007 19:18:42 GMT", None, ("2007-04-02", 2007)),
        ("Apr 9, 2024", None, ("2024-04-09", 2024)),
        ("9 April 2024", None, ("2024-04-09", 2024)),
        ("2024/04/09", None, ("2024-04-09", 2024)),
        ("June 2017", None, ("2017-06-01", 2017)),
        ("2025-09", None, ("2025-09-01", 2025)),
        ("2016", None, (None, 2016)),
        (2016, None, (None, 2016)),
        ("Aug 28", 2025, ("2025-08-28", 2025)),
        ("Aug 28", None, (None, None)),
        ("Feb 30, 2024", None, (None, 2024)),
        ("", None, (None, None)),
        ("soon", None, (None, None)),
    ],
)
def test_parse_date(raw, default_year, expected):
    assert parse_date(raw, default_year=default_year) == expected


def test_split_authors():
    assert split_authors("A. One, B. Two and C. Three") == ["A. One", "B. Two", "C. Three"]
    assert split_authors("One, A.; Two, B.") == ["One, A.", "Two, B."]
    assert split_authors(["A. One", {"name": "B. Two"}, ""]) == ["A. One", "B. Two"]
    assert split_authors(None) == []


def test_read_text_rejects_empty_binary_and_non_utf8_files(tmp_path):
    with pytest.raises(SourceError, match=r"empty.txt: file is empty$"):
        read_text(FIXTURES / "empty.txt")
    with pytest.raises(SourceError, match=r"blank.txt: file is empty$"):
        read_text(write(tmp_path, "blank.txt", "\n  \n"))
    binary = write(tmp_path, "paper.bin", b"%PDF-1.5\n\x00\x01\x02\xff")
    with pytest.raises(SourceError, match=r"paper.bin:2: binary file, not a paper listing$"):
        read_text(binary)
    with pytest.raises(SourceError, match=r"paper.bin: binary file, not a paper listing$"):
        list(iter_lines(binary))
    latin = write(tmp_path, "latin.txt", "ok\nstill ok\ncaf\xe9\n".encode("latin-1"))
    message = r"latin.txt:3: not UTF-8 text \(invalid byte 0xe9 at line 3, byte offset 15\); re-save the file as UTF-8"
    with pytest.raises(SourceError, match=message):
        read_text(latin)
    with pytest.raises(SourceError, match=message):
        list(iter_lines(latin))
    with pytest.raises(SourceError, match=r"missing.txt: file not found$"):
        read_text(tmp_path / "missing.txt")


def test_iter_lines(tmp_path):
    path = write(tmp_path, "lines.txt", "\ufefffirst\r\nsecond\n\nfourth")
    assert list(iter_lines(path)) == [(1, "first"), (2, "second"), (3, ""), (4, "fourth")]
    with pytest.raises(SourceError, match="file is empty"):
        list(iter_lines(FIXTURES / "empty.txt"))


# --- format detection and dispatch ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("daily_small.txt", "hf-daily"),
        ("arxiv_query.xml", "arxiv-atom"),
        ("malformed.xml", "arxiv-atom"),
        ("arxiv_snapshot.jsonl", "arxiv-snapshot"),
        ("snapshot_bad_line.jsonl", "arxiv-snapshot"),
        ("papers.jsonl", "jsonl"),
        ("papers.csv", "csv"),
        ("papers.bib", "bibtex"),
    ],
)
def test_detect_format_of_fixtures(name, fmt):
    assert detect_format(FIXTURES / name) == fmt


@pytest.mark.parametrize(
    ("fixture", "fmt"),
    [
        ("papers.bib", "bibtex"),
        ("arxiv_query.xml", "arxiv-atom"),
        ("arxiv_snapshot.jsonl", "arxiv-snapshot"),
        ("papers.jsonl", "jsonl"),
        ("papers.csv", "csv"),
        ("daily_small.txt", "hf-daily"),
    ],
)
def test_detect_format_by_content(tmp_path, fixture, fmt):
    copy = write(tmp_path, "export.txt", (FIXTURES / fixture).read_bytes())
    assert detect_format(copy) == fmt
    assert len(list(read_records(copy))) >= 3


def test_detect_format_of_other_files(tmp_path):
    assert detect_format(DAILY) == "hf-daily"
    prose = write(tmp_path, "notes.md", "# Reading list\n\nSome thoughts about transformers.\n")
    with pytest.raises(SourceError) as err:
        detect_format(prose)
    assert str(err.value) == (
        f"{prose}: cannot tell which format this file is in; supported formats: "
        "hf-daily, arxiv-atom, arxiv-snapshot, jsonl, csv, bibtex. Name one with --format"
    )
    with pytest.raises(SourceError, match="binary file"):
        detect_format(write(tmp_path, "data.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    with pytest.raises(SourceError, match="file is empty"):
        detect_format(FIXTURES / "empty.txt")


def test_read_records_with_explicit_or_unknown_format():
    assert FORMATS == ("hf-daily", "arxiv-atom", "arxiv-snapshot", "jsonl", "csv", "bibtex")
    assert len(list(read_records(FIXTURES / "papers.jsonl", "jsonl"))) == 4
    with pytest.raises(UsageError, match=r"unknown format 'pdf'; choose one of: hf-daily, arxiv-atom, .*, bibtex$"):
        read_records(FIXTURES / "papers.jsonl", "pdf")
    [relp, *_] = read_records(FIXTURES / "daily_small.txt", "hf-daily", listing_year=2024)
    assert relp.date == "2024-08-28"
