"""The Drafter: material per ask, the offline letter made of cited sentences or the model's, renumbered and
checked."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.answers import prompts
from assistant.answers.answer import Assistant, pack, passage_block, support_texts
from assistant.answers.constraints import STOCK_WORDS, title_subjects
from assistant.answers.llm import GenerationError
from assistant.answers.question import analyze, candidate_sentences
from assistant.evidence import cite
from assistant.evidence.spans import renumber
from assistant.facts.dates import dated_sentence
from assistant.letters.asks import _covers, addresses, ask_coverage, ask_scores, ask_texts
from assistant.letters.frame import acknowledgement, check_structure, letter_title, salutation, short_name
from assistant.letters.items import extract_asks
from assistant.letters.lift import (
    _is_next_step,
    in_jurisdiction,
    is_frame_line,
    is_heading,
    is_next_step,
    lift,
)
from assistant.letters.model import (
    BLANK,
    ESSENTIAL,
    STRUCTURE_NAMES,
    AskCoverage,
    Draft,
    DraftRequest,
    LetterFields,
    Proposal,
    Role,
)
from assistant.retrieval.hybrid import Filters, Hit
from core.places import gazetteer
from core.profile import profile
from core.text import split_sentences, to_fullwidth
from core.tokens import count_tokens


# -- drafting -----------------------------------------------------------------------------------------
class _Lifter:
    """The offline letter's sentences: each lifted once (by its words), cited, dated, sorted into what has
    been done (per ask) and what will be done next."""

    def __init__(self, req: DraftRequest, passages: list[Hit], cities: list[str], lex: Any, bar: float) -> None:
        self.req, self.passages, self.cities, self.lex, self.bar = req, passages, cities, lex, bar
        self.used: set[str] = set()
        self.nxt: list[str] = []
        self.speaks: dict[int, set[str]] = {}  # the sentences each ask's material offers (by their words)
        self.asks: list[str] = []  # every ask, so that a sentence waits for the later ask it speaks to more

    def sentence(self, text: str, hit: Hit) -> str:
        lifted = lift(text, hit, self.req.office)
        if not _is_next_step(hit, text):  # what has been done says as of when; a plan has its own time
            lifted = dated_sentence(lifted, hit.meta.date)
        return f"{lifted.rstrip('。;,；，:：')}[{self.passages.index(hit) + 1}]。"

    def headline(self) -> tuple[str, str]:
        """The headline figure on the proposal's topic (not a plan, not an opinion's point), and its key: a total
        standing on what the title is about (全市共有…专精特新企业2040家) first, else the best figure on the topic."""
        info = analyze(self.req.proposal.title, self.cities, self.lex)
        figures = [c for c in candidate_sentences(info, self.passages)
                   if c.has_number and cite.is_claim(c.text) and not c.heading
                   and not _is_next_step(self.passages[c.hit], c.text)
                   and not self.passages[c.hit].meta.opinion]  # an opinion's point goes under its ask
        # a total of what the title is about: its head noun (the phrase's last word: 人才 in 专精特新企业人才) and half
        # of its words
        totals = [c for subject in title_subjects(self.req.proposal.title) for c in figures
                  if subject[-2:] in c.text and any(w in c.text for w in STOCK_WORDS)
                  and len(cite.bigrams(subject) & cite.bigrams(c.text)) >= len(cite.bigrams(subject)) / 2]
        for c in totals[:1] or figures[:1]:
            key = re.sub(r"\W", "", c.text)
            self.used.add(key)
            return self.sentence(c.text, self.passages[c.hit]), key
        return "", ""

    def points(self, ask: str, hits: list[Hit]) -> list[str]:
        """Up to three sentences of work done on one ask: an opinion's point first, then the best candidates;
        the ask's next steps go to `nxt`."""
        info = analyze(ask, self.cities, self.lex)
        cands = [c for c in candidate_sentences(info, hits) if cite.is_claim(c.text) and not c.heading
                 and c.coverage >= 0.15 and not _label_line(c.text)]
        # sentences that answer the ask as a question would be answered (the refusal bar), not merely touch it
        self.speaks[len(self.speaks)] = {re.sub(r"\W", "", c.text) for c in cands if c.coverage >= self.bar}
        lines = self.opinion_points(hits)
        later = self.asks[self.asks.index(ask) + 1:] if ask in self.asks else []
        for c in cands:
            key = re.sub(r"\W", "", c.text)
            if key in self.used or any(addresses(a, c.text) > addresses(ask, c.text) + 0.2 for a in later):
                continue  # used, or a later ask's (安排专项经费…维修堰渠 is for "安排专项资金修复堰渠")
            hit = hits[c.hit]
            if _is_next_step(hit, c.text):
                if len(self.nxt) < 6:
                    self.nxt.append(self.sentence(c.text, hit))
                    self.used.add(key)
                continue
            if len(lines) < 3:
                lines.append(self.sentence(c.text, hit))
                self.used.add(key)
        return lines

    def opinion_points(self, hits: list[Hit]) -> list[str]:
        """A co-handling opinion's point on this ask: the first source, whole."""
        lines: list[str] = []
        for hit in hits:
            if hit.meta.opinion and not hit.meta.planted and len(lines) < 3:
                for part in split_sentences(hit.text, "。；;", newline=False):
                    key = re.sub(r"\W", "", part)
                    if re.fullmatch(r"关于[^，,。]{2,40}。?", part.strip()):
                        continue  # the point's own heading ("关于设立…。"), not a fact
                    if len(key) >= 6 and key not in self.used and cite.is_claim(part) and len(lines) < 3:
                        lines.append(self.sentence(part.strip(), hit))
                        self.used.add(key)
        return lines

    def next_steps(self) -> None:
        """What will be done next, from the next-step sections."""
        hits = [h for h in self.passages if _is_next_step(h, "") and not h.meta.opinion]  # an opinion's: by its ask
        info = analyze(self.req.proposal.title, self.cities, self.lex)
        for c in candidate_sentences(info, hits):
            key = re.sub(r"\W", "", c.text)
            if len(self.nxt) < 4 and key not in self.used and cite.is_claim(c.text) and not c.heading:
                self.nxt.append(self.sentence(c.text, hits[c.hit]))
                self.used.add(key)


def _label_line(text: str) -> bool:
    """A line that ends no sentence: a page's title, a table's label or an index line ("关于建设瓦南沟、红岩山高标准
    农田的建设", "对宁陕县第十九届人大二次会议", "签发日期 2023-09-07 17:16 发布日期…"), not work done a letter
    can state."""
    return not re.search(r"[。;；!?！？]$", text.strip())


def _cn(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (a sub-point's number)."""
    d = "零一二三四五六七八九"
    if n < 10:
        return d[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else d[tens]) + "十" + (d[ones] if ones else "")


# -- co-handling opinions in the lead office's letter ---------------------------------------------------------
@dataclasses.dataclass
class _Point:
    """One point of a co-handling opinion as the letter uses it: the ask it addresses (-1: none), its facts
    (under that ask) and its next steps (to 二、下一步)."""

    hit: Hit
    ask: int
    facts: list[str]
    nexts: list[str]
    next_ask: int = -1


def plan_opinions(req: DraftRequest, asks: list[str]) -> list[_Point]:
    """Every point of every opinion, placed: under the ask it speaks to most (asks.ask_scores, at least the
    profile's min_score), else the overall part; its headings and frame sentences are not facts; what it says
    will be done next (from the first next-step sentence on, or all of a point headed so) is a next step."""
    texts = ask_texts(req.proposal.body, asks)
    need = float(profile().section("opinion_letter").get("min_score", 0.2))
    out: list[_Point] = []
    for _, hits in req.opinions:
        for h in hits:
            if h.meta.planted:
                continue
            parts = h.meta.heading_path.split(" > ")
            head = parts[2] if len(parts) > 2 and parts[2] != "下一步" else ""
            later = "下一步" in parts[2:]
            facts: list[str] = []
            nexts: list[str] = []
            for sent in split_sentences(h.text, "。；;", newline=False):
                sent = sent.strip()
                if len(re.sub(r"\W", "", sent)) < 4 or is_heading(sent) or is_frame_line(sent):
                    continue
                later = later or is_next_step(sent) or (bool(nexts) and not facts)
                (nexts if later else facts).append(sent)
            scores = ask_scores(h.text, head, asks, texts)
            focus = str(h.metadata.get("focus", ""))
            if focus:  # what the opinion says it answers counts as much as the point itself
                scores = [a + b for a, b in zip(scores, ask_scores(focus, focus, asks, texts), strict=True)]
            best = max(range(len(asks)), key=lambda i: scores[i], default=-1)
            ask = best if best >= 0 and scores[best] >= need else -1
            next_ask = ask
            if nexts and not facts:  # a next-step point of its own continues the office's last point, if any
                before = [p.ask for p in out if p.hit.meta.office == h.meta.office and p.facts]
                ns = ask_scores(" ".join(nexts), "", asks, texts)
                nb = max(range(len(asks)), key=lambda i: ns[i], default=-1)
                next_ask = before[-1] if before else nb if nb >= 0 and ns[nb] >= need else -1
            out.append(_Point(h, ask, facts, nexts, next_ask))
    return out


def attributed(sentence: str, hit: Hit, office: str) -> str:
    """A lifted opinion sentence said as its office's: it names the office already (its "我局" became the
    office), or it gets the office as its subject (市科学技术局 + 推动…) or the profile's lead-in."""
    who = short_name(hit.meta.office, office)
    if who in sentence or hit.meta.office in sentence:
        return sentence
    starts = tuple(str(w) for w in profile().section("compose").get("subjectless_starts", [])) + ("将",)
    if sentence.startswith(starts):
        return who + sentence
    return str(profile().section("opinion_letter").get("attribution", "据{office}反馈，")).format(office=who) + sentence


class Drafter:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings

    def material(self, req: DraftRequest, asks: list[str]) -> tuple[list[Hit], dict[int, list[int]]]:
        """Passages per ask, from the replying office's own jurisdiction at its level only (a district
        office: its district, and what its city and province wrote without naming another district): a
        letter never presents another place's figures as its own. Returns the numbered passages and, per
        ask, their numbers."""
        retriever = self.assistant.services.retriever
        # every opinion point, first, never packed away; a point that addresses the assistant is no source
        given_hits = [h for _, hits in req.opinions for h in hits if not h.meta.planted]
        home = gazetteer().place_of(req.office)
        stored = retriever.store_places()
        if home is None or not stored & {home.province, home.city, home.district} - {""}:
            return given_hits, {i: [] for i in range(len(asks))}
        scope = home.province or home.city or home.district
        filters = Filters(city=retriever.resolve_place(scope) or scope)

        given = {o for o, _ in req.opinions}  # an attached opinion is used as given, not its archived copy

        def search(query: str, n: int) -> list[Hit]:
            hits = retriever.search(query, n * 4, filters, decompose=False).hits
            return [h for h in hits if in_jurisdiction(h.metadata, home)
                    and not (h.meta.office in given
                             and (h.meta.kind == "co_handling" or h.meta.case_role == "opinion"))][:n]

        p = req.proposal
        # the topic, then its overall figures (the letter opens with them: 全市共有…家, 截至…累计…)
        general = [search(p.title, 3)]
        for subject in title_subjects(p.title)[:3]:
            general.append(search(f"{subject} {profile().section('compose')['overview_query']}", 2))
        per_ask = [search(f"{ask} {p.title}", 4) for ask in asks]
        nxt = [h for h in search(f"下一步工作计划 {p.title}", 4) if _is_next_step(h, h.text)]
        # the opinions, then the office's own best passage on the topic and on each overall search: a co-handler's
        # text never gives the lead's overall figures, so long opinions do not pack them away
        kept = list({h.id: h for h in [*given_hits, *(hits[0] for hits in general if hits)]}.values())
        merged: list[Hit] = []
        seen: set[str] = {h.id for h in kept}
        for rank in range(4):  # interleave so every ask keeps its best passages within the budget
            for hits in [*general, *per_ask, nxt]:
                if rank < len(hits) and hits[rank].id not in seen:
                    seen.add(hits[rank].id)
                    merged.append(hits[rank])
        spent = sum(count_tokens(passage_block(i + 1, h)) + 2 for i, h in enumerate(kept))
        passages = kept + pack(merged, max(self.settings.context_tokens - spent, 0)) if given_hits \
            else pack(kept + merged, self.settings.context_tokens)
        number = {h.id: i + 1 for i, h in enumerate(passages)}
        return passages, {i: [number[h.id] for h in hits if h.id in number] for i, hits in enumerate(per_ask)}

    def offline_letter(self, req: DraftRequest, asks: list[str], passages: list[Hit],
                       per_ask: dict[int, list[int]]) -> tuple[str, list[AskCoverage]]:
        """The template letter made of cited corpus sentences, one sub-point per ask in the proposal's order
        (an ask without material keeps its place, with a blank for the drafter)."""
        retriever = self.assistant.services.retriever
        w = _Lifter(req, passages, sorted(retriever.store_places()), retriever.lexical(),
                    self.settings.refusal_min_coverage)
        w.asks = list(asks)
        if req.opinions and req.role == "lead":
            text = self._opinion_letter(req, asks, passages, per_ask, w)
            return text, ask_coverage(text, asks, w.cities, w.lex)
        overview, overview_key = w.headline()
        done = [(ask, w.points(ask, [passages[n - 1] for n in per_ask.get(i, [])])) for i, ask in enumerate(asks)]
        # the headline sentence speaks to an ask left without material (it was that ask's material, taken first
        # as the headline): it goes under that ask
        for i, (ask, lines) in enumerate(done):
            if overview and not lines and (overview_key in w.speaks.get(i, set())
                                           or _covers(ask, overview, w.cities, w.lex)):
                done[i], overview = (ask, [overview]), ""
        w.next_steps()
        # an ask with no work done but a next step on it is pointed there, not reported as uncovered
        later = {i for i, (ask, lines) in enumerate(done)
                 if not lines and any(_covers(ask, s, w.cities, w.lex) for s in w.nxt)}
        text = self._assemble(req, done, w.nxt, overview, later)
        return text, ask_coverage(text, asks, w.cities, w.lex)

    def _opinion_letter(self, req: DraftRequest, asks: list[str], passages: list[Hit],
                        per_ask: dict[int, list[int]], w: _Lifter) -> str:
        """The lead office's letter with the co-handling opinions: 一、 the overall part (headline figure,
        the points on no ask), one sub-point per ask ("针对建议提出的“…”，一是…二是…", the opinions' points
        then the archive's), 二、 the next steps, at least one per ask. Every point of every opinion is in it."""
        words = profile().section("opinion_letter")
        plan = plan_opinions(req, asks)

        def said(sentences: list[str], hit: Hit) -> str:
            out = []
            for k, sent in enumerate(sentences):
                key = re.sub(r"\W", "", sent)
                w.used.add(key)
                line = w.sentence(sent, hit)
                out.append(attributed(line, hit, req.office) if k == 0 else line)
            return "".join(out)

        overview, _ = w.headline()
        general = [said(p.facts, p.hit) for p in plan if p.ask < 0 and p.facts]
        done: list[tuple[str, list[str]]] = []
        for i, ask in enumerate(asks):
            mine = [p for p in plan if p.ask == i and p.facts]
            lines = []
            for j, p in enumerate(mine):
                lead = str(words["ask_lead"]).format(ask=to_fullwidth(ask.rstrip("。；;"))) if j == 0 else ""
                order = str(words["ordinal"]).format(n="一二三四五六七八九十"[j] if j < 10 else j + 1) \
                    if len(mine) > 1 else ""
                lines.append(lead + order + said(p.facts, p.hit))
            archive = w.points(ask, [passages[n - 1] for n in per_ask.get(i, [])])
            lines += archive[: max(0, 3 - len(lines))] if lines else archive
            done.append((ask, lines))
        # next steps: the opinions' per ask, then the archive's; an ask none speaks of keeps a blank item
        w.next_steps()
        opinion_next = [(p.next_ask, said(p.nexts, p.hit)) for p in plan if p.nexts]
        nxt: list[str] = []
        archive_next = list(w.nxt)
        for i, ask in enumerate(asks):
            planned = [t for a, t in opinion_next if a == i]
            theirs = [t for t in archive_next if _covers(ask, t, w.cities, w.lex)]
            archive_next = [t for t in archive_next if t not in theirs]
            nxt += planned + theirs or [str(words["no_next_for_ask"]).format(ask=to_fullwidth(ask.rstrip("。；;")))]
        nxt += [t for a, t in opinion_next if a < 0] + archive_next
        later = {i for i, (_, lines) in enumerate(done) if not lines
                 and any(a == i for a, _ in opinion_next)}
        return self._assemble(req, done, nxt, "\n".join(x for x in [overview, *general] if x), later,
                              [str(x) for x in words["parts"]])

    def _assemble(self, req: DraftRequest, done: list[tuple[str, list[str]]], nxt: list[str], overview: str,
                  later: set[int] | None = None, parts: list[str] | None = None) -> str:
        """The letter; `parts` (the opinion letter's three headings: overall, one sub-point per ask, next steps)
        instead of 一、 work done with its sub-points and 二、 next steps."""
        words = profile().section("compose")
        out = [salutation(req.proposal, req.role, req.lead_office),
               acknowledgement(req.proposal, req.role, req.co_offices, req.office),
               parts[0] if parts else "一、工作开展情况"]
        if overview:
            out.append(overview)
        elif parts:
            out.append(str(profile().section("opinion_letter")["no_overall"]))
        if parts:
            out.append(parts[1])
        for k, (ask, lines) in enumerate(done):  # the proposal's order; a blank stays in its place
            label = to_fullwidth(ask.rstrip("。；;"))
            out.append(f"（{_cn(k + 1)}）" + str(words["sub_heading"]).format(ask=label))
            if lines:
                out += lines
            else:
                out.append(str(words["no_done_material" if k in (later or set()) else "no_material"]))
        out.append(parts[2] if parts else "二、下一步工作计划")
        if nxt:
            for j, s in enumerate(nxt):
                out.append(f"（{_cn(j + 1)}）{s}")
        else:
            out.append(str(words["no_next_material"]))
        co = profile().section("cohandling")
        out.append("感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见和建议。" if req.role == "lead"
                   else str(co["opinion_closing"]))
        out.append("此复" if req.role == "lead" else str(co["opinion_sign_off"]))
        out.append(req.office)
        out.append(req.date or "【日期待填写】")
        out.append(f"（{to_fullwidth(req.fields.contact_line())}）")
        return "\n".join(out)

    def draft(self, req: DraftRequest, generator: str | None = None) -> Draft:
        t0 = time.perf_counter()
        p = req.proposal
        asks = p.asks or extract_asks(p.body) or [p.title]
        passages, per_ask = self.material(req, asks)
        t1 = time.perf_counter()
        gen = generator or self.settings.generator
        notice, used, text = "", "offline", ""
        if gen == "llm" and passages:
            try:
                model = self.assistant.chat_model()
                user = prompts.load("draft_reply").render(
                    proposal=json.dumps({"标题": p.title, "编号": p.number, "提出人": p.proposer,
                                         "类型": p.kind_name, "正文": p.body[:2000]}, ensure_ascii=False),
                    asks="\n".join(f"{i + 1}. {a}" for i, a in enumerate(asks)), office=req.office,
                    date=req.date or BLANK, role="主办答复" if req.role == "lead" else f"会办意见（致{req.lead_office}）",
                    instructions=req.instructions or "无",
                    passages="\n\n".join(passage_block(i + 1, h) for i, h in enumerate(passages)))
                text = model.complete(prompts.load("system").render(), user)
                used = f"llm:{model.name}"
                missing = [STRUCTURE_NAMES[k] for k in ESSENTIAL if not check_structure(text, req)[k]]
                if missing:  # not a letter (a weak model may echo the prompt): the template letter instead
                    notice = f"模型生成的函件缺少{'、'.join(missing)}，以下为离线生成的草稿。"
                    text, used = "", "offline"
            except GenerationError as exc:
                notice = f"{exc.cause}，以下为离线生成的草稿。"
        if not text:
            text, _ = self.offline_letter(req, asks, passages, per_ask)
        planted = [o for o, hits in req.opinions if any(h.meta.planted for h in hits)]
        if planted:
            notice = (notice + " " if notice else "") + (
                f"{'、'.join(planted)}的会办意见中有文字像是对本助手的指令，已不写入函件，请核对原件。")
        text = to_fullwidth(text)  # a model's letter too: full-width punctuation in Chinese text (1:1)
        first = cite.check(text, support_texts(passages), self.settings.support_threshold, attribute=used != "offline")
        text, passages = renumber(first.text, passages)  # [1], [2], [3]… in order of first use
        report = cite.check(text, support_texts(passages), self.settings.support_threshold)
        report = dataclasses.replace(report, markers_total=first.markers_total, markers_valid=first.markers_valid,
                                     markers_removed=first.markers_removed)
        retriever = self.assistant.services.retriever
        coverage = ask_coverage(report.text, asks, sorted(retriever.store_places()), retriever.lexical())
        return Draft(req, letter_title(req), report.text, passages, report, coverage,
                     check_structure(report.text, req), notice, used, (t1 - t0) * 1000,
                     (time.perf_counter() - t1) * 1000)


def with_text(draft: Draft, text: str, threshold: float) -> Draft:
    """The draft with an edited letter, its citations checked again against the same passages."""
    report = cite.check(text, support_texts(draft.passages), threshold)
    return replace(draft, text=report.text, report=report, structure=check_structure(report.text, draft.request))


def load_request(path: Path, office: str = "", date: str = "", role: Role = "lead", lead_office: str = "") -> DraftRequest:
    """A proposal JSON file: the question set's `proposal` shape, optionally with office/date/role/fields."""
    data = json.loads(path.read_text(encoding="utf-8"))
    prop = data.get("proposal", data)
    fields = LetterFields.of(data.get("fields"))
    return DraftRequest(Proposal.from_dict(prop), office or data.get("office", ""), date or data.get("date", ""),
                        role if role != "lead" else data.get("role", "lead"), lead_office or data.get("lead_office", ""),
                        data.get("instructions", ""), fields)
