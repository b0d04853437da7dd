"""Text normalisation shared by ingest, retrieval, citation checks and evaluation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def normalize_text(text: str) -> str:
    """NFKC (full-width ASCII and punctuation to half-width) and uniform line ends.

    Used for matching, indexing and checks; the evaluator applies the same function to evidence strings.
    """
    text = re.sub(r"[\u200b-\u200f\ufeff]", "", text)  # before NFKC, so cleaning twice changes nothing
    text = unicodedata.normalize("NFKC", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\xa0", " ")


def collapse_ws(text: str) -> str:
    """Collapse whitespace runs to one space (how evidence strings are compared)."""
    return re.sub(r"\s+", " ", text).strip()


_FULLWIDTH = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "?": "？", "!": "！"}
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2018-\u201d\u2026\u2014《》“”]")


def _is_cjk(c: str) -> bool:
    return bool(c) and bool(_CJK.match(c))


def to_fullwidth(text: str) -> str:
    """ASCII punctuation in Chinese context as the full-width marks a letter uses (GB/T 15834).

    A 1:1 character mapping (`,`→`，`, `;`→`；`, `:`→`：`, `(`/`)`→`（`/`）`, `?`→`？`, `!`→`！`), so every
    offset into the text stays valid and `normalize_text` (NFKC) maps the result back for matching. A mark
    is converted when the nearest non-space character on either side is Chinese; a comma or colon between
    digits (1,000 · 10:30) and marks in Latin text are left alone; a bracket pair is converted as a pair.
    """
    chars = list(text)
    n = len(chars)

    def neighbour(i: int, step: int) -> str:
        j = i + step
        while 0 <= j < n and chars[j] in " \t":
            j += step
        return text[j] if 0 <= j < n and text[j] != "\n" else ""

    def chinese_context(i: int) -> bool:
        left, right = neighbour(i, -1), neighbour(i, 1)
        if text[i] in ",:" and left.isdigit() and right.isdigit():
            return False  # 1,000 · 10:30
        return _is_cjk(left) or _is_cjk(right) or (text[i] in ",;:?!" and right == "" and _is_cjk(left))

    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    for i, c in enumerate(text):
        if c == "(":
            stack.append(i)
        elif c == ")" and stack:
            pairs.append((stack.pop(), i))
    paired = {i for p in pairs for i in p}
    for a, b in pairs:
        inner = text[a + 1 : b]
        if chinese_context(a) or chinese_context(b) or any(_is_cjk(c) for c in inner):
            chars[a], chars[b] = "（", "）"
    for i, c in enumerate(text):
        if c in _FULLWIDTH and (c not in "()" or i not in paired) and chinese_context(i):
            chars[i] = _FULLWIDTH[c]
    return "".join(chars)


SENTENCE_ENDS = "。!?;！？；"


LABEL_CHARS = 4  # a piece this short before a flattened space is a form's label (签发人, 办理部门), not a sentence


@lru_cache(maxsize=32)
def _splitter(ends: str, newline: bool, flattened: bool) -> re.Pattern[str]:
    alts = [f"(?<=[{re.escape(ends)}])"]
    if newline:
        alts.append(r"(?<=\n)")
    if flattened:  # a line break the page or converter flattened into a space between Chinese words
        alts.append(r"(?<=[\u4e00-\u9fff:)〕号])[ \t\u3000]+(?=[\u4e00-\u9fff])")
    return re.compile("|".join(alts))


def _inside_title(text: str, at: int) -> bool:
    """`at` lies inside a 《…》 that closes within the next 80 characters."""
    opened = text.rfind("《", max(0, at - 80), at)
    if opened < 0 or "》" in text[opened:at]:
        return False
    close = text.find("》", at, at + 80)
    return close >= 0 and "《" not in text[at:close]


def sentence_spans(text: str, ends: str = SENTENCE_ENDS, newline: bool = True,
                   flattened: bool = False) -> list[tuple[int, int]]:
    """The one sentence splitter: (start, end) of each piece of `text`, cut after every end mark in `ends`
    (and after a line break with `newline`; at a space between Chinese words with `flattened`). The pieces
    cover the text (a flattened space is dropped), so offsets stay valid; a piece keeps its end mark."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in _splitter(ends, newline, flattened).finditer(text):
        breaks = m.end() > m.start() or text[m.start() - 1 : m.start()] == "\n"  # a space or line break
        if breaks and _inside_title(text, m.start()):
            continue  # a line break or space inside 《…》 (a joint title: 《甲局 乙局关于…的通知》) is no end
        if m.end() > m.start() and len(text[pos:m.start()].strip()) <= LABEL_CHARS:
            continue  # a flattened space after a label goes on to its value: "签发人 张志清" is one piece
        if m.start() > pos or m.start() == pos == 0:
            out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return [(a, b) for a, b in out if b > a]


def split_sentences(text: str, ends: str = SENTENCE_ENDS, newline: bool = True, flattened: bool = False,
                    min_chars: int = 1) -> list[str]:
    """The sentences of `text` (see `sentence_spans`), stripped, those shorter than `min_chars` left out."""
    pieces = (text[a:b].strip() for a, b in sentence_spans(text, ends, newline, flattened))
    return [p for p in pieces if len(p) >= min_chars]


_CITED = re.compile(rf"[^{SENTENCE_ENDS}\n]+[{SENTENCE_ENDS}]*(?:\s*\[\d+\])*")


def cited_sentences(line: str) -> list[str]:
    """The sentences of one line of generated text, each with its run of end marks and the citation markers
    that follow it ("…248家。[1]" keeps its [1]); the splitter for text that carries [n] markers."""
    return [s for m in _CITED.finditer(line) if (s := m.group(0).strip())]


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def doc_label(iso: str) -> str:
    """How a letter writes a stored date: 2024-04-29 → 2024年4月29日; 2024 → 2024年; "" stays ""."""
    if m := _ISO_DATE.match(iso):
        return f"{m[1]}年{int(m[2])}月{int(m[3])}日"
    return f"{iso[:4]}年" if iso[:4].isdigit() else ""


CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}


def cn_number(s: str) -> int:
    """十 → 10, 十九 → 19, 二十三 → 23, 三 → 3; digits as they are (a list's 12 or 十二); 0 when neither."""
    if s.isdigit():
        return int(s)
    if "十" not in s:
        return CN_DIGIT.get(s, 0)
    tens, _, ones = s.partition("十")
    return (CN_DIGIT.get(tens, 0) if tens else 1) * 10 + (CN_DIGIT.get(ones, 0) if ones else 0)


_CN_YEAR = re.compile(r"([〇○零一二三四五六七八九]{4})(?=\s*年)")


def arabic_years(text: str) -> str:
    """A year written in Chinese numerals as digits: 二〇二一年 → 2021年 (how a question may write it)."""
    return _CN_YEAR.sub(lambda m: "".join(str(CN_DIGIT[c]) for c in m[1]), text)
