"""Citations: parse the markers models write, keep only those that point at shown passages, check support."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.evidence.respectively import misread
from core.places import gazetteer
from core.profile import profile
from core.text import cited_sentences, doc_label, normalize_text

# [2]  [2][3]  [2,3]  [2, 3]  [2、3]  【2】  [^2]  [编号:2]  [来源 2]  (after NFKC, full-width brackets stay)
_NUMS = r"\d{1,3}(?:\s*[,，、;；]\s*\d{1,3})*"
MARKER = re.compile(
    rf"(?:[\[［]\^?\s*(?:编号|来源|资料|段落|passage|source|ref)?\s*[:：]?\s*({_NUMS})\s*[\]］]"
    rf"|【\s*(?:编号|来源|资料|段落)?\s*[:：]?\s*({_NUMS})\s*】)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")
_DOCNO = re.compile(r"〔\d{4}〕\d+号")  # the year-and-serial core of a 文号
_CJK_OR_DIGIT = re.compile(r"[\u4e00-\u9fff0-9a-zA-Z]")


def places(sentence: str) -> list[str]:
    """The places a sentence names, in their shortest form: a figure stated for 杭州 must come from a
    passage about 杭州 (the gazetteer reads full and short names)."""
    out = []
    gz = gazetteer()
    for m in gz.mentions(sentence, short=True):
        shorts = [s for p in m.places for s in gz.short_names(p)]
        out.append(min(shorts, key=len) if shorts and min(shorts, key=len) in m.text else m.text)
    return list(dict.fromkeys(out))


@dataclass
class SentenceCheck:
    """One sentence of a generated text with what its citations support."""

    text: str  # without markers
    cited: list[int]  # passage numbers (1-based) it cites
    claim: bool  # carries content that needs a source (not a heading, salutation or formula)
    supported: bool
    missing_numbers: list[str] = field(default_factory=list)
    overlap: float = 0.0
    irrelevant: list[int] = field(default_factory=list)  # citations that support nothing the others don't
    attributed: bool = False  # the generator gave no citation; the check found the supporting passage


@dataclass
class CitationReport:
    text: str  # the generated text with markers canonicalised to [n] and invalid ones removed
    sentences: list[SentenceCheck]
    markers_total: int
    markers_valid: int
    markers_removed: int

    @property
    def claims(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.claim]

    @property
    def unsupported(self) -> list[SentenceCheck]:
        return [s for s in self.claims if not s.supported]

    @property
    def cited(self) -> list[int]:
        """Every passage number some sentence cites, ascending."""
        return sorted({n for s in self.sentences for n in s.cited})


def _numbers(s: str) -> list[int]:
    return [int(x) for x in re.findall(r"\d{1,3}", s)]


def canonicalize(text: str, n_passages: int) -> tuple[str, int, int, int]:
    """Rewrite every marker variant as [n][m]; drop numbers that point at no shown passage.

    Returns (text, markers_total, markers_valid, markers_removed), counting each cited number.
    """
    total = valid = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal total, valid
        nums = _numbers(m.group(1) or m.group(2) or "")
        total += len(nums)
        keep = [n for n in dict.fromkeys(nums) if 1 <= n <= n_passages]
        valid += sum(1 for n in nums if 1 <= n <= n_passages)
        return "".join(f"[{n}]" for n in keep)

    def drop_invalid(m: re.Match[str]) -> str:
        nonlocal total
        nums = _numbers(m.group(1) or m.group(2) or "")
        bad = [n for n in nums if not 1 <= n <= n_passages]
        total += len(bad)
        return "".join(f"[{n}]" for n in dict.fromkeys(nums) if 1 <= n <= n_passages)

    out = MARKER.sub(repl, text)
    while (again := MARKER.sub(drop_invalid, out)) != out:  # "[[9]2]" leaves "[2]" after one pass
        out = again
    return out, total, valid, total - valid


CANON = re.compile(r"\[(\d{1,3})\](?!\d)")  # a canonical marker; [2023] in 穗工信[2023]97号 is not one


def cited_in(lines: list[str]) -> list[int]:
    """The citation numbers of some lines, in order of first use."""
    return list(dict.fromkeys(int(n) for ln in lines for n in CANON.findall(ln)))


def strip_markers(text: str) -> str:
    return CANON.sub("", MARKER.sub("", text))


def split_sentences(text: str) -> list[str]:
    """Sentences with their trailing markers ("…248家。[1]" keeps its [1])."""
    out = [s for line in text.split("\n") for s in cited_sentences(line)]
    merged: list[str] = []
    for s in out:  # markers standing alone at the start of a line belong to the previous sentence
        if merged and re.fullmatch(r"(\[\d+\]\s*)+", s):
            merged[-1] += s
        else:
            merged.append(s)
    return merged


def is_claim(sentence: str) -> bool:
    """Content that must be sourced: not a heading, salutation, closing formula, office or date line."""
    s = normalize_text(strip_markers(sentence)).strip().strip("*#>- ").strip()
    if not s or s.endswith(":") and len(s) < 40:
        return False
    if not CANON.search(sentence) and (
        "收悉" in s or "联系人" in s or re.match(r"(最后,)?(衷心|诚挚)?(感谢|欢迎)|以上意见", s)
        or re.fullmatch(r"\([一二三四五六七八九十]+\)关于.{0,80}", s)
    ):
        return False  # the letter's frame: acknowledgement, thanks, contact line, a sub-heading naming an ask
    if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日[。]?|【[^】]*】", s) or profile().office_line.match(s.rstrip("。")):
        return False
    if MARKER.search(sentence) or CANON.search(sentence):
        return True  # whatever the generator attributed to a source is checked against it
    if re.fullmatch(r"[一二三四五六七八九十]+、.{0,30}|\([一二三四五六七八九十]+\).{0,30}", s) and "。" not in s:
        return False
    if re.search(r"(文档|资料|段落)中?(没有|未)|没有关于|没有找到|没有相关|未找到|没有能回答|没有直接回答|不包含|没有涉及|没有提到|没有写明", s):
        return False  # a statement about the documents, not a claim from them
    if s.rstrip("。.") in profile().closings or re.fullmatch(r"(专此|特此)[。.]?", s):
        return False
    return len(_CJK_OR_DIGIT.findall(s)) >= 8 or bool(_NUMBER.search(s))


def key_numbers(sentence: str) -> list[str]:
    """Numbers, amounts, percentages, dates and document numbers a source must contain."""
    s = normalize_text(strip_markers(sentence))
    found = [m.group(0) for m in _DOCNO.finditer(s)]
    rest = _DOCNO.sub(" ", s)
    found += [m.group(0).replace(",", "") for m in _NUMBER.finditer(rest)]
    return [x for x in found if x not in {"0"}]


def bigrams(s: str) -> set[str]:
    chars = _CJK_OR_DIGIT.findall(normalize_text(s))
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def supports(sentence: str, passages: list[str], threshold: float) -> tuple[bool, list[str], float]:
    """Every key number appears in some passage and enough of the wording overlaps the passages."""
    joined = normalize_text("\n".join(passages)).replace(",", "")
    # a date the passage header writes as 2024-06-12 is the same date as 2024年6月12日
    joined = re.sub(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)", lambda m: f"{m[0]} {doc_label(m[0])}", joined)
    # whole numbers only: 24 is not found inside 248, nor 3.2 inside 3.21
    missing = [x for x in key_numbers(sentence) if not re.search(rf"(?<![\d.]){re.escape(x)}(?![\d])", joined)]
    missing += [c for c in places(normalize_text(strip_markers(sentence))) if c not in joined]
    # a value the passage gives another member of a 分别 list ("智能工厂…500万元" where 500万元 is 链主工厂's)
    missing += [v for p in passages if "分别" in p or "依次" in p if (v := misread(strip_markers(sentence), p))]
    grams = bigrams(strip_markers(sentence))
    pool = set().union(*(bigrams(p) for p in passages)) if passages else set()
    overlap = len(grams & pool) / len(grams) if grams else 1.0
    return (not missing and overlap >= threshold and bool(passages)), missing, overlap


def check(text: str, passages: list[str], threshold: float = 0.35, attribute: bool = False) -> CitationReport:
    """Canonicalise markers against the shown passages and check each sentence's support.

    With `attribute`, a claim the generator left without any citation gets the shown passage that
    supports it, if one does (marked `attributed`): weak models often state a correct figure uncited,
    and the check, not the model, decides what the user sees as sourced.
    """
    clean, total, valid, removed = canonicalize(text, len(passages))
    sentences = []
    for sent in split_sentences(clean):
        cited = list(dict.fromkeys(int(n) for n in CANON.findall(sent) if 1 <= int(n) <= len(passages)))
        claim = is_claim(sent)
        body = strip_markers(sent)
        attributed = False
        if attribute and claim and not cited and (n := supporting_passage(body, passages, threshold)):
            cited, attributed = [n], True
            clean = clean.replace(sent, f"{sent}[{n}]", 1)
        ok, missing, overlap = supports(body, [passages[n - 1] for n in cited], threshold) if cited else (
            False, key_numbers(body), 0.0)
        irrelevant = []
        if ok and len(cited) > 1:
            for n in cited:
                others = [passages[m - 1] for m in cited if m != n]
                alone_ok = supports(body, [passages[n - 1]], threshold)[0]
                if not alone_ok and supports(body, others, threshold)[0]:
                    irrelevant.append(n)
        sentences.append(SentenceCheck(body.strip(), cited, claim, ok if claim else True, missing, overlap,
                                       irrelevant, attributed))
    return CitationReport(clean, sentences, total, valid, removed)


def supporting_passage(sentence: str, passages: list[str], threshold: float) -> int | None:
    """The number of the shown passage that best supports a sentence on its own, if any does."""
    best, best_overlap = None, threshold
    for i, p in enumerate(passages, 1):
        ok, _missing, overlap = supports(sentence, [p], threshold)
        if ok and overlap >= best_overlap:
            best, best_overlap = i, overlap
    return best
