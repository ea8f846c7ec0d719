"""`assistant` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AssistantError

if TYPE_CHECKING:
    from tqdm import tqdm

    from .api import Assistant, IndexResult
    from .config import Config
    from .evaluation import Case, Report
    from .types import Answer, Passage

LLM_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "assistant" / "llm"

OS_ERROR = 11  # any other file that could not be read or written (docs/errors.md)
EPILOG = "Cấu hình: tệp TOML (--config hoặc $ASSISTANT_CONFIG), ghi đè bởi biến môi trường ASSISTANT_*, rồi bởi các cờ."
BACKEND_HELP = "bộ trả lời: extractive, openai:<mô hình>, llamacpp:<tệp .gguf>"


# ------------------------------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant", description="Hỏi đáp tài liệu tiếng Việt có trích dẫn.", epilog=EPILOG
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_index,
        _add_ask,
        _add_eval,
        _add_eval_import,
        _add_feedback_export,
        _add_retrieve,
        _add_serve,
        _add_milvus_lite_server,
    ):
        add(sub)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index-dir", help="thư mục chỉ mục (mặc định: index/)")
    parser.add_argument("--config", help="tệp cấu hình TOML")


def _add_index(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="lập chỉ mục tệp và thư mục")
    p.add_argument("paths", nargs="+", help="tệp hoặc thư mục (.txt .md .html .pdf .docx .jsonl)")
    p.add_argument("--add", action="store_true", help="chỉ thêm/cập nhật, không xóa tài liệu đã có")
    p.add_argument("--rebuild", action="store_true", help="xây dựng lại từ đầu (vd. khi đổi mô hình nhúng)")
    p.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="theo cả liên kết tượng trưng trỏ ra ngoài thư mục được lập chỉ mục",
    )
    _common(p)
    p.set_defaults(func=_index)


def _add_ask(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="đặt câu hỏi")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    p.add_argument("--backend", help=BACKEND_HELP)
    _common(p)
    p.set_defaults(func=_ask)


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="chạy bộ câu hỏi kiểm thử và so với kết quả gốc")
    p.add_argument("files", nargs="+", help="tệp câu hỏi .yaml hoặc .jsonl")
    p.add_argument(
        "--report",
        action="append",
        default=[],
        help="ghi báo cáo (.md, .json, .html, .xml = JUnit cho CI); dùng nhiều lần được",
    )
    p.add_argument("--baseline", help="báo cáo JSON của một lần chạy trước: chỉ câu đạt ở đó nay trượt mới là lỗi")
    p.add_argument(
        "--fail-under",
        type=_rate,
        help="thay cho «câu nào trượt cũng là lỗi»: mã lỗi 1 khi tỉ lệ đạt thấp hơn (vd. 0.9 hoặc 90)",
    )
    p.add_argument(
        "--repeat",
        type=_positive,
        default=1,
        help="hỏi mỗi câu N lần (LLM): tỉ lệ đạt từng câu, câu lúc đạt lúc trượt; tắt bộ nhớ đệm",
    )
    p.add_argument("--jobs", type=_positive, default=1, help="số câu hỏi chạy cùng lúc")
    p.add_argument("--backend", help=BACKEND_HELP)
    p.add_argument("--no-cache", action="store_true", help="không dùng bộ nhớ đệm câu trả lời của LLM")
    p.add_argument("--judge", action="store_true", help="LLM chấm độ trung thành của từng câu trả lời")
    _common(p)
    p.set_defaults(func=_eval)


def _add_eval_import(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-import", help="chuyển tệp JSONL kiểu SQuAD thành bộ câu hỏi")
    p.add_argument("source", help="JSONL có question, answers/answer, passage_id (vd. xquad_vi.questions.jsonl)")
    p.add_argument("-o", "--output", required=True, help="tệp bộ câu hỏi (.yaml hoặc .jsonl)")
    p.add_argument("--limit", type=int, help="chỉ lấy N câu đầu")
    p.set_defaults(func=_eval_import)


def _add_feedback_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feedback-export", help="xuất các câu trả lời bị chê thành bộ câu hỏi kiểm thử")
    p.add_argument("-o", "--output", required=True, help="tệp bộ câu hỏi (.yaml hoặc .jsonl)")
    p.add_argument("--feedback", help="tệp góp ý JSONL (mặc định: <[app] data_dir>/feedback.jsonl)")
    p.add_argument("--config", help="tệp cấu hình TOML")
    p.set_defaults(func=_feedback_export)


def _add_retrieve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("retrieve", help="tìm các đoạn văn liên quan")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="số đoạn trả về")
    p.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    _common(p)
    p.set_defaults(func=_retrieve)


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="phục vụ API tương thích OpenAI và /api/ask (không có giao diện chat)")
    p.add_argument("--host", help="địa chỉ (mặc định 127.0.0.1; địa chỉ khác cần khóa API)")
    p.add_argument("--port", type=int, help="cổng (mặc định 7860)")
    p.add_argument("--backend", help=BACKEND_HELP)
    _common(p)
    p.set_defaults(func=_serve)


def _add_milvus_lite_server(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "milvus-lite-server", help="phục vụ một tệp Milvus Lite qua mạng để nhiều tiến trình dùng chung một kho"
    )
    p.add_argument("db", help="tệp .db của Milvus Lite")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=19530)
    p.set_defaults(func=_milvus_lite_server)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"cần một số nguyên dương: {text!r}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"không phải tỉ lệ: {text!r}") from None
    value = value / 100 if value > 1 else value
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"tỉ lệ phải trong khoảng 0–1 hoặc 0–100: {text!r}")
    return value


# ------------------------------------------------------------------------------------------ running


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AssistantError as exc:  # each kind has its own exit code (docs/errors.md)
        print(f"Lỗi: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Đã dừng. Chỉ mục trước đó vẫn nguyên vẹn; chạy lại lệnh để tiếp tục từ chỗ đã dừng.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as exc:  # a file the command had to read or write (a report, an export)
        print(f"Lỗi: không đọc/ghi được {exc.filename or 'tệp'} ({exc.strerror or exc}).", file=sys.stderr)
        return OS_ERROR


def _config(args: argparse.Namespace, extra: dict[str, Any] | None = None) -> Config:
    """The TOML file, overridden by ASSISTANT_* variables, then by the command's flags (and `extra`)."""
    from .config import load_config

    overrides = {"index_dir": args.index_dir, "answer.backend": getattr(args, "backend", None)}
    return load_config(args.config, overrides | (extra or {}))


def _open(args: argparse.Namespace, extra: dict[str, Any] | None = None) -> Assistant:
    from .api import Assistant

    return Assistant(config=_config(args, extra))


def _progress_bar(desc: str, unit: str, total: int | None = None) -> tqdm | None:
    """A tqdm bar on stderr when it is a terminal; None otherwise."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr)


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


# -- milvus-lite-server, eval-import, feedback-export, serve


def _milvus_lite_server(args: argparse.Namespace) -> int:
    from .index.milvus_lite import serve

    return serve(args.db, args.host, args.port)


def _eval_import(args: argparse.Namespace) -> int:
    from .evaluation import import_squad, write_question_set

    entries = import_squad(args.source, args.limit)
    path = write_question_set(entries, args.output)
    print(f"Đã ghi {len(entries)} câu hỏi vào {path}.")
    return 0


def _feedback_export(args: argparse.Namespace) -> int:
    from . import feedback
    from .config import load_config
    from .evaluation import write_question_set

    source = args.feedback or Path(load_config(args.config).app.data_dir) / "feedback.jsonl"
    entries = feedback.to_question_set(feedback.load(source))
    path = write_question_set(entries, args.output)
    print(f"Đã ghi {len(entries)} câu trả lời bị chê vào {path}: thay «{feedback.TODO}» bằng đáp án đúng.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .server import serve

    return serve(_config(args, {"app.host": args.host, "app.port": args.port}))


# -- index


def _index(args: argparse.Namespace) -> int:
    from .api import Assistant

    assistant = Assistant(config=_config(args), open_now=False)
    note = getattr(assistant.embedder, "note", "")
    if note:
        print(note, file=sys.stderr)
    result = _build_index(assistant, args)
    for problem in result.problems:
        print(f"{'Bỏ qua' if problem.skipped else 'Lưu ý:'} {problem}", file=sys.stderr)
    print(index_summary(result.report, assistant.backend.where))
    return 0


def _build_index(assistant: Assistant, args: argparse.Namespace) -> IndexResult:
    """Index `args.paths`, with a progress bar on a terminal."""
    bar = _progress_bar("Đang lập chỉ mục", "tài liệu")
    try:
        return assistant.index(
            args.paths,
            replace=not args.add,
            rebuild=args.rebuild,
            progress=None if bar is None else _document_progress(bar),
            follow_symlinks=args.follow_symlinks,
        )
    finally:
        if bar is not None:
            bar.close()


def _document_progress(bar: tqdm) -> Callable[[int, int], None]:
    """`progress` for Assistant.index: documents done of the total, which is known once they are listed."""

    def step(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return step


def index_summary(r, where: str) -> str:
    """One line about a build: embedding time and total time apart (reading, chunking, BM25 and writing
    are the rest)."""
    if r.unchanged:
        return f"Không có thay đổi: {r.documents} tài liệu, {r.chunks} đoạn (không cần nhúng lại)."
    return (
        f"Đã lập chỉ mục {r.documents} tài liệu, {r.chunks} đoạn vào {where}: "
        f"thêm {len(r.added)}, cập nhật {len(r.changed)}, xóa {len(r.removed)}; "
        f"đã nhúng {r.embedded} đoạn trong {r.seconds_embedding:.1f} giây, "
        f"tổng thời gian {r.seconds_total:.1f} giây."
    )


# -- ask, retrieve


def _ask(args: argparse.Namespace) -> int:
    assistant = _open(args)
    if args.json:
        _print_json(assistant.ask(args.question).to_dict())
        return 0
    answer = _stream_answer(assistant, args.question)
    if answer.notice:
        print(f"\n({answer.notice})")
    for c in answer.citations:
        print(f"\n[{c.marker}] {c.title} — {c.source} (ký tự {c.start}–{c.end})\n    {c.sentence}")
    return 0


def _stream_answer(assistant: Assistant, question: str) -> Answer:
    """Print the answer as it is verified; the final one whole when it differs from what was streamed."""
    shown = ""
    for item in assistant.ask_stream(question):
        if isinstance(item, str):
            print(item, end="", flush=True)
            shown += item
        else:
            answer = item
    if answer.text != shown:
        print(("\n\n" if shown else "") + answer.text, end="")
    print()
    return answer


def _retrieve(args: argparse.Namespace) -> int:
    passages = _open(args).retrieve(args.question, k=args.k)
    if args.json:
        _print_json([p.to_dict() for p in passages])
    else:
        _print_passages(passages)
    return 0


def _print_passages(passages: Sequence[Passage]) -> None:
    for n, p in enumerate(passages, 1):
        print(f"[{n}] {p.score:.4f}  {p.title} — {p.source} (ký tự {p.start}–{p.end})")
        print("    " + p.text.replace("\n", "\n    ") + "\n")
    if not passages:
        print("Không tìm thấy đoạn văn nào.")


# -- eval


def _eval(args: argparse.Namespace) -> int:
    from .evaluation import check_report_path, compare, format_table, load_baseline, run_meta, write_report

    assistant = _open(args, _cache_setting(args))
    for path in args.report:
        check_report_path(path)
    cases = _load_cases(args.files)
    baseline = load_baseline(args.baseline) if args.baseline else None
    report = _evaluate(assistant, cases, args)
    report.meta = run_meta(assistant, args.files)
    if baseline is not None:
        compare(report, baseline)
        report.meta["baseline"] = args.baseline
    print(format_table(report))
    for path in args.report:
        print(f"Đã ghi báo cáo: {write_report(report, path)}")
    return _exit_code(report, baseline is not None, args.fail_under)


def _cache_setting(args: argparse.Namespace) -> dict[str, Any]:
    """The LLM reply cache, unless --no-cache; repeats must ask the model again."""
    if args.no_cache or args.repeat != 1:
        return {}
    return {"llm.cache_dir": str(LLM_CACHE_DIR)}


def _load_cases(files: Sequence[str]) -> list[Case]:
    """The questions of every file; an id used in two files is an error, as within one."""
    from .evaluation import QuestionSetError, load_question_set

    cases = [case for path in files for case in load_question_set(path)]
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise QuestionSetError(f"{case.where}: mã câu hỏi «{case.id}» trùng với {seen[case.id]}.")
        seen[case.id] = case.where
    return cases


def _evaluate(assistant: Assistant, cases: list[Case], args: argparse.Namespace) -> Report:
    """Ask every question (--repeat times, --jobs at once), with a progress bar on a terminal."""
    from .evaluation import evaluate

    judge = _judge(assistant) if args.judge else None
    bar = _progress_bar("Đánh giá", "câu", total=len(cases) * args.repeat)
    report = evaluate(
        assistant,
        cases,
        progress=None if bar is None else _question_progress(bar),
        judge=judge,
        repeat=args.repeat,
        jobs=args.jobs,
    )
    if bar is not None:
        bar.close()
    return report


def _question_progress(bar: tqdm) -> Callable[[int, int], None]:
    """`progress` for evaluate: one step per question asked."""
    return lambda done, total: bar.update(1)


def _judge(assistant: Assistant) -> Callable[[str, Answer], float | None]:
    from .evaluation import QuestionSetError, llm_judge

    if assistant.llm is None:
        raise QuestionSetError("--judge cần một LLM: chọn --backend openai:<mô hình> hoặc llamacpp:<tệp .gguf>.")
    return llm_judge(assistant)


def _exit_code(report: Report, with_baseline: bool, fail_under: float | None) -> int:
    """1 when any question fails (as pytest does); with a baseline, only when one that passed there
    fails now; with --fail-under, (also) when the pass rate is under it."""
    failed_ids = [r.id for r in report.results if not r.passed]
    fatal = report.flips["regressed"] if with_baseline else ([] if fail_under is not None else failed_ids)
    if with_baseline:
        _print_baseline_failures(report)
    elif failed_ids:
        print(f"{len(failed_ids)} câu trượt: " + ", ".join(failed_ids), file=sys.stderr)
    failed = bool(fatal)
    if fail_under is not None and (report.summary["pass_rate"] or 0) < fail_under:
        print(f"Tỉ lệ đạt {report.summary['pass_rate']:.1%} thấp hơn ngưỡng {fail_under:.1%}.", file=sys.stderr)
        failed = True
    return 1 if failed else 0


def _print_baseline_failures(report: Report) -> None:
    """Regressions (fatal), then failures the baseline had or does not know (listed only)."""
    if report.flips["regressed"]:
        print(
            f"{len(report.flips['regressed'])} câu đạt ở kết quả gốc nay trượt: "
            + ", ".join(report.flips["regressed"]),
            file=sys.stderr,
        )
    if report.known_failures():
        print("Đã trượt từ kết quả gốc (không tính là lỗi): " + ", ".join(report.known_failures()), file=sys.stderr)
    if report.new_failures():
        print(
            "Câu mới, chưa có trong kết quả gốc, đang trượt (không tính là lỗi): " + ", ".join(report.new_failures()),
            file=sys.stderr,
        )


if __name__ == "__main__":
    sys.exit(main())
