"""The shipped gold set: its composition, its agreement with the bundled corpus, and the loader's errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from conftest import BUNDLED
from evals.dataset import DEFAULT_DATASET, GoldItem, load_dataset
from rag.errors import SourceError
from rag.question.phrases import date_phrase as parse_date_phrase


@pytest.fixture(scope="module")
def gold() -> list[GoldItem]:
    return load_dataset()


@pytest.fixture(scope="module")
def corpus() -> dict:
    """paper_id -> Paper for the bundled listing, read with the ingest reader (no model, no store)."""
    from ingest.readers import read_records
    from rag.types import Paper

    papers = {p.paper_id: p for p in read_records(BUNDLED) if isinstance(p, Paper)}
    assert len(papers) == 87
    return papers


def all_turns(gold: list[GoldItem]):
    """(item, turn) for every question asked: each turn of a follow-up, else the item itself."""
    return [(item, turn) for item in gold for turn in item.as_turns()]


# ----- the shipped gold set -------------------------------------------------------------------------------------
def test_composition(gold):
    counts = Counter(item.type for item in gold)
    assert counts["single"] >= 50, counts
    assert counts["multi"] >= 10, counts
    assert counts["unanswerable"] >= 10, counts
    assert counts["followup"] >= 5, counts
    assert counts["date"] >= 5, counts
    assert len({item.id for item in gold}) == len(gold)


def test_followups_have_two_or_three_turns_starting_with_the_item_question(gold):
    followups = [item for item in gold if item.type == "followup"]
    for item in followups:
        assert 2 <= len(item.turns) <= 3, item.id
        assert item.turns[0].question == item.question, item.id
        assert all(t.gold_paper_ids for t in item.turns), item.id


def test_date_items_have_filters_the_question_actually_states(gold):
    """expected_filters is what the date phrase means; the engine's parser must read the same thing."""
    dated = [item for item in gold if item.type == "date"]
    assert len(dated) >= 5
    for item in dated:
        assert item.expected_filters and set(item.expected_filters) <= {"year_from", "year_to"}, item.id
        parsed, _ = parse_date_phrase(item.question)
        got = {"year_from": parsed.year_from, "year_to": parsed.year_to}
        want = {"year_from": None, "year_to": None, **item.expected_filters}
        assert got == want, f"{item.id}: {item.question!r} parses to {got}, gold says {want}"


def test_multi_items_have_several_gold_papers_and_unanswerable_none(gold):
    for item in gold:
        if item.type == "multi":
            assert len(item.gold_paper_ids) >= 2, item.id
        if item.type == "unanswerable":
            assert item.gold_paper_ids == [] and item.key_facts == [], item.id


def test_every_gold_paper_is_in_the_bundled_corpus_with_its_title(gold, corpus):
    for item, turn in all_turns(gold):
        assert len(turn.gold_titles) == len(turn.gold_paper_ids), item.id
        for pid, title in zip(turn.gold_paper_ids, turn.gold_titles):
            assert pid in corpus, f"{item.id}: {pid} ({title}) is not in {BUNDLED.name}"
            assert corpus[pid].title == title, f"{item.id}: {pid} is titled {corpus[pid].title!r}"


def test_date_gold_papers_fall_inside_the_expected_years(gold, corpus):
    for item in gold:
        if item.type != "date":
            continue
        lo, hi = item.expected_filters.get("year_from"), item.expected_filters.get("year_to")
        for pid in item.gold_paper_ids:
            year = corpus[pid].year
            assert year is not None and (lo is None or year >= lo) and (hi is None or year <= hi), (item.id, pid, year)


def test_every_key_fact_occurs_in_a_gold_abstract(gold, corpus):
    """A fact no gold abstract states can never be found by an answer that quotes them."""
    n_facts = 0
    for item, turn in all_turns(gold):
        abstracts = " ".join(corpus[pid].abstract for pid in turn.gold_paper_ids).lower()
        for alts in turn.key_facts:
            n_facts += 1
            assert any(alt.lower() in abstracts for alt in alts), f"{item.id}: none of {alts} is in its abstracts"
    assert n_facts >= 100


def test_single_questions_do_not_give_away_the_title(gold, corpus):
    """Quoting the title would make retrieval trivial; the questions paraphrase instead."""
    for item in gold:
        if item.type == "single":
            title = corpus[item.gold_paper_ids[0]].title
            assert title.lower() not in item.question.lower(), item.id


# ----- loader errors --------------------------------------------------------------------------------------------
GOOD = {
    "id": "q1",
    "type": "single",
    "question": "What makes hypernetworks hard to train?",
    "gold_paper_ids": ["title:0000000000000000"],
    "key_facts": [["magnitude proportionality"]],
}


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_small_valid_file_loads_skipping_blank_lines(tmp_path):
    unanswerable = {"id": "q2", "type": "unanswerable", "question": "Who won the 2018 World Cup?"}
    items = load_dataset(write_lines(tmp_path / "d.jsonl", json.dumps(GOOD), "", json.dumps(unanswerable)))
    assert [i.id for i in items] == ["q1", "q2"]
    assert items[0].as_turns() == [items[0]]
    assert items[1].gold_paper_ids == []


@pytest.mark.parametrize(
    "second_line, message",
    [
        ('{"id": "q2", "type": "single", ', "malformed JSON"),
        (json.dumps({**GOOD, "id": "q2", "gold_ids": ["x"]}), "gold_ids"),  # unknown key (typo)
        (json.dumps({**GOOD, "id": "q2", "type": "unanswerable"}), "an unanswerable question has no gold papers"),
        (json.dumps(GOOD), "duplicate id q1"),
        (json.dumps({**GOOD, "id": "q2", "type": "followup"}), "needs at least two turns"),
        (json.dumps({**GOOD, "id": "q2", "type": "date"}), "needs expected_filters"),
        (json.dumps({**GOOD, "id": "q2", "key_facts": [[]]}), "at least one alternative"),
        (json.dumps({**GOOD, "id": "q2", "type": "survey"}), "type"),
    ],
)
def test_a_bad_line_is_a_source_error_naming_file_and_line(tmp_path, second_line, message):
    path = write_lines(tmp_path / "gold.jsonl", json.dumps(GOOD), second_line)
    with pytest.raises(SourceError) as err:
        load_dataset(path)
    assert err.value.line == 2
    assert message in str(err.value)
    assert str(err.value).startswith(f"{path}:2: ")


def test_line_numbers_count_blank_lines(tmp_path):
    path = write_lines(tmp_path / "gold.jsonl", json.dumps(GOOD), "", "", "not json")
    with pytest.raises(SourceError, match=r"gold\.jsonl:4: malformed JSON"):
        load_dataset(path)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(SourceError, match="no such dataset file"):
        load_dataset(tmp_path / "nope.jsonl")
    with pytest.raises(SourceError, match="the dataset is empty"):
        load_dataset(write_lines(tmp_path / "empty.jsonl", ""))


def test_default_dataset_is_the_packaged_file():
    assert DEFAULT_DATASET.name == "gold.jsonl" and DEFAULT_DATASET.is_file()


# ----- the researcher set (evals/datasets/researcher.jsonl) -----------------------------------------------------
RESEARCHER = DEFAULT_DATASET.parent / "researcher.jsonl"


def test_researcher_set_covers_every_failure_class_with_about_half_no(corpus):
    items = load_dataset(RESEARCHER)
    counts = Counter(item.type for item in items)
    assert len(items) >= 80
    for kind in ("definition", "mechanism", "number", "attribute", "yes-no", "list", "comparison", "followup",
                 "paraphrase", "near-miss", "false-premise", "unanswerable", "date", "clarify"):
        assert counts[kind] >= 1, kind
    verdicts = Counter(t.verdict for i in items for t in i.as_turns() if t.verdict)
    assert verdicts["no"] >= 0.4 * (verdicts["yes"] + verdicts["no"]) and verdicts["not stated"] >= 2, verdicts
    for item in items:
        for turn in item.as_turns():
            assert set(turn.gold_paper_ids) | set(turn.acceptable_ids) <= set(corpus), item.id
            assert not set(turn.gold_paper_ids) & set(turn.acceptable_ids), item.id
            if item.type in ("list", "comparison"):
                assert turn.exact and len(turn.gold_paper_ids) >= 2, item.id
        assert (item.expect == "not-found") == (item.type == "unanswerable"), item.id
    # both halves hold every common kind, so the held-out half measures the same things as the tune half
    for kind in ("definition", "number", "yes-no", "list", "comparison", "followup", "near-miss", "false-premise"):
        assert {i.split for i in items if i.type == kind} == {"tune", "held-out"}, kind


def test_verdicts_and_a_question_template_are_applied_on_load(tmp_path):
    questions = write_lines(tmp_path / "q.jsonl", json.dumps({**GOOD, "question": "Aspirin lowers fever."}))
    labels = write_lines(tmp_path / "v.jsonl", json.dumps({"id": GOOD["id"], "verdict": "No"}))
    [item] = load_dataset(questions, verdicts=labels, ask="Is it true that {claim}?")
    assert item.verdict == "no"
    assert item.question == "Is it true that aspirin lowers fever?"
    [kept] = load_dataset(write_lines(tmp_path / "q2.jsonl", json.dumps({**GOOD, "question": "ALDH1 marks stem cells."})),
                          ask="Is it true that {claim}?")
    assert kept.question == "Is it true that ALDH1 marks stem cells?"  # an acronym keeps its capitals
    with pytest.raises(SourceError, match="needs an id and a verdict"):
        load_dataset(questions, verdicts=write_lines(tmp_path / "bad.jsonl", "{}"))


def test_shipped_pubmedqa_verdicts_label_every_dev_question():
    folder = DEFAULT_DATASET.parent / "pubmedqa-dev"
    items = load_dataset(folder / "questions.jsonl", verdicts=folder / "verdicts.jsonl")
    assert Counter(i.verdict for i in items) == {"yes": 277, "no": 165, "maybe": 60}
