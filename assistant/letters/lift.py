"""A source sentence in the letter's voice: its enumerator dropped, the subject its source implies (我局,
《…》提出), material only from the replying office's jurisdiction."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from assistant.answers.constraints import self_word
from assistant.letters.frame import short_name
from assistant.retrieval.hybrid import Hit
from core.places import Place
from core.profile import profile
from core.text import normalize_text, to_fullwidth


def _enumerators() -> list[re.Pattern[str]]:
    return _compiled(tuple(profile().words("compose", "enumerators")))


@lru_cache(maxsize=4)
def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]


# -- a co-handling opinion's lines (the profile's intake [opinion_lines]) ------------------------------------
def opinion_line_patterns(key: str) -> list[re.Pattern[str]]:
    return _compiled(tuple(str(e["pattern"]) for e in profile().section("opinion_lines").get(key, [])))


def office_name(name: str) -> str:
    """An office's name without the second name it may sign with: 东莞市市场监督管理局（知识产权局） →
    东莞市市场监督管理局 (NFKC; the profile's [opinion_lines] second_name)."""
    name = normalize_text(name).strip()
    for p in opinion_line_patterns("second_name"):
        m = p.match(name)
        if m and profile().office_line.match(m.group("name")) and profile().office_line.match(m.group("second")):
            return m.group("name")
    return name


def is_frame_line(line: str) -> bool:
    """A short line of the opinion's frame (contact line, address, sign-off, "以上意见供…参考", page chrome)."""
    limit = int(profile().section("opinion_lines").get("frame_max_chars", 80))
    s = normalize_text(line).strip()
    return len(s) <= limit and any(p.search(s) for p in opinion_line_patterns("frame"))


def is_heading(sentence: str) -> bool:
    """A sentence that is a heading of the opinion ("(一)构建便捷高效惠企便民的服务体系。"), not a fact."""
    s = normalize_text(sentence).strip()
    return any(p.match(s) for p in opinion_line_patterns("heading"))


def is_next_step(text: str) -> bool:
    """A point or sentence about what will be done next (下一步, 下阶段, 下来…)."""
    s = normalize_text(text).strip()
    return any(p.match(s) for p in opinion_line_patterns("next_step"))


def drop_enumerator(sentence: str) -> str:
    """A sentence without the list enumerator it opened with in its source (三是…, 首先，…, (2)…)."""
    s = sentence.strip()
    for _ in range(3):  # "(三)一是…" carries two
        norm = normalize_text(s)
        m = next((m for p in _enumerators() if (m := p.match(norm)) and m.end() < len(norm)), None)
        if m is None or len(norm) != len(s):
            break
        s = s[m.end():].lstrip()
    return s


def self_subject(office: str) -> str:
    """How the replying office names itself: 我局, 我委, 我办…, else the profile's default (我单位)."""
    return self_word(office) or str(profile().section("compose").get("self_subject_default", "我单位"))


def subject_of(hit: Hit, office: str) -> str:
    """The subject a sentence of this passage implies: the replying office itself (我局), another office of
    the same city (市人力资源和社会保障局), or a policy document by its title (《…》)."""
    m = hit.metadata
    kind, src = str(m.get("kind", "")), str(m.get("office", "")).strip()
    if kind in ("notice", "implementation_plan") and m.get("title"):
        return f"《{str(m['title']).strip('《》')}》"
    if not src or src == office:
        return self_subject(office)
    k = office.find("市")
    if 0 < k < len(office) - 1 and src.startswith(office[: k + 1]) and len(src) > k + 2:
        return src[k:]  # 广州市人力资源和社会保障局 in a letter of 广州市工业和信息化局: 市人力资源和社会保障局
    return src


def lift(sentence: str, hit: Hit, office: str) -> str:
    """A source sentence as it stands in a letter: its enumerator dropped, a subjectless start given the
    subject its source implies, full-width punctuation. No word of the fact itself changes."""
    s = drop_enumerator(sentence)
    src = hit.meta.office.strip()
    if hit.meta.opinion or (src and src != office and (hit.meta.kind == "co_handling"
                                                                  or hit.meta.case_role == "opinion")):
        # a co-handling office's "我局" is that office, not the replying one
        who = short_name(src, office)
        for w in sorted(profile().words("opinion", "self_words"), key=len, reverse=True):
            s = s.replace(w, who)
        if hit.meta.opinion:
            return to_fullwidth(s)
    words = profile().section("compose")
    starts = tuple(str(w) for w in words.get("subjectless_starts", []))
    if s.startswith(starts):
        subject = subject_of(hit, office)
        verbs = tuple(str(w) for w in words.get("policy_verbs", []))
        k = hit.text.find(sentence.strip())
        before = hit.text[max(0, k - 150):k].split("\n")[-1] if k > 0 else ""
        titles = re.findall(r"《[^《》]{4,80}》", before)
        if s.startswith(verbs) and titles:  # "印发《若干措施》，提出…": the document just named says it
            subject = titles[-1]
        if subject.startswith("《") and not s.startswith(tuple(str(w) for w in words.get("policy_verbs", []))):
            subject += "提出"
        s = subject + s
    return to_fullwidth(s)


def _is_next_step(hit: Hit, sentence: str) -> bool:
    path = hit.meta.heading_path
    return bool(re.search(r"下一步|下阶段|下来|今后|计划|展望", path)) or bool(
        re.match(r"^(下一步|下阶段|下来|今后|我们将|将)", sentence))


def in_jurisdiction(meta: dict[str, Any], home: Place) -> bool:
    """A passage belongs to an office's jurisdiction at its level: everything of its own place; from the
    levels above it (its city, its province) only their policy documents, which apply to it — not their
    replies to other places' deputies, whose figures are those places' own."""
    province, city, district = (str(meta.get(k, "")) for k in ("province", "city", "district"))
    own = (district == home.district) if home.district else (city == home.city and not district) if home.city \
        else (province == home.province and not city and not district)
    if own:
        return True
    if meta.get("doc_kind") != "policy":
        return False
    if home.district:
        return not district and (city == home.city or not city) and province == home.province
    return bool(home.city) and not city and not district and province == home.province
