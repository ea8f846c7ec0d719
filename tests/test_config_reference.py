"""The documentation cannot drift from the code: docs/configuration.md lists every configuration key
and every ASSISTANT_* environment variable exactly once, and nothing the code does not accept; every
relative link of the README and docs/ resolves; the README stays a short front door.

Everything is found by introspection (the config dataclasses, a scan of the source), so keys and
variables can move between modules without touching this file."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
REFERENCE = DOCS / "configuration.md"
README_LIMIT = 10_000  # bytes

ENV_NAME = re.compile(r"\bASSISTANT_[A-Z0-9_]+")
TYPE_NAMES = {str: "string", int: "integer", float: "float", bool: "boolean"}


# --- reading markdown ------------------------------------------------------------------------------


def _without_code_blocks(text: str) -> str:
    """The text with fenced code blocks blanked (line count kept)."""
    out, fence = [], None
    for line in text.split("\n"):
        stripped = line.lstrip()
        marker = stripped[:3] if stripped[:3] in ("```", "~~~") else None
        if fence is None and marker:
            fence = marker
            out.append("")
        elif fence is not None:
            if marker == fence:
                fence = None
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def _cells(line: str) -> list[str]:
    """The cells of a table row, splitting on | outside `code`."""
    cells, current, in_code = [], [], False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    cells.append("".join(current).strip())
    return cells


def _tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every markdown table outside code blocks: (header cells, rows of cells)."""
    tables, block = [], []
    for line in _without_code_blocks(text).split("\n") + [""]:
        if line.lstrip().startswith("|"):
            block.append(line)
            continue
        if len(block) >= 2 and re.fullmatch(r"[\s|:-]+", block[1]):
            tables.append((_cells(block[0]), [_cells(row) for row in block[2:]]))
        block = []
    return tables


def _column(name: str) -> list[tuple[str, list[str], dict[str, str]]]:
    """(cell, names in backticks, the whole row by header) for every row of every table of the
    reference that has a column headed `name`."""
    found = []
    for header, rows in _tables(REFERENCE.read_text(encoding="utf-8")):
        lowered = [h.lower() for h in header]
        if name not in lowered:
            continue
        i = lowered.index(name)
        for row in rows:
            cell = row[i] if i < len(row) else ""
            found.append((cell, re.findall(r"`([^`]+)`", cell), dict(zip(lowered, row))))
    return found


def _documented_env() -> list[str]:
    return [n for _, names, _ in _column("environment variable") for n in names]


def _documented_keys() -> list[tuple[str, dict[str, str]]]:
    return [(names[0], row) for cell, names, row in _column("key") if names]


# --- reading the code ------------------------------------------------------------------------------


def _sources() -> list[Path]:
    return sorted((ROOT / "assistant").rglob("*.py")) + [ROOT / "app.py"]


def _source_env_names() -> dict[str, set[str]]:
    """ASSISTANT_* names written in the source, literally or as a prefix constant + a suffix
    (ENV_PREFIX + "HOST", f"{ENV_PREFIX}HOST"); names that are only prefixes (ending in _) are not."""
    texts = {p: p.read_text(encoding="utf-8") for p in _sources()}
    constant = re.compile(r"^\s*([A-Z_][A-Z0-9_]*)\s*(?::\s*\w+)?\s*=\s*[\"']ASSISTANT_[\"']", re.MULTILINE)
    prefixes = {m.group(1) for text in texts.values() for m in constant.finditer(text)}
    names: dict[str, set[str]] = {}
    for path, text in texts.items():
        where = str(path.relative_to(ROOT))
        found = [m.group(0) for m in ENV_NAME.finditer(text)]
        for prefix in prefixes:
            found += [
                "ASSISTANT_" + m.group(1) for m in re.finditer(rf"\b{prefix}\s*\+\s*[\"']([A-Z0-9_]+)[\"']", text)
            ]
            found += ["ASSISTANT_" + m.group(1) for m in re.finditer(rf"\{{{prefix}\}}([A-Z0-9_]+)", text)]
        for name in found:
            if not name.endswith("_"):
                names.setdefault(name, set()).add(where)
    return names


def _config_keys() -> dict[str, object]:
    """Every key load_config accepts, dotted (`section.key`, or `key` at the top), with its default.

    load_config flattens the TOML tables to dotted keys and sets each on a `Config` by walking its
    attributes: a dataclass attribute is a section, any other field a key. So the keys are the leaf
    fields of a default `Config`, wherever their dataclasses are defined."""
    from assistant.config import Config

    def walk(obj, prefix: str):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                yield from walk(value, f"{prefix}{f.name}.")
            else:
                yield f"{prefix}{f.name}", value

    return dict(walk(Config(), ""))


def _get(config, dotted: str):
    for part in dotted.split("."):
        config = getattr(config, part)
    return config


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _other_value(value):
    """A value of the same type that differs from `value`, as an environment string."""
    if isinstance(value, bool):
        return "false" if value else "true"
    if isinstance(value, int):
        return str(value + 1)
    if isinstance(value, float):
        return str(value + 1.5)
    return "docs-reference-check"


# --- (a) environment variables ---------------------------------------------------------------------


def test_every_environment_variable_of_the_source_is_documented_exactly_once():
    documented = _documented_env()
    source = _source_env_names()
    assert source, "no ASSISTANT_* name found in the source: is the scan broken?"
    problems = [
        f"{name} (used in {', '.join(sorted(where))}): documented {documented.count(name)} times"
        for name, where in sorted(source.items())
        if documented.count(name) != 1
    ]
    assert not problems, "docs/configuration.md must define each of these once:\n" + "\n".join(problems)


def test_every_documented_environment_variable_exists_in_the_code():
    """A documented name is read by the code: written in the source, or the variable of a key
    (which test_each_key_s_environment_variable_sets_that_key checks load_config reads)."""
    source = _source_env_names()
    documented = _documented_env()
    of_a_key = {names[0] for _, names, row in _column("environment variable") if names and row.get("key")}
    repeated = sorted({n for n in documented if documented.count(n) > 1})
    unknown = sorted(n for n in documented if n not in source and n not in of_a_key)
    assert not repeated, f"documented more than once: {repeated}"
    assert not unknown, f"documented in docs/configuration.md but read nowhere in the code: {unknown}"


def test_each_key_s_environment_variable_sets_that_key():
    """The variable in a key's row really sets it: load_config reads it from the environment."""
    from assistant.config import load_config
    from assistant.errors import ConfigError

    defaults = _config_keys()
    wrong = []
    for key, row in _documented_keys():
        names = re.findall(r"`([^`]+)`", row.get("environment variable", ""))
        if key not in defaults:
            continue  # reported by the key tests
        if len(names) != 1:
            wrong.append(f"{key}: its row names {names or 'no'} environment variable")
            continue
        raw = _other_value(defaults[key])
        try:
            config = load_config(None, environ={names[0]: raw})
        except ConfigError as exc:  # a value outside the key's choices: the message names the key
            if key not in str(exc):
                wrong.append(f"{key}: {names[0]}={raw} failed without naming the key: {exc}")
            continue
        default = defaults[key]
        expected = raw == "true" if isinstance(default, bool) else type(default)(raw)
        if _get(config, key) != expected:
            wrong.append(f"{key}: {names[0]}={raw} left it {_get(config, key)!r}")
    assert not wrong, "\n".join(wrong)


# --- (b) TOML keys -----------------------------------------------------------------------------------


def test_every_configuration_key_is_documented_exactly_once_and_none_other():
    accepted = _config_keys()
    documented = [key for key, _ in _documented_keys()]
    assert len(accepted) > 10, "the config dataclasses were not found"
    undocumented = sorted(k for k in accepted if documented.count(k) == 0)
    repeated = sorted({k for k in documented if documented.count(k) > 1})
    unknown = sorted(k for k in documented if k not in accepted)
    assert not undocumented, f"keys missing from docs/configuration.md: {undocumented}"
    assert not repeated, f"keys documented more than once: {repeated}"
    assert not unknown, f"documented keys the loader does not accept: {unknown}"


def test_the_documented_keys_load_from_a_toml_file(tmp_path):
    """Every documented key, written in a TOML file the way the reference names it (`key` under
    `[section]` for `section.key`), is read by load_config: numbers and booleans are given another
    value than the default and must arrive; strings keep theirs (some have a fixed set of choices)."""
    from assistant.config import load_config

    defaults = _config_keys()
    expected, top, sections = {}, [], {}
    for key, _ in _documented_keys():
        if key not in defaults:
            continue  # reported by test_every_configuration_key_is_documented_exactly_once_and_none_other
        default = defaults[key]
        value = (
            default
            if isinstance(default, str)
            else type(default)(_other_value(default) == "true" if isinstance(default, bool) else _other_value(default))
        )
        expected[key] = value
        *section, name = key.split(".")
        line = f"{name} = {_toml_value(value)}"
        if section:
            sections.setdefault(".".join(section), []).append(line)
        else:
            top.append(line)
    text = "\n".join(top + [f"\n[{s}]\n" + "\n".join(lines) for s, lines in sections.items()]) + "\n"
    path = tmp_path / "every-key.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, environ={})
    wrong = [
        f"{key} = {_toml_value(value)} in the file, read as {_get(config, key)!r}"
        for key, value in expected.items()
        if _get(config, key) != value
    ]
    assert not wrong, "\n".join(wrong)


def test_documented_types_and_defaults_are_the_code_s():
    import tomllib

    defaults = _config_keys()
    wrong = []
    for key, row in _documented_keys():
        if key not in defaults:
            continue
        default = defaults[key]
        if row.get("type") != TYPE_NAMES[type(default)]:
            wrong.append(f"{key}: type {row.get('type')!r}, the code's is {TYPE_NAMES[type(default)]}")
        cell = row.get("default", "")
        literal = re.fullmatch(r"`([^`]*)`", cell)
        if literal:
            try:
                value = tomllib.loads(f"v = {literal.group(1)}")["v"]
            except tomllib.TOMLDecodeError:
                wrong.append(f"{key}: default {cell} is not a TOML value")
                continue
            if value != default or type(value) is not type(default):
                wrong.append(f"{key}: default {cell}, the code's is {_toml_value(default)}")
        elif not (isinstance(default, str) and Path(default).is_absolute()):
            wrong.append(f"{key}: default {cell!r} should be `{_toml_value(default)}` (only paths are described)")
    assert not wrong, "\n".join(wrong)


# --- (c) links ------------------------------------------------------------------------------------------

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _pages() -> list[Path]:
    return [README] + sorted(DOCS.glob("*.md"))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors, seen = set(), {}
    for line in _without_code_blocks(path.read_text(encoding="utf-8")).split("\n"):
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            slug = _slug(m.group(1))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def _links(path: Path) -> list[str]:
    text = _without_code_blocks(path.read_text(encoding="utf-8"))
    text = re.sub(r"(`+)(?:(?!\1).)+?\1", "", text)  # inline code
    return [m.group(1) for m in LINK.finditer(text)]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files_and_headings(page):
    broken = []
    for target in _links(page):
        if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target):
            continue  # http:, https:, mailto:
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading with that anchor in {dest.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_every_docs_page_is_reachable_from_the_readme():
    seen, todo = set(), [README.resolve()]
    while todo:
        page = todo.pop()
        if page in seen or page.suffix != ".md" or not page.exists():
            continue
        seen.add(page)
        for target in _links(page):
            file_part = target.partition("#")[0]
            if file_part and not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                todo.append((page.parent / file_part).resolve())
    orphans = sorted(str(p.relative_to(ROOT)) for p in DOCS.glob("*.md") if p.resolve() not in seen)
    assert not orphans, f"docs pages no link leads to: {orphans}"


# --- (d) the README ----------------------------------------------------------------------------------


def test_the_readme_is_a_short_front_door_with_the_two_commands():
    data = README.read_bytes()
    assert len(data) < README_LIMIT, f"README.md is {len(data)} bytes; move detail to docs/"
    text = data.decode("utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, re.DOTALL)
    commands = [line.split("#")[0].strip() for block in blocks for line in block.split("\n")]
    assert "make chat" in commands and "make test" in commands, "README.md must show `make chat` and `make test`"
    # The first code block is the one for a fresh machine: those two commands and nothing else.
    first = [line.split("#")[0].strip() for line in blocks[0].split("\n")]
    assert [c for c in first if c] == ["make chat", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^chat:", makefile, re.MULTILINE) and re.search(r"^test:", makefile, re.MULTILINE)
    ci = ROOT / ".ci" / "run"
    if ci.exists():
        ci_text = ci.read_text(encoding="utf-8")
        assert re.search(r"^\s*make test\s*$", ci_text, re.MULTILINE), ".ci/run no longer runs `make test`"
