"""What kind of answer a question asks for, what it asks about, and the claim a yes/no question makes.

The kinds are in rag/question/query.py. The order of the rules matters: "Compare ..." before "Which papers ...",
"Which papers ..." before "Which datasets ...", a question word before a leading auxiliary verb.
"""

from __future__ import annotations

import re

_COMPARE = re.compile(
    r"^\s*(compare|contrast)\b|\bhow (do|does|did) .{1,80} (differ|compare)\b|\bdiffer(ence|ences)? between\b|"
    r"\bwhat (distinguishes|sets .{1,40} apart)\b|\bcompare (the|these|those|their|them)\b|"
    r"\b(similarities|differences) (of|among|between|in)\b",
    re.I,
)
# "X vs Y" compares papers only when the question is little more than that ("Peri-LN vs Pre-LN: which is more
# stable?"), not a question about one result "on ImageNet versus end-to-end training".
_VERSUS = re.compile(r"^\s*[^?,]{1,60}\s+(vs\.?|versus)\s+[^?,]{1,60}[:?]", re.I)
_LIST = re.compile(
    r"\b(which|what)\s+([\w\-]+\s+){0,4}?(papers|works|studies|articles|methods|approaches|of (them|these|those))\b|"
    r"\blist\b|^\s*what (is|are) the papers? (about|on|that)\b|"
    r"\bany (papers?|work|studies)\b|\bpapers (that|which|on|about|in|since|from|before|after|published)\b|"
    r"^\s*(which|what) (paper|work|study|article)\b|\bname (the )?papers\b|^\s*(is|are) there (any |a |an )?(work|works|papers?|stud(y|ies)|research|articles?)\b|"
    r"^\s*has anyone\b|^\s*anything (on|about)\b|\blooking for (a |the )?papers?\b|"
    r"\beach of (them|those|these)\b|\beach (paper|work|study)\b",
    re.I,
)
# A list question that asks for papers in the plural ("Which papers study X?", "Are there any studies of X?"), not
# for one paper described in other words ("Is there a paper that ...", "Which paper shows ..."): when no paper is
# about its topic, the answer is "not found", where a question for one paper is answered from the paper that fits
# best. "studies" after a singular noun is a verb ("Which paper studies X?").
_SEVERAL = re.compile(
    r"\b(which|what|any|are there|list|name|all|find|show me)\s+"
    r"((?!(paper|work|study|article|publication)\b)[\w\-]+\s+){0,4}?(papers|works|studies|articles|publications)\b|"
    r"^\s*papers\b",
    re.I,
)
_AUX = r"(is|are|does|do|did|can|could|should|would|will|has|have|had|was|were|may|might|must)"
_YES_NO = re.compile(rf"^\s*{_AUX}\b", re.I)
_WH = re.compile(r"\b(what|which|who|whom|whose|where|when|why|how)\b", re.I)
_DEFINITION = re.compile(
    r"^\s*(what|who)\s+(is|are|was|were)\s+(an?\s+|the\s+)?(?P<x>[^?]{1,60}?)\s*\??\s*$|"
    r"^\s*(tell me (more )?about|explain|describe|define|summari[sz]e)\s+(?P<y>[^?]{1,80}?)[.?!]?\s*$|"
    r"^\s*what does (?P<z>[^?]{1,60}?) (stand for|mean|do)\s*\??\s*$",
    re.I,
)
_MECHANISM = re.compile(
    r"^\s*how\s+(does|do|did|is|are|was|were|can|could)\b(?!\s+(many|much)\b)|\bin what way\b|"
    r"\bwhat (mechanism|technique|procedure|strategy|trick)\b|\bhow\s+(does|do)\b.*\bwork\b",
    re.I,
)
_NUMBER = re.compile(
    r"\bhow (many|much|large|long|fast|big|small|high|low|often|far)\b|\bby how much\b|\bup to what\b|"
    r"\bwhat (percentage|fraction|share|proportion|accuracy|score|fid|dice|correlation|speed-?up|resolution|size|"
    r"number|rate|error|gain|improvement|reduction|drop|latency|order|sparsity)\b|\bhow much (faster|better|"
    r"lower|higher|smaller|larger)\b",
    re.I,
)
_ATTRIBUTE = re.compile(
    r"^\s*(in |on |for |with |against |from |at |by )?(which|what)\s+(?!is\b|are\b|was\b|were\b|does\b|do\b|did\b|"
    r"of\b)[a-z][\w\-]*",
    re.I,
)
_WHY = re.compile(r"^\s*why\b", re.I)

# What the question asks for is named between its question word and its verb: "What [Dice score] does X reach",
# "How much [runtime improvement over baseline gradient coding] is reported", "on how many [large-scale problems]
# is it evaluated". A sentence holding those words holds the answer more often than one restating the rest.
_ASKED = re.compile(
    r"\b(?:what|which|how many|how much|how|who|whose|whom)\s+(?!(?:does|do|did|is|are|was|were)\b)(.{2,90}?)\s+"
    r"(?:does|do|did|is|are|was|were|has|have|had|can|could|should|will|would|may|might|lets|allows?)\b",
    re.I,
)


def kind_of(text: str) -> str:
    """The kind of answer `text` asks for (rag/question/query.py KINDS; "papers" and "clarify" are decided later,
    from the filters and the conversation)."""
    if _COMPARE.search(text):
        return "comparison"
    tail = text.rpartition(":")[2]
    if ":" in text and _YES_NO.search(tail):  # "X vs self-reported data: do they agree?" asks yes or no
        return "yes-no"
    if _VERSUS.search(text):
        return "comparison"
    if _LIST.search(text):
        return "list"
    if _WHY.search(text):
        return "explanation"
    if _DEFINITION.search(text) and not _NUMBER.search(text):
        return "definition"
    if _NUMBER.search(text):
        return "number"
    if _MECHANISM.search(text):
        return "mechanism"
    if _YES_NO.search(text) or _IS_IT_TRUE.search(text) or (text.rstrip().endswith("?") and not _WH.search(text)):
        return "yes-no"
    if _ATTRIBUTE.search(text):
        return "attribute"
    return "fact"


def asks_for_several(text: str) -> bool:
    """Whether a list question asks for papers in the plural (`_SEVERAL`)."""
    return bool(_SEVERAL.search(text))


def defined(text: str) -> str | None:
    """What a definition question asks about ("D-Former" in "What is D-Former?")."""
    m = _DEFINITION.search(text)
    if not m:
        return None
    return (m.group("x") or m.group("y") or m.group("z") or "").strip() or None


def asked_phrases(text: str) -> list[str]:
    """What the question asks for, as written, one phrase per clause ("what X ... and how many Y ...")."""
    out = []
    for m in _ASKED.finditer(text):
        phrase = re.split(r"\s+(?:of|for|in|on|by|with|from|that|which)\s+the\b", m.group(1))[0]
        out.append(phrase)
    return out


_IS_IT_TRUE = re.compile(r"^\s*(is it (true|the case|correct|right) that|do(es)? (it|the (paper|abstract)) "
                         r"(say|claim|show) that|true or false:?)\s+", re.I)
_ACCORDING = re.compile(r"^\s*(according to|in|for)\s+[^,]{2,120},\s*", re.I)
_NEGATED = re.compile(r"\b(not|never|no)\b|n't\b", re.I)


def claim_text(text: str) -> str:
    """The statement a yes/no question makes: "Does NoProp need back-propagation?" -> "NoProp need
    back-propagation"; "Is it true that X?" -> "X"; a PubMedQA title "Inhibin: a new marker of mole?" keeps its
    question part."""
    t = text.strip().rstrip("?").strip()
    head, sep, tail = t.rpartition(":")
    if sep and _YES_NO.search(tail):  # "Measurement of ...: is volumetric analysis worth the effort"
        t = tail.strip()
    t = _ACCORDING.sub("", t)
    t = _IS_IT_TRUE.sub("", t)
    t = re.sub(rf"^{_AUX}(n't)?\s+", "", t, flags=re.I)
    t = re.sub(r"^(why|how come)\s+(does|do|did|is|are|was|were|can|could)?\s*", "", t, flags=re.I)
    return t.strip()


def negated(claim: str) -> bool:
    """Whether the question negates its own claim ("Doesn't X need Y?", "Is X not Y?")."""
    return bool(_NEGATED.search(claim)) and not re.search(r"\bnot only\b", claim, re.I)
