"""`assistant` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import json
import os
import sys

from .errors import AssistantError

EPILOG = "Cấu hình: tệp TOML (--config hoặc $ASSISTANT_CONFIG), ghi đè bởi biến môi trường ASSISTANT_*, rồi bởi các cờ."


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index-dir", help="thư mục chỉ mục (mặc định: index/)")
    parser.add_argument("--config", help="tệp cấu hình TOML")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Hỏi đáp tài liệu tiếng Việt có trích dẫn.",
                                     epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="lập chỉ mục tệp và thư mục")
    p.add_argument("paths", nargs="+", help="tệp hoặc thư mục (.txt .md .html .pdf .docx .jsonl)")
    p.add_argument("--add", action="store_true", help="chỉ thêm/cập nhật, không xóa tài liệu đã có")
    p.add_argument("--rebuild", action="store_true", help="xây dựng lại từ đầu (vd. khi đổi mô hình nhúng)")
    _common(p)

    p = sub.add_parser("ask", help="đặt câu hỏi")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    p.add_argument("--backend", help="bộ trả lời: extractive, openai:<mô hình>, llamacpp:<tệp .gguf>")
    _common(p)

    p = sub.add_parser("retrieve", help="tìm các đoạn văn liên quan")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="số đoạn trả về")
    p.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    _common(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except AssistantError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Đã dừng. Chỉ mục trước đó vẫn nguyên vẹn.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def _run(args: argparse.Namespace) -> int:
    from .api import Assistant
    from .config import load_config

    overrides = {"index_dir": args.index_dir, "answer.backend": getattr(args, "backend", None)}
    config = load_config(args.config, overrides)
    if args.command == "index":
        assistant = Assistant(config=config, open_now=False)
        result = assistant.index(args.paths, replace=not args.add, rebuild=args.rebuild)
        for problem in result.problems:
            print(f"Bỏ qua {problem}", file=sys.stderr)
        r = result.report
        if r.unchanged:
            print(f"Không có thay đổi: {r.documents} tài liệu, {r.chunks} đoạn (không cần nhúng lại).")
        else:
            print(f"Đã lập chỉ mục {r.documents} tài liệu, {r.chunks} đoạn vào {config.index_dir}: "
                  f"thêm {len(r.added)}, cập nhật {len(r.changed)}, xóa {len(r.removed)}; "
                  f"đã nhúng {r.embedded} đoạn trong {r.seconds_total:.1f} giây.")
        return 0

    assistant = Assistant(config=config)
    if args.command == "ask":
        if args.json:
            _print_json(assistant.ask(args.question).to_dict())
            return 0
        shown = ""
        for item in assistant.ask_stream(args.question):
            if isinstance(item, str):
                print(item, end="", flush=True)
                shown += item
                continue
            answer = item
        if answer.text != shown:  # the verified answer differs from what was streamed: show it whole
            print(("\n\n" if shown else "") + answer.text, end="")
        print()
        if answer.notice:
            print(f"\n({answer.notice})")
        for c in answer.citations:
            print(f"\n[{c.marker}] {c.title} — {c.source} (ký tự {c.start}–{c.end})\n    {c.sentence}")
        return 0
    passages = assistant.retrieve(args.question, k=args.k)
    if args.json:
        _print_json([p.to_dict() for p in passages])
    else:
        for n, p in enumerate(passages, 1):
            print(f"[{n}] {p.score:.4f}  {p.title} — {p.source} (ký tự {p.start}–{p.end})")
            print("    " + p.text.replace("\n", "\n    ") + "\n")
        if not passages:
            print("Không tìm thấy đoạn văn nào.")
    return 0


def _print_json(data) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
