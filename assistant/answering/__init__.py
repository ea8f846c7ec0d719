"""Answers with citations from retrieved passages. The stages, each its own module:
`question` (what is asked), `features` and `ranking` (which sentence answers), `refusal` (whether to
answer at all), `compose` (the quoted sentences, markers and answering span); `extractive` puts them
together as the default backend (the types every backend returns are in `assistant.types`), and `models` loads the
fitted weights from `models/*.json`."""

from ..types import EMPTY_QUESTION, NO_DOCUMENTS, REFUSAL, TOO_LONG, Answer, Citation, Short
from .extractive import ExtractiveAnswerer
from .models import Models
from .question import ANSWER_TYPES, answer_type
from .terms import FOLDED_STOPWORDS, STOPWORDS, IdfTable, is_stopword

__all__ = [
    "ANSWER_TYPES",
    "EMPTY_QUESTION",
    "FOLDED_STOPWORDS",
    "NO_DOCUMENTS",
    "REFUSAL",
    "STOPWORDS",
    "TOO_LONG",
    "Answer",
    "Citation",
    "ExtractiveAnswerer",
    "IdfTable",
    "Models",
    "Short",
    "answer_type",
    "is_stopword",
]
