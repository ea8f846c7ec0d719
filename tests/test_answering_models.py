"""The fitted models are data files the calibration scripts write; their features are exactly the code's."""

import json

import pytest

from assistant.answering import models, refusal
from assistant.answering.ranking import SENTENCE_FEATURES


def test_each_model_file_names_exactly_the_features_the_code_computes(seeds_assistant):
    loaded = models.load()
    assert set(loaded.ranker) == set(SENTENCE_FEATURES)
    assert set(loaded.sentence) == set(SENTENCE_FEATURES) | {"bias"}
    assert set(loaded.refusal["accented"]) == set(loaded.refusal["unaccented"]) == set(refusal.SIGNALS) | {"bias"}
    assert set(loaded.refusal["crosslingual"]) == set(refusal.CROSSLINGUAL_SIGNALS) | {"bias"}
    assert {"accented", "unaccented", "crosslingual"} <= set(loaded.thresholds)
    # what the answerer really computes for a sentence and a question
    answerer = seeds_assistant._current().answerer
    from assistant.retrieval import Query

    question = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"
    query = Query.of(question)
    candidates = answerer.candidates(query, answerer.term_weights(query), seeds_assistant.retrieve(question))
    assert candidates and all(set(c.features) == set(SENTENCE_FEATURES) for c in candidates)
    answer = seeds_assistant.ask(question)
    assert set(answer.signals) == set(refusal.SIGNALS) | {"other_name"}


def test_every_model_file_says_what_wrote_it_and_what_it_was_fitted_on():
    for name in models.FILES:
        content = models.read(name)
        assert content["written_by"].startswith("benchmarks/calibrate_")
        assert content["fitted_on"] and content["date"]


def test_written_models_are_what_the_answerer_loads(tmp_path):
    for file in models.FILES.values():
        (tmp_path / file).write_text((models.MODELS_DIR / file).read_text(encoding="utf-8"), encoding="utf-8")
    content = models.read("refusal", tmp_path)
    content["thresholds"]["accented"] = 0.123
    models.write("refusal", content, tmp_path)
    assert models.load(tmp_path).thresholds["accented"] == 0.123
    assert json.loads((tmp_path / "refusal.json").read_text(encoding="utf-8"))["thresholds"]["accented"] == 0.123
    assert models.load().thresholds["accented"] != pytest.approx(0.123)
