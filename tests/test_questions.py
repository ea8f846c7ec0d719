"""The seeds question set, one test per question, through the package's pytest helper."""

import pytest
from helpers import ROOT

from assistant.evaluation import assert_case, pytest_params

SEEDS_QUESTIONS = ROOT / "tests" / "questions" / "seeds.yaml"


@pytest.mark.parametrize("case", **pytest_params(SEEDS_QUESTIONS))
def test_seeds_question(case, seeds_any):
    """Every question of the set, against the FAISS store and against Milvus."""
    assert_case(seeds_any, case)


def test_the_set_covers_what_users_ask():
    cases = pytest_params(SEEDS_QUESTIONS)["argvalues"]
    tags = [t for c in cases for t in c.tags]
    assert len(cases) >= 40
    assert sum(c.expect.refuse for c in cases) >= 8
    assert sum(bool(c.history) for c in cases) >= 3
    assert tags.count("unaccented") >= 6 and tags.count("english") >= 2
    assert {"number", "date", "name", "list", "paraphrase"} <= set(tags)
