"""Restore the diacritics of a question typed without them ("quan hoan kiem" → "quận hoàn kiếm").

The dense model barely understands unaccented Vietnamese, so such a question is restored before
it is embedded. Candidates for each syllable are the accented forms seen in the indexed corpus
itself; a bigram model of the same corpus picks the most likely sequence (Viterbi).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from .text import canonical_syllable, fold

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_CANDIDATES = 6
BIGRAM_WEIGHT = 0.8
MIN_BIGRAM_COUNT = 2  # rarer pairs are not stored: they barely move the choice
RECENT = 64  # restorations kept: retrieval and the answerer both restore the question being asked


class DiacriticRestorer:
    def __init__(self, unigrams: dict[str, int], bigrams: dict[str, int]):
        self.unigrams = unigrams
        self.bigrams = bigrams  # "w1 w2" -> count
        self.total = max(sum(unigrams.values()), 1)
        by_fold: dict[str, list[tuple[int, str]]] = {}
        for word, count in unigrams.items():
            by_fold.setdefault(fold(word), []).append((count, word))
        self.candidates = {k: [w for _, w in sorted(v, reverse=True)[:MAX_CANDIDATES]] for k, v in by_fold.items()}
        self._recent = lru_cache(maxsize=RECENT)(self._restore)  # thread-safe

    @classmethod
    def from_corpus(cls, token_lists: list[list[str]]) -> DiacriticRestorer:
        unigrams: Counter[str] = Counter()
        bigrams: Counter[str] = Counter()
        for tokens in token_lists:
            unigrams.update(tokens)
            bigrams.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))
        return cls(dict(unigrams), {k: c for k, c in bigrams.items() if c >= MIN_BIGRAM_COUNT})

    def to_dict(self) -> dict:
        return {"unigrams": self.unigrams, "bigrams": self.bigrams}

    @classmethod
    def from_dict(cls, data: dict) -> DiacriticRestorer:
        return cls(data["unigrams"], data["bigrams"])

    def _log_p(self, previous: str | None, word: str) -> float:
        unigram = (self.unigrams.get(word, 0) + 0.1) / self.total
        if previous is None:
            return math.log(unigram)
        bigram = self.bigrams.get(f"{previous} {word}", 0) / max(self.unigrams.get(previous, 0), 1)
        return math.log(BIGRAM_WEIGHT * bigram + (1 - BIGRAM_WEIGHT) * unigram)

    def restore_tokens(self, folded: list[str]) -> list[str]:
        if not folded:
            return []
        layers = [self.candidates.get(t, [t]) for t in folded]
        best = {w: (self._log_p(None, w), [w]) for w in layers[0]}
        for layer in layers[1:]:
            step = {}
            for w in layer:
                score, path = max(((s + self._log_p(p, w), pth) for p, (s, pth) in best.items()), key=lambda x: x[0])
                step[w] = (score, path + [w])
            best = step
        return max(best.values(), key=lambda x: x[0])[1]

    def restore(self, text: str) -> str:
        """`text` with each syllable replaced by its restored form, keeping capitals and punctuation."""
        return self._recent(text)

    def _restore(self, text: str) -> str:
        matches = list(_WORD.finditer(text))
        restored = self.restore_tokens([fold(canonical_syllable(m.group())) for m in matches])
        out, last = [], 0
        for m, word in zip(matches, restored):
            original = m.group()
            if original[:1].isupper():
                word = word[:1].upper() + word[1:]
            out.append(text[last : m.start()])
            out.append(word)
            last = m.end()
        out.append(text[last:])
        return "".join(out)
