"""`assistant check DRAFT`: a draft reply checked against the earlier replies of the archive, and its wording.

(a) figures that conflict with a same-date source, (b) figures older than a newer source (stale), (c) 下一步
commitments of an earlier reply on the topic (same proposer, same proposal number, or same office and topic)
that the draft does not report on, (d) promises no source supports, commitments on behalf of another office,
absolute, colloquial or opinion wording. Every flag carries the sentence, the reason and the source passage.
Word lists: the domain profile's `[commitments]`, `[related]` and `[wording]` (`core/domain/wording.toml`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.evidence import cite
from assistant.facts.archive import ArchiveDoc, archive_docs
from assistant.facts.figures import Figure, dice, figures, same_measure, sentences
from core.profile import profile
from core.text import doc_label, normalize_text

_CJK = re.compile(r"[\u4e00-\u9fff]")


class DraftError(ValueError):
    """A draft that cannot be checked; the message is one line for the user."""


@dataclass
class Flag:
    type: str  # conflict | stale | commitment | promise | other_office | absolute | colloquial | opinion
    sentence: str
    reason: str
    source: str = ""  # the source passage's sentence
    source_doc: str = ""
    source_title: str = ""
    source_date: str = ""
    phrase: str = ""

    def line(self) -> str:
        src = f"  〔来源：《{self.source_title}》{doc_label(self.source_date)}：{self.source[:80]}〕" if self.source else ""
        return f"[{self.type}] {self.reason}\n  句子：{self.sentence[:120]}{src}"


@dataclass
class CheckReport:
    flags: list[Flag] = field(default_factory=list)
    draft: dict[str, Any] = field(default_factory=dict)  # what was read from the draft (office, date, proposer…)
    related: list[str] = field(default_factory=list)  # earlier replies compared for commitments

    @property
    def ok(self) -> bool:
        return not self.flags

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "draft": self.draft, "related": self.related, "flags": [asdict(f) for f in self.flags]}

    def text(self) -> str:
        if self.ok:
            return "未发现问题：数字与档案一致，前次承诺均有回应，措辞规范。"
        return f"发现 {len(self.flags)} 处需核对：\n" + "\n".join(f.line() for f in self.flags)


# -- reading a draft ---------------------------------------------------------------------------------------------
def read_draft(path: Path) -> str:
    """The text of a draft file (any format the ingest reads), or a DraftError with one clear line."""
    if not path.exists():
        raise DraftError(f"{path}: no such file")
    if path.is_dir():
        raise DraftError(f"{path}: is a folder, not a draft file")
    try:
        if path.suffix.lower() in (".txt", ".md", ""):
            raw = path.read_bytes()
            for enc in ("utf-8-sig", "utf-16", "gb18030"):
                try:
                    text = raw.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise DraftError(f"{path}: cannot read the draft (unknown text encoding)")
            if "\x00" in text:
                raise DraftError(f"{path}: cannot read the draft (binary content)")
        else:
            from ingest.load import load_document

            text = load_document(path).text
    except DraftError:
        raise
    except Exception as exc:  # unreadable: permissions, corrupt docx/pdf…
        raise DraftError(f"{path}: cannot read the draft ({type(exc).__name__}: {str(exc)[:80]})") from None
    return validate(text, str(path))


def validate(text: str, name: str = "draft") -> str:
    body = normalize_text(text or "").strip()
    if not body:
        raise DraftError(f"{name}: the draft is empty")
    letters = re.findall(r"[^\W\d_]", body)
    cjk = _CJK.findall(body)
    if len(cjk) < 10 or len(cjk) < 0.3 * len(letters):
        raise DraftError(f"{name}: the draft is not in Chinese (a reply letter in Chinese is expected)")
    return text


def draft_document(text: str) -> ArchiveDoc:
    """The draft read like an ingested document: its parts, metadata (office, date, proposer, number)."""
    from ingest.pipeline import parse_text

    try:
        parsed = parse_text("__draft__", text, "", 100000)
    except ValueError as exc:
        raise DraftError(f"draft: {exc}") from None
    docs = archive_docs((c.text, c.metadata) for c in parsed.record.chunks)
    doc = docs.get("__draft__") or ArchiveDoc("__draft__", {})
    meta = doc.meta
    m = parsed.meta
    meta.update({k: v for k, v in {"title": m.title, "office": m.office, "proposer": m.proposer, "number": m.number,
                                   "proposal_title": m.proposal_title, "city": m.city, "province": m.province,
                                   "district": m.district, "place": m.place}.items() if v and not meta.get(k)})
    meta["date"] = meta.get("date") or m.date or m.published
    if not doc.passages:
        doc.passages = [(normalize_text(text), dict(meta))]
    return doc


# -- the archive ---------------------------------------------------------------------------------------------------
def _norm_text(s: str) -> str:
    return re.sub(r"\s+", "", normalize_text(s))


def _eligible(doc: ArchiveDoc, draft: ArchiveDoc) -> bool:
    """An archive document the draft can be held to: not the draft itself, not dated after it."""
    if doc.doc_id == draft.doc_id:
        return False
    if _norm_text(doc.text)[:400] and _norm_text(doc.text)[:400] in _norm_text(draft.text):
        return False  # the same letter stored under another id
    return not (draft.date and doc.date and doc.date[:10] > draft.date[:10])


def _grams(s: str, drop: Iterable[str] = ()) -> set[str]:
    s = normalize_text(s)
    for w in sorted(drop, key=len, reverse=True):
        s = s.replace(w, "|")
    s = re.sub(r"[^\u4e00-\u9fff|]", "|", s)
    return {a + b for part in s.split("|") for a, b in zip(part, part[1:], strict=False)}


def _person(p: str) -> str:
    return re.sub(r"(等)?(代表|委员|同志|们)+$", "", normalize_text(p)).strip()


def related_replies(draft: ArchiveDoc, docs: dict[str, ArchiveDoc]) -> list[tuple[ArchiveDoc, str]]:
    """Earlier replies on the draft's matter: same proposer, same proposal number, or same office and topic."""
    conf = profile().section("related")
    formulas = profile().words("related", "title_formulas")
    d = draft.meta
    topic = _grams(str(d.get("proposal_title") or d.get("title", "")), formulas)
    out: list[tuple[ArchiveDoc, str]] = []
    for doc in docs.values():
        m = doc.meta
        if not _eligible(doc, draft) or m.get("doc_kind") not in ("reply", "co_handling"):
            continue
        if draft.date and doc.date and doc.date[:10] >= draft.date[:10]:
            continue
        why = ""
        if d.get("proposer") and m.get("proposer") and _person(str(d["proposer"])) == _person(str(m["proposer"])):
            why = f"同一提出人（{m['proposer']}）"
        elif d.get("number") and m.get("number") and str(d["number"]) == str(m["number"]) and \
                str(d.get("place", "")) == str(m.get("place", "")):
            why = f"同一编号（第{m['number']}号）"
        elif d.get("office") and m.get("office") == d.get("office"):
            other = _grams(str(m.get("proposal_title") or m.get("title", "")), formulas)
            if dice(topic, other) >= float(conf.get("same_topic", 0.35)):
                why = "同一办理单位、同一主题"
        if why:
            out.append((doc, why))
    # the latest reply on the matter accounts for the ones before it: hold the draft to that one (and to the
    # latest reply to the same proposer, when that is another)
    out.sort(key=lambda x: x[0].date, reverse=True)
    keep = out[:1] + [x for x in out[1:2] if x[1].startswith("同一提出人") and not out[0][1].startswith("同一提出人")]
    return keep


# -- (a)(b) figures ----------------------------------------------------------------------------------------------------
def _archive_figures(docs: Iterable[ArchiveDoc]) -> list[Figure]:
    out: list[Figure] = []
    for doc in docs:
        seen: set[str] = set()
        for text, meta in doc.passages:
            if meta.get("kind") == "proposal":
                continue  # a proposer's figure is not the office's record
            for s in sentences(text):
                if s in seen:
                    continue
                seen.add(s)
                out += [f for f in figures(s, {**meta, "date": meta.get("date") or doc.date}) if not f.is_target]
    return out


def _source(flag_type: str, sentence: str, reason: str, f: Figure) -> Flag:
    return Flag(flag_type, sentence, reason, f.sentence, str(f.meta.get("doc_id", "")), str(f.meta.get("title", "")),
                str(f.meta.get("date", "")), f.text)


def _cumulative(f: Figure) -> bool:
    """A running total (累计, 共有… in its clause before it), which does not go down; shares and rates do."""
    facts = profile().section("facts")
    if f.unit in [str(u) for u in facts.get("cumulative_units_not", [])]:
        return False
    return any(str(w) in f.subject for w in facts.get("cumulative_cues", []))


def check_figures(draft: ArchiveDoc, pool: list[Figure], today: str = "") -> list[Flag]:
    """(a) a figure that differs from a same-date source, or a total lower than an earlier one of the same
    measure; (b) a figure older than a newer source. "截至目前/目前/现有" take the draft's date (its date line,
    else `today`); a figure said to hold now that repeats an older source's is as old as that source."""
    flags: list[Flag] = []
    done: set[tuple[str, str]] = set()
    own_date = draft.date or today or dt.date.today().isoformat()
    for text, meta in draft.passages:
        for s in sentences(text):
            for df in figures(s, {**meta, "date": meta.get("date") or own_date}):
                if df.is_target or (s, df.text) in done:
                    continue
                same = [af for af in pool if same_measure(df, af)]
                if not same:
                    continue
                done.add((s, df.text))
                eff = df.as_of.key
                matches = [af for af in same if af.value == df.value]
                repeated = bool(matches) and (not df.as_of.stated or df.as_of.now)
                if repeated:
                    eff = max(af.as_of.key for af in matches)  # a repeated figure holds when its source said so
                clash = [af for af in same if af.as_of.key == eff and af.value != df.value]
                newer = sorted((af for af in same if af.as_of.key > eff and af.value != df.value),
                               key=lambda f: f.as_of.key, reverse=True)
                lower = sorted((af for af in same if af.as_of.key < eff and af.value > df.value),
                               key=lambda f: f.as_of.key, reverse=True) if _cumulative(df) else []
                if clash and (df.as_of.stated or matches):
                    af = clash[0]
                    flags.append(_source("conflict", s, f"“{df.text}”与同期资料不一致：{af.as_of.label}为{af.text}", af))
                elif newer and (df.as_of.stated or matches):
                    af = newer[0]
                    when = max(matches, key=lambda f: f.as_of.key).as_of.label if repeated else df.as_of.label
                    flags.append(_source("stale", s, f"“{df.text}”是{when}的数字，已有更新的数字：截至{af.as_of.label}为{af.text}",
                                         af))
                elif lower:
                    af = lower[0]
                    when = "截至目前" if df.as_of.now else f"截至{df.as_of.label}" if df.as_of.label else "本稿"
                    flags.append(_source("conflict", s, f"“{df.text}”是累计数，{when}却低于截至{af.as_of.label}已有的"
                                                         f"{af.text}", af))
    return flags


# -- (c) commitments -------------------------------------------------------------------------------------------------------
def promises(doc: ArchiveDoc) -> list[tuple[str, str]]:
    """(promise, its sentence) of a reply's next-steps part: items of 一是…二是… or sentences with a cue."""
    cues = profile().words("commitments", "section_cues")
    verbs = profile().words("commitments", "promise_cues")
    out: list[tuple[str, str]] = []
    for text, meta in doc.passages:
        in_section = any(c in str(meta.get("heading_path", "")) for c in cues)
        for s in sentences(text):
            if not (in_section or any(c in s for c in cues)):
                continue
            items = [x for x in re.split(r"(?=[一二三四五六七八九十]是)|[;；]", s) if x.strip()]
            for item in items:
                if re.match(r"^\s*(?:\(?[一二三四五六七八九十]+[)、]|\d+[.、])", item) and len(item) < 40:
                    continue  # a heading of the next-steps part names a field, not a promise
                if any(v in item for v in verbs) or in_section:
                    out.append((item.strip(), s))
    return out


def _distinct(item: str) -> set[str]:
    return _grams(item, profile().words("commitments", "generic"))


def check_commitments(draft: ArchiveDoc, related: list[tuple[ArchiveDoc, str]]) -> list[Flag]:
    conf = profile().section("commitments")
    share = float(conf.get("reported_share", 0.45))
    per_reply = int(conf.get("max_per_reply", 6))
    draft_sents = [_grams(s) for t, _ in draft.passages for s in sentences(t)]
    flags: list[Flag] = []
    for doc, why in related:
        got = 0
        for item, sent in promises(doc):
            grams = _distinct(re.split(r"[,，]", item)[0])  # the action, not the purpose clause after it
            if len(grams) < 4:
                continue
            best = max((len(grams & g) / len(grams) for g in draft_sents), default=0.0)
            if best >= share:
                continue
            year = doc.date[:4]
            flags.append(Flag("commitment", item, f"{year}年答复（{why}）承诺“{item[:40]}”，本稿未说明进展",
                              sent, doc.doc_id, str(doc.meta.get("title", "")), doc.date, ""))
            got += 1
            if got >= per_reply:
                break
    return flags


# -- (d) wording ---------------------------------------------------------------------------------------------------------
_FRAME = profile().frame_line  # salutation, 收悉, thanks, 此复, contact, signing office: domain profile


def _claims(draft: ArchiveDoc) -> list[str]:
    out: list[str] = []
    for text, _meta in draft.passages:
        for s in sentences(text):
            s2 = normalize_text(s).strip()
            if _FRAME(s2) or not cite.is_claim(s2):
                continue
            out.append(s.strip())
    return list(dict.fromkeys(out))


def _first(s: str, words: list[str], exceptions: list[str] = ()) -> str:  # type: ignore[assignment]
    masked = s
    for e in exceptions:
        masked = masked.replace(e, "#" * len(e))
    return next((w for w in sorted(words, key=len, reverse=True) if w in masked), "")


_SETS = re.compile(r"(?:19|20)\d{2}\s*年|明年|今年|年底前|年内|月底前|\d+(?:\.\d+)?\s*(?:%|万|亿|元|家|个|名|人|项|期|场)")


def check_wording(draft: ArchiveDoc, material: list[str]) -> list[Flag]:
    w = profile().section("wording")
    words = {k: [str(x) for x in w.get(k, [])] for k in w}
    flags: list[Flag] = []
    office = str(draft.meta.get("office", ""))
    # another government office named at the head of a clause: 市财政局将…, 东莞市人社局负责…
    office_rx = re.compile(r"(?:^|[,，;；。、:：由请])((?:[\u4e00-\u9fff]{2,4}(?:省|市|县|区))?(?:省|市|县|区|州)"
                           r"[\u4e00-\u9fff]{1,12}?(?:局|厅|委员会|委))")
    verbs = "|".join(re.escape(v) for v in words.get("commit_verbs", []))
    for s in _claims(draft):
        # a quotation (“口粮绝对安全”) is not the letter's own wording
        n = re.sub(r"“[^”]{0,40}”|\"[^\"]{0,40}\"", lambda m: "＂" * len(m[0]), normalize_text(s))
        if p := _first(n, words.get("opinion", [])):
            flags.append(Flag("opinion", s, f"“{p}”是个人意见的说法，答复函应陈述政策和工作", phrase=p))
        if p := _first(n, words.get("colloquial", [])):
            flags.append(Flag("colloquial", s, f"“{p}”是口语或网络用语，不宜用于公文", phrase=p))
        if p := _first(n, words.get("absolute", [])):
            flags.append(Flag("absolute", s, f"“{p}”是绝对化表述，公文应留有余地", phrase=p))
        for clause in re.split(r"[,，;；。]", n):
            p = _first(clause, words.get("promise", []), words.get("promise_exceptions", []))
            scope = _first(clause, words.get("scope", []))
            sets = _SETS.search(clause)
            if not p or not (sets or scope):
                continue
            support = cite.supporting_passage(s, material, 0.5) if material else None
            held = support is not None and (not scope or scope in normalize_text(material[support - 1]))
            if not held:
                what = sets.group(0) if sets else scope
                flags.append(Flag("promise", s, f"“{p}”作出的承诺（{what}）在资料中没有依据", phrase=p))
                break
        for m in office_rx.finditer(n):
            name = m[1]
            after = n[m.end():m.end() + 4]
            if not verbs or not re.match(rf"(?:{verbs})", after):
                continue
            if re.match(r"^(我|本|各|该|贵|你|您)", name) or len(name) < 3:
                continue
            if name[-3:] in office or name in office:
                continue
            before = n[max(0, m.start() - 6):m.start()]
            if any(x in before for x in words.get("shared_work", [])):
                continue
            flags.append(Flag("other_office", s, f"替{name}作出承诺（“{name}{after[:2]}…”），应由该单位答复或改为“商请/会同”",
                              phrase=name))
            break
    return flags


# -- the whole check -------------------------------------------------------------------------------------------------------
def check_text(text: str, chunks: Iterable[tuple[str, dict[str, Any]]], date: str = "", today: str = "") -> CheckReport:
    """Check a draft's text against an archive given as chunks (text, metadata) — the store's or parsed files'.
    `date` (ISO) overrides the date read from the draft (its signature date); `today` (ISO, default the clock's)
    dates "截至目前" in a draft without a date line."""
    validate(text)
    draft = draft_document(text)
    if date:
        draft.meta["date"] = date
    docs = archive_docs(chunks)
    eligible = {k: d for k, d in docs.items() if _eligible(d, draft)}
    report = CheckReport(draft={k: draft.meta.get(k, "") for k in ("title", "office", "date", "proposer", "number",
                                                                     "place")})
    report.flags += check_figures(draft, _archive_figures(eligible.values()), today)
    related = related_replies(draft, eligible)
    report.related = [f"{d.doc_id}（{why}）" for d, why in related]
    report.flags += check_commitments(draft, related)
    place = str(draft.meta.get("city") or draft.meta.get("place") or "")
    material = [t for d in eligible.values() for t, m in d.passages
                if not place or place in (m.get("city"), m.get("place"), m.get("province"), m.get("district"))]
    report.flags += check_wording(draft, material)
    return report


def check_store(text: str, store: Any) -> CheckReport:
    """Check a draft against everything in the store (what `assistant check` and the draft page do)."""
    from assistant.facts.archive import store_chunks

    return check_text(text, store_chunks(store))
