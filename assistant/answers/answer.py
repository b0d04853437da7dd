"""Answer a question from retrieved passages, with numbered citations that are checked before display."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from assistant.answers import outline, prompts
from assistant.answers.compose import compose_group, pick_sentences, source_line
from assistant.answers.dated import compose_dated
from assistant.answers.llm import ChatModel, GenerationError, chat_config
from assistant.answers.question import (
    Candidate,
    QuestionInfo,
    Scope,
    analyze,
    candidate_sentences,
    coverage_needed,
    decide,
    decide_parts,
    letters_of,
    may_be,
    of_record,
    unplaced,
)
from assistant.answers.vetting import vet
from assistant.evidence import cite
from assistant.evidence.spans import span_of
from assistant.facts.archive import superseded_notes
from assistant.retrieval.hybrid import Filters, Hit
from assistant.retrieval.services import Services
from core.profile import profile
from core.text import normalize_text
from core.tokens import count_tokens

GeneratorName = Literal["offline", "llm"]


@dataclass
class Turn:
    role: Literal["user", "assistant"]
    content: str


@dataclass
class Answer:
    question: str
    text: str  # markers canonical [n]; every [n] points at passages[n-1]
    passages: list[Hit]  # numbered from 1, exactly what the generator was shown
    report: cite.CitationReport
    refused: bool = False
    reason: str = ""
    related: list[Hit] = field(default_factory=list)
    notice: str = ""  # e.g. the model failed and the offline answer is shown instead
    generator: str = "offline"
    missing: list[str] = field(default_factory=list)  # cities named in the question with no material
    retrieval_ms: float = 0.0
    generation_ms: float = 0.0
    query: str = ""  # what was searched (a follow-up is condensed with the previous question)
    hits: list[Hit] = field(default_factory=list)  # everything retrieved, before packing

    def citation(self, n: int) -> dict[str, Any]:
        """What a citation resolves to: source, office, date, heading path and the exact span to highlight."""
        hit = self.passages[n - 1]
        m = hit.metadata
        claims = [s for s in self.report.sentences if n in s.cited]
        a, b = span_of(claims[0].text, hit.text) if claims else (0, len(hit.text))
        offset = int(m.get("start", 0)) if m.get("role") != "outline" else None
        return {
            "n": n, "label": hit.label, "doc_id": m.get("doc_id", ""), "title": m.get("title", ""),
            "office": m.get("office", ""), "kind": profile().kind_labels.get(str(m.get("kind", "")), ""),
            "date": m.get("date", ""), "heading_path": m.get("heading_path", ""), "text": hit.text,
            "span": [a, b], "span_text": hit.text[a:b],
            "doc_span": [offset + a, offset + b] if offset is not None else [m.get("start"), m.get("end")],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question, "query": self.query, "answer": self.text, "refused": self.refused,
            "reason": self.reason, "notice": self.notice, "generator": self.generator, "missing": self.missing,
            "citations": [self.citation(n) for n in self.report.cited],
            "passages": [{"n": i + 1, "label": h.label, "text": h.text} for i, h in enumerate(self.passages)],
            "related": [{"label": h.label, "text": h.text} for h in self.related],
            "unsupported": [s.text for s in self.report.unsupported],
            "markers": {"total": self.report.markers_total, "valid": self.report.markers_valid,
                        "removed": self.report.markers_removed},
            "retrieval_ms": round(self.retrieval_ms, 1), "generation_ms": round(self.generation_ms, 1),
        }


def passage_block(n: int, hit: Hit) -> str:
    m = hit.metadata
    head = " ".join(str(x) for x in (f"[{n}]", f"《{m.get('title', '')}》", m.get("doc_number", ""),
                                     m.get("office", ""), m.get("date", ""), m.get("heading_path", "")) if x)
    return f"{head}\n{quoted(hit.text)}"


def quoted(text: str) -> str:
    """Passage text as data: a document cannot close the prompt's data block by writing its end marker."""
    return text.replace("<<<", "«").replace(">>>", "»")


def support_texts(passages: list[Hit]) -> list[str]:
    """What each numbered passage can support: its text and the source facts shown in its header."""
    return [passage_block(i + 1, h) for i, h in enumerate(passages)]


def pack(hits: list[Hit], budget: int) -> list[Hit]:
    """Highest-ranked first, whole passages only, until the token budget is spent."""
    out: list[Hit] = []
    used = 0
    for h in hits:
        cost = count_tokens(passage_block(len(out) + 1, h)) + 2
        if out and used + cost > budget:
            continue  # a shorter, lower-ranked passage may still fit
        out.append(h)
        used += cost
    return out


def history_text(history: list[Turn], budget: int) -> str:
    """The most recent turns that fit the budget, oldest dropped first; long answers shortened."""
    lines: list[str] = []
    used = 0
    for turn in reversed(history):
        content = cite.strip_markers(turn.content).strip()
        if turn.role == "assistant" and len(content) > 300:
            content = content[:300] + "…"
        line = f"{'用户' if turn.role == 'user' else '助手'}：{content}"
        cost = count_tokens(line)
        if used + cost > budget:
            break
        lines.append(line)
        used += cost
    return "\n".join(reversed(lines))


def _chat_words(key: str) -> tuple[str, ...]:
    return tuple(sorted(profile().words("chat", key), key=len, reverse=True))


def question_parts(question: str) -> tuple[list[str], str, bool, bool]:
    """(places, subject, has a slot, opens with a follow-up cue) of a question: what it names on its own."""
    q = normalize_text(question).strip()
    named = cite.places(q)
    cue = q.startswith(_chat_words("follow_up_starts"))
    rest = q
    for name in named:
        rest = rest.replace(f"{name}市", " ").replace(name, " ")
    rest = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", " ", rest)
    slot = any(w in rest for w in _chat_words("slot_words"))
    for w in (*_chat_words("follow_up_starts"), *_chat_words("slot_words"), *_chat_words("follow_up_ends")):
        rest = rest.replace(w, " ")
    words = [w for w in rest.split() if w not in _chat_words("fillers")]
    subject = "".join(words)
    for w in _chat_words("fillers"):
        if len(w) == 1 and subject.startswith(w):
            subject = subject[1:]
    return named, subject, slot, cue


def stands_alone(question: str) -> bool:
    """A question with its own subject and its own slot (what it asks for), not opened by a word that points
    back ("那…", "其中…"), stands on its own, however short: "深圳有多少家小巨人企业？" does, "那揭阳呢？" does not."""
    _named, subject, slot, cue = question_parts(question)
    need = int(profile().section("chat").get("min_subject_chars", 4))
    return not cue and slot and len(subject) >= need


def _follow(question: str, prev: str) -> str:
    """A follow-up made whole from the question before it: a new place takes the old place's spot, so
    "那揭阳呢？" after "深圳对小巨人企业奖励多少？" asks "揭阳对小巨人企业奖励多少？" (not a comparison)."""
    named, subject, _slot, _cue = question_parts(question)
    if not named:
        return f"{prev} {question}"
    old = cite.places(prev)
    new = "和".join(named)
    if old:
        out = prev.replace(old[0], new, 1)
        for o in old[1:]:
            out = out.replace(f"{o}市", "").replace(o, "")
    else:
        out = f"{new} {prev}"
    return f"{out} {subject}" if subject else out


def condense(question: str, history: list[Turn]) -> str:
    """What to search for a question in a conversation: the question itself when it stands on its own,
    else the previous question (itself made whole) with this one's place or words carried in."""
    prev = ""
    for turn in history:
        if turn.role == "user" and turn.content.strip():
            q = turn.content.strip()
            prev = q if not prev or stands_alone(q) else _follow(q, prev)
    if not prev or stands_alone(question):
        return question
    return _follow(question, prev)


@dataclass
class Prepared:
    question: str
    query: str
    info: QuestionInfo
    hits: list[Hit]
    passages: list[Hit]
    groups: list[tuple[str, list[int]]]  # (city or "", indexes into passages)
    scopes: list[Scope]
    retrieval_ms: float
    candidates: list[list[Candidate]] = field(default_factory=list)  # per group, read once for both steps
    section: outline.Section | None = None  # a list question about one section: the section read whole

    @property
    def refused(self) -> bool:
        return not any(s.answerable for s in self.scopes)

    @property
    def missing(self) -> list[str]:
        return [c for (c, _), s in zip(self.groups, self.scopes, strict=True) if c and not s.answerable]


class Assistant:
    """The one entry point for questions, shared by the CLI, the app and the evaluation."""

    def __init__(self, services: Services, chat: ChatModel | None = None) -> None:
        self.services = services
        self.settings = services.settings
        self._chat = chat

    def chat_model(self) -> ChatModel:
        if self._chat is None:
            self._chat = ChatModel(chat_config(self.settings))
        return self._chat

    def prepare(self, question: str, filters: Filters | None = None, k: int | None = None,
                history: list[Turn] | None = None, generator: GeneratorName | None = None) -> Prepared:
        t0 = time.perf_counter()
        retriever = self.services.retriever
        query = condense(question, history or [])
        result = retriever.search(query, k or self.settings.top_k, filters)
        lex = retriever.lexical()
        cities = sorted(retriever.store_places())
        info = analyze(question if query == question else query, cities, lex)
        budget = self.settings.context_tokens - (self.settings.context_tokens // 4 if history else 0)
        hits = letters_of(info, result.hits)
        passages = pack(hits, budget)
        if len(result.sub_queries) >= 2:
            groups = [(f.city, [i for i, h in enumerate(passages) if f.city in (h.meta.province, h.meta.city, h.meta.district)])
                      for _, f in result.sub_queries]
        else:
            groups = [("", list(range(len(passages))))]
        min_cov = self.settings.refusal_min_coverage
        scopes, candidates = [], []
        for _city, idx in groups:
            hs = [passages[i] for i in idx]
            cands = of_record(info, hs, candidate_sentences(info, hs))
            candidates.append(cands)
            scopes.append(decide_parts(info, hs, cands, min_cov))
        if len(groups) == 1 and scopes[0].absent and (own := [h for h in passages if unplaced(h) and all(
                may_be(place, h) for place in scopes[0].absent)]):
            # no letter is about the place asked, but a letter naming no place of its own may be its: answered from
            # those letters alone, saying the place is not confirmed
            bare = replace(info, unknown_places=[])
            cands = candidate_sentences(bare, own)
            scope = decide(bare, own, cands, coverage_needed(bare, min_cov))
            if scope.answerable:
                where = "、".join(scopes[0].absent)
                info, passages, candidates, groups = bare, own, [cands], [("", list(range(len(own))))]
                scopes = [replace(scope, caveat=f"所引答复没有写明所属地区，无法确认是否为{where}的材料，请核对。")]
        if info.unknown_places and info.cities and info.kind == "compare":
            if groups[0][0] == "":
                groups[0] = (info.cities[0], groups[0][1])
            groups += [(p, []) for p in info.unknown_places]
            scopes += [Scope(False, f"文档中没有关于{p}的材料。") for p in info.unknown_places]
        section = None
        if len(groups) == 1 and scopes[0].answerable:
            section = outline.choose(info, hits, retriever.section)  # by retrieval's order, not the budget's
            if section is not None:  # its passages that retrieval missed join the shown ones, within the budget
                mine = {h.id for h in section.hits}
                known = {h.id for h in passages}
                # a model's prompt has a budget; the offline answer quotes the section whatever its length
                room = budget if (generator or self.settings.generator) == "llm" else 10**9
                for order in (passages + [h for h in section.hits if h.id not in known],
                              list(section.hits) + [h for h in passages if h.id not in mine]):
                    packed = pack(order, room)
                    if mine <= {h.id for h in packed}:
                        passages = packed
                        break
                else:
                    section = None  # a section too long for the model's prompt is not read whole
                groups = [("", list(range(len(passages))))]
        return Prepared(question, query, info, result.hits, passages, groups, scopes,
                        (time.perf_counter() - t0) * 1000, candidates, section)

    # -- generation -------------------------------------------------------------------------------------
    def offline_text(self, p: Prepared) -> str:
        number_of = {h.id: i + 1 for i, h in enumerate(p.passages)}
        lines: list[str] = []
        multi = len(p.groups) > 1
        for g, ((city, idx), scope) in enumerate(zip(p.groups, p.scopes, strict=True)):
            if multi:
                lines.append(f"{city}：")
            if not scope.answerable:
                lines.append(f"文档中没有找到{city or '这个问题'}的相关材料。")
                continue
            hs = [p.passages[i] for i in idx]
            if scope.caveat:
                lines.append(f"（{scope.caveat}）")
            if p.section is not None:
                lines += outline.compose(p.section, number_of, source_line(p.section.hits[0]))
                continue
            # facts that stay true: newest figure first, as-of dates, superseded sources
            cands = p.candidates[g] if g < len(p.candidates) else candidate_sentences(p.info, hs)
            chosen = pick_sentences(p.info, cands)
            lines += compose_dated(p.info, chosen, cands, hs, number_of, superseded_notes(self.services.store),
                                   compose=compose_group)
        return "\n".join(lines)

    def refusal(self, p: Prepared, generator: str, notice: str = "") -> Answer:
        scope = next((s for s in p.scopes if s.reason), None)
        reason = scope.reason if scope else ""
        text = f"提供的文档中没有能回答这个问题的内容。{reason}"
        # a quote of what the archive does give is cited, and checked against the passage it comes from
        quoted: list[Hit] = []
        if scope is not None and scope.source is not None and scope.quote in text:
            quoted = [scope.source]
            text = text.replace(scope.quote, scope.quote + "[1]", 1)
        return Answer(p.question, text, quoted, cite.check(text, support_texts(quoted), self.settings.support_threshold),
                      refused=True, reason=reason,
                      # what the question may speak of (the letters to the deputy or of the 文号 it names), not
                      # every passage retrieval brought
                      related=(p.passages or p.hits)[:3], notice=notice, generator=generator,
                      retrieval_ms=p.retrieval_ms,
                      query=p.query, hits=p.hits)

    def stream(self, question: str, filters: Filters | None = None, k: int | None = None,
               history: list[Turn] | None = None, generator: GeneratorName | None = None) -> Iterator[str | Answer]:
        """Yield text as it is produced, then the checked Answer (the text to show in the end)."""
        question = question.strip()
        gen = generator or self.settings.generator
        if not question:
            text = "请输入问题。"
            yield Answer(question, text, [], cite.check(text, []), refused=True, reason="空问题")
            return
        p = self.prepare(question, filters, k, history, gen)
        if p.refused:
            ans = self.refusal(p, gen)
            yield ans.text
            yield ans
            return
        t0 = time.perf_counter()
        notice = ""
        text = ""
        used = "offline"
        if gen == "llm":
            try:
                model = self.chat_model()
                user = prompts.load("answer").render(
                    passages="\n\n".join(passage_block(i + 1, h) for i, h in enumerate(p.passages)),
                    history=history_text(history or [], self.settings.context_tokens // 4),
                    question=question)
                parts = []
                for delta in model.stream(prompts.load("system").render(), user):
                    parts.append(delta)
                    yield delta
                text = "".join(parts)
                used = f"llm:{model.name}"
                if not cite.MARKER.search(text) and not re.search(r"没有|未找到|不涉及", text):
                    notice = "模型的回答没有标注出处，已逐句核对并补注能找到的出处。"
                # the question is answerable from the archive (p is not refused): a model's answer that is
                # placeholders, says there is nothing, or states a figure the passages do not hold is not shown
                slot = p.info.slot
                replaced = vet(text, support_texts(p.passages), self.settings.support_threshold,
                               p.info.answer_shape, slot.name if slot else "")
                if replaced:
                    notice, text, used = replaced, "", "offline"
            except GenerationError as exc:
                notice = f"{exc.cause}，以下为离线生成的回答。"
                text = ""
        if not text:
            text = self.offline_text(p)
            for line in text.split("\n"):
                yield line + "\n"
        report = cite.check(text, support_texts(p.passages), self.settings.support_threshold,
                            attribute=used != "offline")
        caveat = next((s.caveat for s in p.scopes if s.caveat), "")
        if caveat and used != "offline":  # the offline text says it in its first line
            notice = f"{caveat}{notice}"
        yield Answer(question, report.text, p.passages, report, notice=notice, generator=used, missing=p.missing,
                     retrieval_ms=p.retrieval_ms, generation_ms=(time.perf_counter() - t0) * 1000, query=p.query,
                     hits=p.hits)

    def ask(self, question: str, filters: Filters | None = None, k: int | None = None,
            history: list[Turn] | None = None, generator: GeneratorName | None = None) -> Answer:
        final = None
        for item in self.stream(question, filters, k, history, generator):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final
