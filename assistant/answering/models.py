"""The fitted models the answerer reads, as data: `models/*.json`, written by the calibration scripts
(benchmarks/calibrate_answer.py, benchmarks/calibrate_refusal.py) and loaded here. Each file names the
data it was fitted on; tests check that its features are exactly those the code computes."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent / "models"
FILES = {"ranker": "sentence_ranker.json", "sentence": "sentence_model.json", "refusal": "refusal.json"}


@dataclass(frozen=True)
class Models:
    """SENTENCE_RANKER orders a question's sentences (a conditional logit); SENTENCE_MODEL is the
    probability that a sentence holds the answer (a logistic regression, read by refusal and the second
    sentence); the refusal model turns the signals into the answer's confidence, per question form."""

    ranker: dict[str, float]
    sentence: dict[str, float]
    refusal: dict[str, dict[str, float]]  # "accented" / "unaccented" / "crosslingual" -> weights
    thresholds: dict[str, float]  # the same keys -> the confidence below which the answerer refuses
    require_type: tuple[str, ...] = ()  # answer types refused when no top sentence carries one
    typed_floor: float = 0.0  # ... with more than this share of the question's terms (refusal.typed_signal)
    focus_scale: float = 1.0  # a follow-up's confidence is at most this × the share of its own words answered
    # the same keys -> the confidence below which an answer comes with a low-confidence notice
    caution: dict[str, float] = field(default_factory=dict)


def read(name: str, folder: Path = MODELS_DIR) -> dict:
    with open(folder / FILES[name], encoding="utf-8") as handle:
        return json.load(handle)


def write(name: str, content: dict, folder: Path = MODELS_DIR) -> Path:
    """Written by the calibration scripts: the weights plus what they were fitted on."""
    path = folder / FILES[name]
    path.write_text(json.dumps(content, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    load.cache_clear()
    return path


@lru_cache(maxsize=4)
def load(folder: Path = MODELS_DIR) -> Models:
    refusal = read("refusal", folder)
    return Models(
        read("ranker", folder)["weights"],
        read("sentence", folder)["weights"],
        refusal["models"],
        refusal["thresholds"],
        tuple(refusal.get("require_type", ())),
        float(refusal.get("typed_floor", 0.0)),
        float(refusal.get("focus_scale", 1.0)),
        dict(refusal.get("caution", {})),
    )


def linear(model: dict[str, float], values: dict[str, float]) -> float:
    return model.get("bias", 0.0) + sum(w * values[name] for name, w in model.items() if name != "bias")


def logistic(model: dict[str, float], values: dict[str, float]) -> float:
    """A logistic model written as {"bias": b, name: weight, ...} applied to `values` by name."""
    z = linear(model, values)
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
