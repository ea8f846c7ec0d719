"""Whether to answer: signals of how well the retrieved text answers the question, each in [0, 1], turned
into the answer's confidence by the fitted refusal model (models/refusal.json) and compared with its
threshold. Rules refuse whatever the model says (`vetoed`): a passage naming another thing of the kind
the question names ("phường Hàng Bài" for "phường Hàng Trống"), no retrieved sentence carrying the kind of
answer asked for (a number for "bao nhiêu", a date for "khi nào") together with the question's terms, and
an English question naming what no passage has. Everything that decides is in `confidence`, so a
benchmark rescoring saved signals scores exactly what the answerer does."""

from __future__ import annotations

from ..retrieval import Query
from ..text import fold
from ..types import Passage
from .features import REFERS_BACK, answers_date, answers_number, asked_title, holds_title
from .models import Models, logistic
from .question import counted_unit, missing_names
from .ranking import Candidate
from .terms import Acronyms, tokens_of

SIGNALS = ("coverage", "sentence", "dense", "passage_pairs", "missing_weight", "missing_name", "typed")
CROSSLINGUAL_SIGNALS = ("dense", "similarity", "typed")
TYPED_DEPTH = 8  # how many of the best-ranked sentences may carry the asked type


def typed_signal(candidates: list[Candidate], query: Query, answer_type: str = "") -> float:
    """The best coverage of the question's terms among top sentences that carry the asked type; for a
    number or a date, of the kind asked (features.answers_number: money for "giá", a duration for "bao
    lâu"; features.answers_date: a year for "năm nào", a day for "ngày nào"); for the holder of a title,
    a name with that title (features.holds_title)."""
    if answer_type == "number":
        restored = query.restored_tokens
        unit = counted_unit(query.tokens, restored)
        named = " ".join(w for w in query.text.split()[1:] if w[:1].isupper())  # "Tràng Tiền": not money
        names = frozenset(tokens_of(named, query.accented))

    holder = asked_title(query.text) if answer_type == "person" else None
    q_folded = {fold(t) for t in query.tokens}

    def of_kind(c: Candidate) -> bool:
        if holder:  # "Ai là Phó Chủ tịch UBND quận?": a name with that title, not any name
            return holds_title(c.text, holder, q_folded)
        if answer_type == "number":
            tokens = tokens_of(c.text, query.accented)
            return answers_number(query.tokens, unit, c.text, tokens, query.accented, names, restored)
        if answer_type == "date":
            return answers_date(query.tokens, c.text)
        return True

    def read(c: Candidate) -> float:
        """Its coverage, read with the sentence before when it points back ("… của nó … năm 1962")."""
        return c.coverage + max(c.features.get("context", 0.0), 0.0) * bool(REFERS_BACK.search(c.text))

    # a name with the title asked is one whatever carries_type makes of it ("M.Mansour")
    return max(
        (read(c) for c in candidates[:TYPED_DEPTH] if (c.features.get("typed") or holder) and of_kind(c)),
        default=0.0,
    )


def signals(
    query: Query, weights: dict[str, float], candidates: list[Candidate], passages: list[Passage], answer_type: str = ""
) -> dict:
    """Evidence for answering: the best sentence's share of the question (IDF-weighted), the highest
    probability that a sentence holds the answer, the meaning similarity of the passage that sentence
    comes from (not of the passage fused first: a related-news list can be), the question's syllable pairs
    found in that passage, the weight of the heaviest question word it lacks (a changed name: "quận Ba
    Đình"), whether the question names something no passage names (`missing_name`;
    `other_name` when a passage names another of that kind) and `typed` (see typed_signal)."""
    best = candidates[0]
    top = best.passage
    tokens = Acronyms(query.text, query.accented).expand(tokens_of(top.text, query.accented), top.text)
    present = set(tokens)
    pairs = set(zip(query.tokens, query.tokens[1:]))
    missing, other = missing_names(query.text, passages)
    return {
        "coverage": best.coverage,
        "sentence": max(c.probability for c in candidates),
        "dense": min(max((top.dense_score - 0.75) / 0.15, 0.0), 1.0),
        "passage_pairs": len(pairs & set(zip(tokens, tokens[1:]))) / len(pairs) if pairs else 0.0,
        "missing_weight": (
            max((w for t, w in weights.items() if t not in present), default=0.0) / max(weights.values())
        ),
        "missing_name": float(missing),
        "other_name": float(other),
        "typed": typed_signal(candidates, query, answer_type),
    }


def model_key(query: Query, crosslingual: bool) -> str:
    return "crosslingual" if crosslingual else "accented" if query.accented else "unaccented"


def vetoed(models: Models, key: str, values: dict[str, float], answer_type: str = "") -> bool:
    """Whether a rule refuses whatever the model says (see confidence)."""
    if values.get("other_name"):
        return True
    if key == "crosslingual":
        return bool(values.get("missing_name"))
    return answer_type in models.require_type and values.get("typed", 0.0) <= models.typed_floor


def confidence(models: Models, key: str, values: dict[str, float], answer_type: str = "") -> float:
    """Probability that the question is answerable from the passages; 0 when the passages name another
    thing of the kind the question names, when the kind of answer it asks for is nowhere, or when an
    English question names something no passage has (with no shared words to weigh, the one lexical
    evidence it gives). A follow-up's is at most focus_scale × `focus`, how much of the follow-up
    itself the best sentence holds."""
    if vetoed(models, key, values, answer_type):
        return 0.0
    return min(logistic(models.refusal[key], values), models.focus_scale * values.get("focus", 1.0))
