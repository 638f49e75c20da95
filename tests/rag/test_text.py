"""clean_text on the LaTeX and Markdown left in abstracts by arXiv, BibTeX exports and Daily Papers."""

from __future__ import annotations

import pytest

from rag.text import clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (r"improves the accuracy by 2.7\% on ImageNet", "improves the accuracy by 2.7% on ImageNet"),
        (r"a divide-and-conquer strategy, {\it i.e.}, dividing", "a divide-and-conquer strategy, i.e., dividing"),
        (r"{\bf Transformer} and {\em attention}", "Transformer and attention"),
        ("a phenomenon termed ``scaling law crossover,'' where", 'a phenomenon termed "scaling law crossover," where'),
        ("the *Transformer* architecture", "the Transformer architecture"),
        ("the **Transformer** architecture", "the Transformer architecture"),
        ("**Bold** and *italic*, but 2*3*4 and a * b stay", "Bold and italic, but 2*3*4 and a * b stay"),
        ("{BERT}: Pre-training of\n  Deep Transformers", "BERT: Pre-training of Deep Transformers"),
        (r"\textbf{BERT} \& \emph{GPT}", "BERT & GPT"),
        ("152 layers---8x deeper, 2020--2025", "152 layers\u20148x deeper, 2020\u20132025"),
        ("Analytics*", "Analytics*"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_text_nested_braces():
    assert clean_text(r"{\it Attention for {BERT}}") == "Attention for BERT"


def test_clean_text_keeps_urls():
    assert clean_text("see https://github.com/foo--bar/baz") == "see https://github.com/foo--bar/baz"
