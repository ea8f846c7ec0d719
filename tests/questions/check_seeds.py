"""Check tests/questions/seeds.yaml against the assistant (default config: extractive backend).

    .venv/bin/python tests/questions/check_seeds.py [--index-dir /tmp/qset_index] [--rebuild] [-v] [ID ...]

The index is built from seeds/ into --index-dir when it is missing (or with --rebuild).
Exit status 0 when every question passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
QUESTIONS = HERE / "seeds.yaml"
SEEDS = ROOT / "seeds"
TAGS = {"number", "date", "name", "list", "paraphrase", "unaccented", "follow-up", "refusal", "english"}
EXPECT_KEYS = {"contains_any", "contains_all", "regex", "fold", "cites", "refuse"}


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions = data["questions"]
    ids = [q["id"] for q in questions]
    duplicates = sorted(i for i, n in collections.Counter(ids).items() if n > 1)
    if duplicates:
        raise SystemExit(f"duplicate ids: {duplicates}")
    seeds = {p.name for p in SEEDS.iterdir()} if SEEDS.is_dir() else set()
    for q in questions:
        expect = q.get("expect") or {}
        problems = [f"unknown expect key {k}" for k in expect if k not in EXPECT_KEYS]
        problems += [f"unknown tag {t}" for t in q.get("tags", []) if t not in TAGS]
        problems += [f"unknown doc id {d}" for d in expect.get("cites") or [] if seeds and d not in seeds]
        if not expect.get("refuse") and not (expect.get("contains_any") or expect.get("contains_all")
                                             or expect.get("regex")):
            problems.append("no check on the answer text")
        if problems:
            raise SystemExit(f"{q['id']}: " + "; ".join(problems))
    return questions


def check(answer, expect: dict) -> list[str]:
    """Reasons the answer fails the expectation (empty: it passes)."""
    from assistant.text import fold as _fold

    if expect.get("refuse"):
        return [] if answer.refused else ["expected a refusal"]
    if answer.refused:
        return ["refused"]
    norm = (lambda s: _fold(s.lower())) if expect.get("fold") else (lambda s: s)
    text = norm(answer.text)
    reasons = []
    any_of = expect.get("contains_any") or []
    if any_of and not any(norm(s) in text for s in any_of):
        reasons.append(f"contains none of {any_of}")
    missing = [s for s in expect.get("contains_all") or [] if norm(s) not in text]
    if missing:
        reasons.append(f"missing {missing}")
    regex = expect.get("regex")
    if regex and not re.search(norm(regex), text):
        reasons.append(f"no match for /{regex}/")
    cites = expect.get("cites") or []
    cited = sorted({c.doc_id for c in answer.citations})
    if cites and not set(cites) & set(cited):
        reasons.append(f"cites {cited}, expected one of {cites}")
    return reasons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", default="/tmp/qset_index")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index from seeds/ first")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer")
    parser.add_argument("ids", nargs="*", help="only these question ids")
    args = parser.parse_args(argv)

    questions = load_questions()
    if args.ids:
        questions = [q for q in questions if q["id"] in set(args.ids)]

    from assistant import Assistant, load_config
    from assistant import store

    config = load_config(environ={})  # the defaults, whatever ASSISTANT_* says
    assert config.answer.backend == "extractive", config.answer.backend
    if args.rebuild or not store.exists(Path(args.index_dir)):
        Assistant(index_dir=args.index_dir, config=config, open_now=False).index([SEEDS])
    bot = Assistant(index_dir=args.index_dir, config=config)

    failed = []
    per_tag = collections.Counter()
    for q in questions:
        history = [tuple(h) for h in q.get("history") or []]
        answer = bot.ask(q["question"], history=history)
        reasons = check(answer, q.get("expect") or {})
        per_tag.update(q.get("tags", []))
        status = "FAIL" if reasons else "ok  "
        if reasons or args.verbose:
            print(f"{status} {q['id']}: {q['question']}")
            for r in reasons:
                print(f"       - {r}")
            print(f"       answer ({'refused' if answer.refused else 'answered'}): {answer.text}")
        if reasons:
            failed.append(q["id"])

    print("tags: " + ", ".join(f"{t}={n}" for t, n in sorted(per_tag.items())))
    print(f"{len(questions) - len(failed)}/{len(questions)} passed" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
