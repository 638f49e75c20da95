"""The gold set's schema, and loading it with errors that name the file and line.

One JSON object per line:
  id              unique string
  type            single | multi | unanswerable | followup | date
  question        the question (for followup: the first turn's)
  gold_paper_ids  paper ids that answer it ([] for unanswerable); see `paperrag ask --json` for ids
  gold_titles     the same papers' titles, for people reading the file (optional)
  reference_answer  a short correct answer written by a person
  key_facts       [[alternative, ...], ...]: facts a correct answer contains, each with acceptable surface forms
  turns           followup only: every turn, each {question, gold_paper_ids, gold_titles, reference_answer, key_facts,
                  and the fields below}
  expected_filters  date only: {"year_from": int|null, "year_to": int|null} that the date phrase means
Optional, for grading an answer as a whole (evals/metrics.py `grade`):
  verdict         yes | no | maybe | not stated: the verdict a yes/no question should get
  expect          answer (default) | not-found (nothing in the collection answers it) | not-stated (the paper it
                  names does not report what is asked) | correction (a false premise about the paper it names:
                  the answer must correct it, never confirm it) | clarify (the question must be asked back)
  exact           the answer must cite every gold paper and nothing outside gold_paper_ids + acceptable_ids
                  (lists and comparisons: no paper nobody asked about)
  acceptable_ids  papers an exact answer may also cite (a list's borderline members)
Types: single | multi | unanswerable | followup | date (evals/datasets/gold.jsonl) and the kinds of researcher
questions (evals/datasets/researcher.jsonl): definition | mechanism | number | attribute | yes-no | list |
comparison | paraphrase | near-miss | false-premise | clarify.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rag.errors import SourceError

DEFAULT_DATASET = Path(__file__).resolve().parent / "datasets" / "gold.jsonl"


class GoldTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=3)
    gold_paper_ids: list[str] = Field(default_factory=list)
    gold_titles: list[str] = Field(default_factory=list)
    reference_answer: str = ""
    key_facts: list[list[str]] = Field(default_factory=list)
    acceptable_ids: list[str] = Field(default_factory=list)
    verdict: Literal["yes", "no", "maybe", "not stated"] | None = None
    expect: Literal["answer", "not-found", "not-stated", "correction", "clarify"] = "answer"
    exact: bool = False


NO_GOLD = ("unanswerable", "clarify")


class GoldItem(GoldTurn):
    id: str = Field(min_length=1)
    type: Literal[
        "single", "multi", "unanswerable", "followup", "date", "definition", "mechanism", "number", "attribute",
        "yes-no", "list", "comparison", "paraphrase", "near-miss", "false-premise", "clarify",
    ]
    turns: list[GoldTurn] = Field(default_factory=list)
    expected_filters: dict[str, int | None] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "GoldItem":
        if self.type == "unanswerable" and self.expect == "answer":
            self.expect = "not-found"  # what an unanswerable question expects, unless the item says otherwise
        if self.type == "clarify" and self.expect == "answer":
            self.expect = "clarify"
        if self.type in NO_GOLD and self.gold_paper_ids:
            raise ValueError(f"{'an' if self.type[0] in 'aeiou' else 'a'} {self.type} question has no gold papers")
        if self.type not in NO_GOLD and not self.gold_paper_ids:
            raise ValueError(f"a {self.type} question needs gold_paper_ids")
        if self.type == "followup" and len(self.turns) < 2:
            raise ValueError("a followup item needs at least two turns")
        if self.type == "date" and not self.expected_filters:
            raise ValueError("a date item needs expected_filters")
        if any(not alts for alts in self.key_facts):
            raise ValueError("every key fact needs at least one alternative")
        return self

    def as_turns(self) -> list[GoldTurn]:
        """The conversation to play: the turns of a followup item, else the item itself as one turn."""
        return self.turns if self.type == "followup" else [self]

    @property
    def split(self) -> str:
        """"tune" or "held-out": a fixed half of any data set, decided by the item id alone (see `split_of`)."""
        return split_of(self.id)


def split_of(item_id: str) -> str:
    """Which half an item belongs to: constants may be chosen on "tune"; "held-out" is only ever reported.
    The hash of the id decides, so adding items never moves old ones between halves."""
    digest = hashlib.sha256(item_id.encode("utf-8")).digest()
    return "tune" if digest[0] % 2 == 0 else "held-out"


def load_verdicts(path: str | Path) -> dict[str, str]:
    """Item id -> verdict ("yes", "no", "maybe", "not stated") from a file of {"id", "verdict"} lines."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                out[str(d["id"])] = str(d["verdict"]).lower()
            except (ValueError, KeyError, TypeError):
                raise SourceError(str(path), "each line needs an id and a verdict", line_no) from None
    return out


def load_dataset(path: str | Path = DEFAULT_DATASET, *, verdicts: str | Path | None = None,
                 ask: str | None = None) -> list[GoldItem]:
    """The items of a data set; `verdicts` adds each item's verdict from a file of its own, and `ask` rewrites
    each question with a template ("Is it true that {claim}?" turns a claim into a question)."""
    items = _load(path)
    labels = load_verdicts(verdicts) if verdicts else {}
    for item in items:
        if item.id in labels:
            item.verdict = labels[item.id]  # type: ignore[assignment]
        if ask:
            claim = item.question.strip().rstrip(".")
            first = claim.split(" ", 1)[0]
            plain = re.fullmatch(r"[A-Z][a-z]*", first) is not None  # "The", "A", "Vitamin" (not "ALDH1", "T-cells")
            item.question = ask.format(claim=claim[:1].lower() + claim[1:] if plain else claim)
    return items


def _load(path: str | Path) -> list[GoldItem]:
    path = Path(path)
    if not path.is_file():
        raise SourceError(str(path), "no such dataset file")
    items: list[GoldItem] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                item = GoldItem.model_validate(json.loads(line))
            except json.JSONDecodeError as e:
                raise SourceError(str(path), f"malformed JSON ({e.msg})", line_no) from None
            except ValidationError as e:
                err = e.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                msg = str(err["msg"]).removeprefix("Value error, ")
                raise SourceError(str(path), " ".join(x for x in ("invalid item:", where, msg) if x), line_no) from None
            if item.id in seen:
                raise SourceError(str(path), f"duplicate id {item.id}", line_no)
            seen.add(item.id)
            items.append(item)
    if not items:
        raise SourceError(str(path), "the dataset is empty")
    return items
