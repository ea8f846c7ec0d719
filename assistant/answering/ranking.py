"""Candidate sentences, ordered: every sentence of the retrieved passages with its features, scored by
the sentence ranker (its order) and the sentence model (the probability that it holds the answer)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..retrieval import Query
from ..text import fold
from ..types import Passage
from .features import capitalised, local_weights, sentence_features
from .models import Models, linear, logistic
from .question import Cues
from .terms import Acronyms, coverage, tokens_of

# The features `candidates` computes for every sentence: what the fitted sentence models must name.
SENTENCE_FEATURES = (
    "coverage",
    "bigrams",
    "long",
    "log_length",
    "number",
    "time",
    "person",
    "new_name",
    "definition",
    "new_share",
    "density",
    "counted",
    "named",
    "phrase",
    "slot",
    "typed",
    "local",
    "inv_rank",
    "passage_score",
    "dense",
    "previous",
    "context",
    "next",
    "first",
    "passage_best",
)


@dataclass
class Candidate:
    passage: Passage
    rank: int
    start: int
    end: int
    text: str
    coverage: float
    score: float  # the ranker's score: candidates are ordered by it
    probability: float  # that the sentence holds the answer (the sentence model)
    features: dict = field(default_factory=dict)


def sentences_of(passage: Passage) -> list[tuple[int, int, str]]:
    """(start, end, text) of each sentence of a passage, in document offsets."""
    return [(s, e, passage.text[s - passage.start : e - passage.start]) for s, e in passage.sentences]


def candidates(
    query: Query, weights: dict[str, float], passages: list[Passage], cues: Cues, models: Models
) -> list[Candidate]:
    """Every sentence of the passages, best first by the ranker."""
    q_words, q_bigrams = set(query.tokens), set(zip(query.tokens, query.tokens[1:]))
    q_names = {fold(w) for w in capitalised(query.text)}
    top_score = passages[0].score if passages and passages[0].score > 0 else 1.0
    top_dense = max((p.dense_score for p in passages), default=0.0)
    out: list[Candidate] = []
    seen: set[str] = set()
    texts = [[t for _, _, t in sentences_of(p)] for p in passages]
    acronyms = Acronyms(query.text, query.accented)
    tokens = [[acronyms.expand(tokens_of(t, query.accented), t) for t in ts] for ts in texts]
    local = local_weights(weights, {text: toks for ts, tks in zip(texts, tokens) for text, toks in zip(ts, tks)})
    for rank, p in enumerate(passages):
        coverages = [coverage(weights, t) for t in tokens[rank]]
        best_in_passage = max(coverages, default=0.0)
        for i, ((start, end), text, toks) in enumerate(zip(p.sentences, texts[rank], tokens[rank])):
            if text in seen or len(text) < 2:
                continue
            seen.add(text)
            f = sentence_features(
                text, toks, coverages[i], weights, q_words, q_bigrams, q_names, cues, query.accented, query.tokens
            )
            f.update(
                local=coverage(local, toks) if local else 0.0,
                inv_rank=1.0 / (rank + 1),
                passage_score=max(p.score, 0.0) / top_score,
                dense=p.dense_score - top_dense,
                previous=coverages[i - 1] if i > 0 else 0.0,
                # what the sentence before adds: "Nó được tái lập năm 1991" after the one naming "nó"
                context=coverage(weights, tokens[rank][i - 1] + toks) - coverages[i] if i > 0 else 0.0,
                next=coverages[i + 1] if i + 1 < len(coverages) else 0.0,
                first=float(i == 0),
                passage_best=best_in_passage,
            )
            out.append(
                Candidate(
                    p, rank, start, end, text, coverages[i], linear(models.ranker, f), logistic(models.sentence, f), f
                )
            )
    out.sort(key=lambda c: c.score, reverse=True)
    return out
