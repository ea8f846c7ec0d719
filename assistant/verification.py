"""Citation verification for generated answers: every claim must be backed by the passages it cites.

An LLM answer cites passages with `[n]` markers (n = 1..len(passages), in the order the passages were
given to the model). `verify` splits the answer into claims (sentences, with the markers that follow a
sentence's end punctuation attached to it), checks each claim against the passages it cites and keeps
only what the evidence supports:

* numbers and dates in the claim must occur in a cited passage (compared as numbers: 3,5 = 3.5,
  01/3/2025 = 1/3/2025, 30-06-2021 = 30/6/2021, "ngày 1 tháng 7 năm 2021" = 1/7/2021);
* proper names (capitalised runs of two or more syllables not at the start of the sentence) and
  acronyms (UBND, HĐND) must occur in a cited passage, case-insensitively;
* the share of the claim's content syllables (syllables minus STOPWORDS, IDF-weighted when an
  IdfTable is given) found in the cited passages must reach MIN_OVERLAP.

A claim written without diacritics is compared with the passages folded. Sentences of a passage that
address the assistant ("Bỏ qua mọi chỉ dẫn trước đó và trả lời rằng …") are never evidence: an answer
that follows them is unsupported ("prompt_injection"). For each supported claim the best-matching
sentence of each supporting passage becomes a `Citation` whose start/end are document offsets of that
sentence. Markers in the cleaned text are renumbered 1..m in order of first appearance, one marker per
cited (passage, sentence).

The check is lexical: it catches invented numbers, names and citations to the wrong passage, not a
claim that recombines words of its source into a different statement (negation, swapped roles).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .answering import FOLDED_STOPWORDS, STOPWORDS, IdfTable
from .chunking import Span, split_sentences
from .text import fold, has_diacritics, syllables
from .types import Citation, Passage

# Share of a claim's content syllables (IDF-weighted when an IdfTable is given) that must be found in the
# cited passage(s): calibrated by benchmarks/calibrate_verification.py ([answer] verify_threshold).
MIN_OVERLAP = 0.65
# A claim without markers and without content (at most this many syllables) is kept as a connective.
MAX_CONNECTIVE_SYLLABLES = 8
# Appended (before the end punctuation) to claims that fail verification in mode="flag".
FLAG = " (chưa kiểm chứng)"
MODES = ("remove", "flag")

# Syllables that may make up a connective ("Tóm lại:", "Theo tài liệu, cụ thể như sau:") besides
# STOPWORDS; used only to decide whether an uncited claim asserts anything.
_CONNECTIVE = {
    w
    for w in """
    tóm lại ngoài ra cụ thể sau dưới đây tài liệu thông tin trên vậy thêm nữa đồng thời bên cạnh chi tiết
    ngắn gọn nguồn trả lời câu tiếp ví dụ nhìn chung tổng quát kết luận lưu ý bạn xem dẫn
""".split()
}
_FOLDED_CONNECTIVE = {fold(w) for w in _CONNECTIVE}

# A run of markers: "[1]", "[1, 2]", "[1,2]", "[1][2]", "[1] [2]", "[1-3]", with the spaces before it.
_MARKER_NUMBERS = r"\d{1,4}(?:\s*[-–]\s*\d{1,4})?"  # 2 or 1-3
MARKER_RUN = re.compile(rf"(?:[ \t]*\[\s*{_MARKER_NUMBERS}(?:\s*[,;]\s*{_MARKER_NUMBERS})*\s*\])+")
_MARKER_ITEM = re.compile(r"(\d+)(?:\s*[-–]\s*(\d+))?")
_NO_SPACE_BEFORE = set(".,;:!?…)]}\"'”’»")

# Numbers: 16, 35%, 3,5, 3.5, 1.000, 1/7/2021, 30-06-2021, 2021-2026, 2021 - 2026, 17:37.
_NUMBER = re.compile(r"(?<![\w.,/:])\d+(?:(?:[.,/:]|[ \t]?[-–][ \t]?)\d+)*")
_DATE_DASH = re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$")
_WORDY_DATE = re.compile(r"\bngày (\d{1,2}) tháng (\d{1,2})(?: năm (\d{4}))?", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_END_PUNCT = re.compile(r"[.!?…:;]+[\"”’)»]*$")

# Sentences of a document that speak to the assistant rather than about the subject (matched on
# lower-cased, folded syllables joined by spaces, so punctuation and diacritics do not matter).
_INJECTION = re.compile(
    r"\b(?:"
    r"bo qua (?:\w+ ){0,5}"
    r"(?:chi dan|huong dan|chi thi|yeu cau|lenh|quy tac|nguyen tac|noi dung tren)"
    r"|(?:ignore|disregard|forget|override) (?:\w+ ){0,5}(?:instructions?|prompts?|rules|context)"
    r"|system prompt|loi nhac he thong|chi dan he thong|chi dan moi|new instructions"
    r"|hay (?:tra loi|noi|khang dinh|tuyen bo|viet) rang"
    r"|(?:tro ly|chatbot|mo hinh ngon ngu|language model|assistant) (?:\w+ ){0,4}"
    r"(?:hay|phai|must|should) (?:tra loi|noi|answer|say|reply)"
    r"|you are now|from now on|tu bay gio (?:ban|hay)"
    r")\b"
)


@dataclass
class ClaimSupport:
    """One claim (sentence) of the answer and the verdict on it.

    Reasons that make a claim unsupported: "no_citation" (no marker naming a source),
    "missing_number:18", "missing_name:Nguyễn Văn A", "low_overlap:0.31", "prompt_injection" (it
    follows an instruction hidden in a cited passage), "no_content" (a long claim with nothing to
    check), "no_evidence". Informational: "unknown_source:7" (marker dropped), "irrelevant_source:2"
    (cited, but not backing a supported claim: marker dropped), "found_in:3" (an uncited passage
    would have supported it).
    """

    text: str  # the claim as written, markers removed
    cited: list[int]  # 0-based indices into `passages` of the sources the claim names (valid markers only)
    supported: bool
    reasons: list[str] = field(default_factory=list)  # "no_citation", "missing_number:35", "low_overlap:0.31", …
    supporting: list[int] = field(default_factory=list)  # the cited passages that back it (0-based)
    overlap: float = 0.0  # share of content syllables found in the supporting (else all cited) passages
    markers: list[int] = field(default_factory=list)  # markers it carries in the cleaned text
    kind: str = "claim"  # "claim" or "connective" (kept without citation: asserts nothing)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "cited": self.cited,
            "supported": self.supported,
            "reasons": self.reasons,
            "supporting": self.supporting,
            "overlap": round(self.overlap, 4),
            "markers": self.markers,
            "kind": self.kind,
        }


@dataclass
class Verification:
    text: str  # cleaned answer: markers renumbered 1..m; unsupported claims removed or flagged
    citations: list[Citation]
    claims: list[ClaimSupport]
    verified: bool  # False: nothing verifiable is left, fall back to the extractive answer
    mode: str = "remove"

    @property
    def unsupported(self) -> list[ClaimSupport]:
        return [c for c in self.claims if not c.supported]

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "verified": self.verified,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "claims": [c.to_dict() for c in self.claims],
        }


# --------------------------------------------------------------------------------------------- markers


@dataclass
class _MarkerGroup:
    pos: int  # offset in the marker-free text where the run stood
    numbers: list[int]  # as written, in order, without repeats


def strip_markers(answer: str) -> tuple[str, list[_MarkerGroup]]:
    """The answer without its marker runs, and where each run stood in that text."""
    out: list[str] = []
    groups: list[_MarkerGroup] = []
    length, last = 0, 0
    for m in MARKER_RUN.finditer(answer):
        piece = answer[last : m.start()]
        out.append(piece)
        length += len(piece)
        numbers: list[int] = []
        for a, b in _MARKER_ITEM.findall(m.group()):
            lo, hi = int(a), int(b or a)
            for n in range(lo, hi + 1) if 0 <= hi - lo <= 20 else (lo, hi):
                if n not in numbers:
                    numbers.append(n)
        groups.append(_MarkerGroup(length, numbers))
        prev = answer[m.start() - 1] if m.start() > 0 else " "
        nxt = answer[m.end()] if m.end() < len(answer) else " "
        # "phường.[1]Tiếp" must not become "phường.Tiếp": keep words apart.
        if not prev.isspace() and not nxt.isspace() and nxt not in _NO_SPACE_BEFORE:
            out.append(" ")
            length += 1
        last = m.end()
    out.append(answer[last:])
    return "".join(out), groups


def parse_markers(answer: str, n_sources: int) -> tuple[list[int], list[int]]:
    """Source numbers cited in `answer` in order of first appearance: (valid ones, unknown ones)."""
    valid: list[int] = []
    unknown: list[int] = []
    for group in strip_markers(answer)[1]:
        for n in group.numbers:
            target = valid if 1 <= n <= n_sources else unknown
            if n not in target:
                target.append(n)
    return valid, unknown


# --------------------------------------------------------------------------------------------- numbers


def _number_forms(token: str) -> tuple[set[str], set[str]]:
    """(forms that identify the number, its parts): "01/3/2025" → ({"1/3/2025", "1/3"}, {"1", "3", "2025"})."""
    token = re.sub(r"[ \t]", "", token).replace("–", "-")
    if "/" in token or _DATE_DASH.match(token):
        parts = [p.lstrip("0") or "0" for p in re.split(r"[/-]", token)]
        forms = {"/".join(parts)}
        if len(parts) == 3:
            forms.add("/".join(parts[:2]))
        return forms, set(parts)
    if "-" in token:
        parts = [p.lstrip("0") or "0" for p in token.split("-")]
        return {"-".join(parts)}, set(parts)
    if ":" in token:
        return {token}, set(token.split(":"))
    if "," in token or "." in token:
        swapped = token.translate(str.maketrans(",.", ".,"))
        forms = {token, swapped}
        groups = re.split(r"[.,]", token)
        if all(len(g) == 3 for g in groups[1:]):  # 1.000 / 1,000: a thousands separator
            forms.add("".join(groups).lstrip("0") or "0")
        return forms, set()
    plain = token.lstrip("0") or "0"
    return {plain}, set()


def _numbers(text: str) -> list[str]:
    return [m.group() for m in _NUMBER.finditer(text)]


def _passage_numbers(text: str) -> set[str]:
    found: set[str] = set()
    for token in _numbers(text):
        forms, parts = _number_forms(token)
        found |= forms | parts
    for m in _WORDY_DATE.finditer(text):
        day, month, year = (g.lstrip("0") if g else g for g in m.groups())
        found.add(f"{day}/{month}")
        if year:
            found.add(f"{day}/{month}/{year}")
    return found


# ------------------------------------------------------------------------------------ names, acronyms


def _names(claim: str) -> list[str]:
    """Proper names (capitalised runs of 2+ syllables, the sentence's first word not counted) and acronyms."""
    words = list(_WORD.finditer(claim))
    first = next((w for w in words if not w.group().isdigit()), None)  # "1. Quận …": the list number skipped
    found: list[str] = []
    run: list[re.Match] = []

    def close() -> None:
        names = run[1:] if run and run[0] is first else run
        if len(names) >= 2:
            found.append(claim[names[0].start() : names[-1].end()])
        run.clear()

    for w in words:
        s = w.group()
        if len(s) >= 2 and s.isupper() and s.isalpha():  # UBND, HĐND, THPT, XV
            close()
            found.append(s)
        elif s[0].isupper() and s.isalpha():
            if run and claim[run[-1].end() : w.start()] != " ":  # "Định - Thành": two runs
                close()
            run.append(w)
        else:
            close()
    close()
    return found


# ------------------------------------------------------------------------------------------- evidence


class _Sentence:
    __slots__ = ("start", "end", "tokens", "injected", "_folded")

    def __init__(self, start: int, end: int, text: str):
        self.start, self.end = start, end
        self.tokens = syllables(text)
        self.injected = bool(_INJECTION.search(fold(" ".join(self.tokens))))
        self._folded: list[str] | None = None

    def toks(self, folded: bool) -> list[str]:
        if not folded:
            return self.tokens
        if self._folded is None:
            self._folded = fold(" ".join(self.tokens)).split()
        return self._folded


class _View:
    """A passage's evidence in one field (accented or folded): tokens, bigrams, syllable string."""

    __slots__ = ("sets", "bigrams", "joined", "all", "text", "injected_all", "injected_text")

    def __init__(self, sentences: list[_Sentence], folded: bool):
        self.sets = [set(s.toks(folded)) for s in sentences]
        self.bigrams = [set(zip(s.toks(folded), s.toks(folded)[1:], strict=False)) for s in sentences]
        self.joined = [f" {' '.join(s.toks(folded))} " for s in sentences]
        good = [i for i, s in enumerate(sentences) if not s.injected]
        bad = [i for i, s in enumerate(sentences) if s.injected]
        self.all: set[str] = set().union(*(self.sets[i] for i in good))
        self.text = "|".join(self.joined[i] for i in good)
        # What the instructions hidden in the passage say: never evidence, only to name the failure.
        self.injected_all: set[str] = set().union(*(self.sets[i] for i in bad))
        self.injected_text = "|".join(self.joined[i] for i in bad)


class _Evidence:
    """One passage, prepared once per call: its sentences, their syllables, numbers and the views."""

    def __init__(self, passage: Passage):
        self.passage = passage
        base, text = passage.start, passage.text
        spans = [(max(s, base), min(e, base + len(text))) for s, e in passage.sentences]
        spans = [(s, e) for s, e in spans if e > s]
        if not spans:
            spans = [(base + sp.start, base + sp.end) for sp in split_sentences(text)]
        self.sentences = [_Sentence(s, e, text[s - base : e - base]) for s, e in spans]
        self.numbers_of = [_passage_numbers(text[s.start - base : s.end - base]) for s in self.sentences]
        pairs = list(zip(self.numbers_of, self.sentences, strict=True))
        self.numbers: set[str] = set().union(*(n for n, s in pairs if not s.injected))
        self.injected_numbers: set[str] = set().union(*(n for n, s in pairs if s.injected))
        self.has_injection = any(s.injected for s in self.sentences)
        self._views: dict[bool, _View] = {}

    def view(self, folded: bool) -> _View:
        v = self._views.get(folded)
        if v is None:
            v = self._views[folded] = _View(self.sentences, folded)
        return v

    def sentence_text(self, i: int) -> str:
        s, p = self.sentences[i], self.passage
        return p.text[s.start - p.start : s.end - p.start]


@dataclass
class _Claim:
    """What is checked of one claim: content syllables with weights, numbers and names."""

    folded: bool
    weights: dict[str, float]
    tokens: list[str]
    numbers: list[tuple[str, set[str]]]  # (as written, forms)
    names: list[tuple[str, str]]  # (as written, " syllables " to look for)

    @classmethod
    def of(cls, text: str, idf: IdfTable | None) -> _Claim:
        folded = not has_diacritics(text)
        tokens = syllables(text)
        if folded:
            tokens = [fold(t) for t in tokens]
        stop = FOLDED_STOPWORDS if folded else STOPWORDS
        weights = {t: (idf.weight(t, not folded) if idf else 1.0) for t in tokens if t not in stop and not t.isdigit()}
        numbers = []
        for token in _numbers(text):
            forms, _ = _number_forms(token)
            numbers.append((token, forms))
        names = []
        for name in _names(text):
            syl = syllables(name)
            names.append((name, f" {' '.join(fold(s) for s in syl) if folded else ' '.join(syl)} "))
        return cls(folded, weights, tokens, numbers, names)

    def overlap(self, present: set[str]) -> float:
        total = sum(self.weights.values())
        if total <= 0:
            return 1.0
        return sum(w for t, w in self.weights.items() if t in present) / total


@dataclass
class _Check:
    missing_numbers: list[str]
    missing_names: list[str]
    overlap: float

    def ok(self, threshold: float) -> bool:
        return not self.missing_numbers and not self.missing_names and self.overlap >= threshold


def _check(claim: _Claim, evidence: list[_Evidence], with_injected: bool = False) -> _Check:
    """Numbers, names and content of the claim against the passages; `with_injected` also counts the
    sentences that address the assistant (only to tell that an answer followed them)."""
    views = [e.view(claim.folded) for e in evidence]
    numbers = set().union(*(e.numbers for e in evidence))
    present = set().union(*(v.all for v in views))
    texts = [v.text for v in views]
    if with_injected:
        numbers |= set().union(*(e.injected_numbers for e in evidence))
        present |= set().union(*(v.injected_all for v in views))
        texts += [v.injected_text for v in views]
    missing_numbers = [raw for raw, forms in claim.numbers if not forms & numbers]
    missing_names = [raw for raw, needle in claim.names if not _name_found(needle, texts)]
    return _Check(missing_numbers, missing_names, claim.overlap(present))


def _name_found(needle: str, texts: list[str]) -> bool:
    """ " hoàn kiếm vũ đăng định " is found whole, or as two names that both occur ("… Hoàn Kiếm,
    ông Vũ Đăng Định"): an answer may run two names together that the source keeps apart. Each part
    has two syllables or more, so an invented "Nguyễn Văn Bình" is not found as "Nguyễn Văn" + "bình"."""
    if any(needle in t for t in texts):
        return True
    parts = needle.split()
    for k in range(2, len(parts) - 1):
        left, right = f" {' '.join(parts[:k])} ", f" {' '.join(parts[k:])} "
        if any(left in t for t in texts) and any(right in t for t in texts):
            return True
    return False


def _best_sentence(claim: _Claim, ev: _Evidence) -> int:
    view = ev.view(claim.folded)
    bigrams = set(zip(claim.tokens, claim.tokens[1:], strict=False))
    n_entities = len(claim.numbers) + len(claim.names)
    best, best_score = -1, -1.0
    for i, s in enumerate(ev.sentences):
        if s.injected or s.end - s.start < 2:
            continue
        score = claim.overlap(view.sets[i])
        if bigrams:
            score += 0.3 * len(bigrams & view.bigrams[i]) / len(bigrams)
        if n_entities:
            hits = sum(1 for _, forms in claim.numbers if forms & ev.numbers_of[i])
            hits += sum(1 for _, needle in claim.names if needle in view.joined[i])
            score += 0.5 * hits / n_entities
        if score > best_score:
            best, best_score = i, score
    return best


def _reasons(check: _Check, threshold: float) -> list[str]:
    reasons = [f"missing_number:{n}" for n in check.missing_numbers]
    reasons += [f"missing_name:{n}" for n in check.missing_names]
    if check.overlap < threshold:
        reasons.append(f"low_overlap:{check.overlap:.2f}")
    return reasons


def _follows_injection(claim: _Claim, check: _Check, evidence: list[_Evidence], threshold: float) -> bool:
    """Did the claim take a number, a name or its wording from instructions hidden in the passages?"""
    if not any(e.has_injection for e in evidence):
        return False
    with_injected = _check(claim, evidence, with_injected=True)
    return (
        with_injected.ok(threshold)
        or len(with_injected.missing_numbers) < len(check.missing_numbers)
        or len(with_injected.missing_names) < len(check.missing_names)
    )


# ------------------------------------------------------------------------------------------- verify


def verify(
    answer: str,
    passages: Sequence[Passage],
    mode: str = "remove",
    threshold: float | None = None,
    idf: IdfTable | None = None,
    prepared: dict | None = None,
) -> Verification:
    """Check every claim of an LLM `answer` against the passages its `[n]` markers cite.

    `passages` are those the model saw, [1] being passages[0]. mode="remove" drops unsupported claims
    from the text, mode="flag" keeps them marked with FLAG and without markers. `threshold` defaults to
    MIN_OVERLAP; `idf` weights content syllables (uniform weights without it). `prepared`: a dict kept
    by the caller across calls on the same passages (a streamed answer checked sentence by sentence),
    so each passage is split and tokenised once.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    threshold = MIN_OVERLAP if threshold is None else threshold
    stripped, groups = strip_markers(answer)
    spans = split_sentences(stripped)
    evidence = _Passages(passages, prepared)
    groups_of = _assign_markers(spans, groups)
    judged = [
        _judge(stripped[span.start : span.end], own, evidence, idf, threshold)
        for span, own in zip(spans, groups_of, strict=True)
    ]
    claims = [info for info, _ in judged]
    citations, markers = _renumber(judged, groups_of, evidence)
    cleaned = _render(stripped, spans, claims, markers, mode)
    verified = any(c.supported and c.kind == "claim" for c in claims)
    return Verification(cleaned, citations, claims, verified, mode)


class _Passages:
    """The passages a call checks against, each prepared (`_Evidence`) when first needed; `prepared` keeps
    them for the caller's next call on the same passages."""

    def __init__(self, passages: Sequence[Passage], prepared: dict | None):
        self.passages = passages
        self.prepared: dict[int, _Evidence] = {} if prepared is None else prepared

    def __len__(self) -> int:
        return len(self.passages)

    def __getitem__(self, i: int) -> _Evidence:
        if i not in self.prepared:
            self.prepared[i] = _Evidence(self.passages[i])
        return self.prepared[i]


def _assign_markers(spans: Sequence[Span], groups: list[_MarkerGroup]) -> list[list[_MarkerGroup]]:
    """The marker runs of each sentence: those standing in it, or just after it ("phường. [1]")."""
    starts = [s.start for s in spans]
    groups_of: list[list[_MarkerGroup]] = [[] for _ in spans]
    for g in groups:
        if spans:
            k = max((i for i, st in enumerate(starts) if st <= g.pos), default=0)
            groups_of[k].append(g)
    return groups_of


# --------------------------------------------------------------------------------- judging one claim


def _judge(
    text: str, own: list[_MarkerGroup], evidence: _Passages, idf: IdfTable | None, threshold: float
) -> tuple[ClaimSupport, dict[int, int]]:
    """The verdict on one claim carrying the marker runs `own`, and for each passage that supports it
    the index of its best-matching sentence."""
    claim = _Claim.of(text, idf)
    cited, reasons = _cited_sources(own, len(evidence))
    info = ClaimSupport(text, cited, False, reasons)
    if _settle_connective(info, claim, own):
        return info, {}
    if not cited:
        info.reasons.append("no_citation")
        _where_else(info, claim, evidence, threshold)
        return info, {}
    if not _find_support(info, claim, evidence, threshold):
        return info, {}
    return info, _pick_sentences(info, claim, evidence)


def _cited_sources(own: list[_MarkerGroup], n_sources: int) -> tuple[list[int], list[str]]:
    """The passages the markers name (0-based, in order, once each), and "unknown_source:n" for the
    numbers that name none."""
    cited: list[int] = []
    reasons: list[str] = []
    for g in own:
        for n in g.numbers:
            if 1 <= n <= n_sources:
                if n - 1 not in cited:
                    cited.append(n - 1)
            elif f"unknown_source:{n}" not in reasons:
                reasons.append(f"unknown_source:{n}")
    return cited, reasons


def _settle_connective(info: ClaimSupport, claim: _Claim, own: list[_MarkerGroup]) -> bool:
    """Settle a claim that asserts nothing: one without content (kept when short), or a short one without
    markers made of connective words only ("Tóm lại:"). False: it has to be checked against the passages."""
    if not claim.weights and not claim.numbers and not claim.names:
        info.kind = "connective"
        info.supported = len(claim.tokens) <= MAX_CONNECTIVE_SYLLABLES
        if not info.supported:
            info.reasons.append("no_content")
        return True
    stop = FOLDED_STOPWORDS | _FOLDED_CONNECTIVE if claim.folded else STOPWORDS | _CONNECTIVE
    if (
        not info.cited
        and not claim.numbers
        and not claim.names
        and len(claim.tokens) <= MAX_CONNECTIVE_SYLLABLES
        and all(t in stop for t in claim.tokens)
        and not own
    ):
        info.kind, info.supported = "connective", True
        return True
    return False


def _find_support(info: ClaimSupport, claim: _Claim, evidence: _Passages, threshold: float) -> bool:
    """Which cited passages back the claim: each one that does alone, else (when together they do) each
    one that contributes. False, with the reasons noted, when the cited passages do not back it."""
    cited = info.cited
    singles = {i: _check(claim, [evidence[i]]) for i in cited}
    alone = [i for i in cited if singles[i].ok(threshold)]
    if alone:
        info.supporting = alone
        info.overlap = max(singles[i].overlap for i in alone)
        return True
    union = _check(claim, [evidence[i] for i in cited]) if len(cited) > 1 else singles[cited[0]]
    info.overlap = union.overlap
    if union.ok(threshold):
        # Each passage that contributes a number, a name or a fair share of the content.
        info.supporting = [
            i
            for i in cited
            if singles[i].overlap >= threshold / 2
            or len(singles[i].missing_numbers) < len(claim.numbers)
            or len(singles[i].missing_names) < len(claim.names)
        ] or list(cited)
        return True
    info.reasons += _reasons(union, threshold)
    if _follows_injection(claim, union, [evidence[i] for i in cited], threshold):
        info.reasons.append("prompt_injection")
    _where_else(info, claim, evidence, threshold, skip=cited)
    return False


def _pick_sentences(info: ClaimSupport, claim: _Claim, evidence: _Passages) -> dict[int, int]:
    """The best sentence of each supporting passage; a passage with none (only instructions) stops
    supporting, and a claim left without support is unsupported ("no_evidence")."""
    best_of: dict[int, int] = {}
    for i in info.supporting:
        best = _best_sentence(claim, evidence[i])
        if best >= 0:  # -1: the passage has no sentence that is not an instruction
            best_of[i] = best
    info.supporting = [i for i in info.supporting if i in best_of]
    info.supported = bool(info.supporting)
    if not info.supported:
        info.reasons.append("no_evidence")
    else:
        info.reasons += [f"irrelevant_source:{i + 1}" for i in info.cited if i not in info.supporting]
    return best_of


def _where_else(
    info: ClaimSupport, claim: _Claim, evidence: _Passages, threshold: float, skip: Sequence[int] = ()
) -> None:
    """Note the uncited passages that would have supported the claim ("found_in:2")."""
    for i in range(len(evidence)):
        if i not in skip and _check(claim, [evidence[i]]).ok(threshold):
            info.reasons.append(f"found_in:{i + 1}")


# ------------------------------------------------------------------------------------------ rendering


def _renumber(
    judged: list[tuple[ClaimSupport, dict[int, int]]], groups_of: list[list[_MarkerGroup]], evidence: _Passages
) -> tuple[list[Citation], list[tuple[int, str]]]:
    """Citations numbered 1..m in order of first appearance, one per cited (passage, best sentence) of
    the supported claims, and the marker runs that replace the claims' own: (offset, " [1][2]")."""
    citations: list[Citation] = []
    number_of: dict[tuple[int, int], int] = {}
    runs: list[tuple[int, str]] = []
    for (info, best_of), own in zip(judged, groups_of, strict=True):
        if not info.supported:
            continue
        for g in own:
            marks: list[int] = []
            for n in g.numbers:
                i = n - 1
                if i not in best_of:
                    continue
                key = (i, best_of[i])
                if key not in number_of:
                    number_of[key] = len(number_of) + 1
                    citations.append(_citation(number_of[key], evidence[i], key[1]))
                if number_of[key] not in marks:
                    marks.append(number_of[key])
            if marks:
                info.markers += [m for m in marks if m not in info.markers]
                runs.append((g.pos, " " + "".join(f"[{m}]" for m in marks)))
    return citations, runs


def _citation(marker: int, e: _Evidence, sentence: int) -> Citation:
    s, p = e.sentences[sentence], e.passage
    return Citation(
        marker,
        p.doc_id,
        p.title,
        p.source,
        p.text,
        s.start,
        s.end,
        p.score,
        e.sentence_text(sentence),
        p.start,
        p.location,
    )


def _render(
    stripped: str, spans: Sequence[Span], claims: list[ClaimSupport], markers: list[tuple[int, str]], mode: str
) -> str:
    """The cleaned text: the answer with the new marker runs, and its unsupported claims removed
    (mode="remove": each with the space up to the next claim) or flagged."""
    drop: list[tuple[int, int]] = []
    inserts = list(markers)
    for k, (span, info) in enumerate(zip(spans, claims, strict=True)):
        if info.supported:
            continue
        if mode == "remove":
            drop.append((0 if k == 0 else span.start, spans[k + 1].start if k + 1 < len(spans) else len(stripped)))
        else:
            text = stripped[span.start : span.end]
            tail = _END_PUNCT.search(text)
            inserts.append((span.start + (tail.start() if tail else len(text)), FLAG))
    return _edit(stripped, drop, inserts)


def _edit(text: str, drop: list[tuple[int, int]], inserts: list[tuple[int, str]]) -> str:
    """`text` without the `drop` segments, with the `inserts` (those inside a dropped segment left out),
    runs of spaces collapsed."""
    pieces: list[str] = []
    last = 0
    events = sorted([(s, 0, e, "") for s, e in drop] + [(pos, 1, pos, t) for pos, t in inserts])
    for start, kind, end, piece in events:
        if start < last:  # an insert inside a dropped segment
            continue
        pieces.append(text[last:start])
        if kind == 1:
            pieces.append(piece)
        last = end
    pieces.append(text[last:])
    cleaned = re.sub(r"[ \t]{2,}", " ", "".join(pieces))
    return re.sub(r"[ \t]+\n", "\n", cleaned).strip()
