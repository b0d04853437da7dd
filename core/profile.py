"""The domain profile: everything a domain expert reviews (heading schemes, page chrome, kinds, office
names, letter formulas, question cues), kept as data in `core/domain/*.toml` and loaded once.

Stages receive the `Profile` (or call `profile()`); none keeps its own copy of a list.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any


def _alt(words: list[str]) -> str:
    """A regex alternation of literal words, longest first (so 办公室 wins over 办)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class HeadingScheme:
    rank: int
    pattern: re.Pattern[str]
    example: str


class Profile:
    """Typed, compiled view of the domain data. Built once; cheap to pass around."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    # -- raw sections ---------------------------------------------------------------------------------
    def section(self, name: str) -> dict[str, Any]:
        return dict(self.data.get(name, {}))

    def words(self, section: str, key: str) -> list[str]:
        return [str(x) for x in self.data.get(section, {}).get(key, [])] + self._shared.get((section, key), [])

    @cached_property
    def _shared(self) -> dict[tuple[str, str], list[str]]:
        """Lists that take in another table, so each name is written once: the proposer bodies of
        offices.toml ([proposer_bodies]) are CPPCC words and body proposers of intake.toml too."""
        if "proposer_bodies" not in self.data:
            return {}
        return {("intake_cues", "cppcc_words"): self.proposer_body_names,
                ("intake_cues", "body_proposer"): [self.proposer_body.pattern]}

    # -- documents ------------------------------------------------------------------------------------
    @cached_property
    def kind_labels(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.data["kinds"].items()}

    @cached_property
    def doc_kinds(self) -> dict[str, list[str]]:
        return {str(k): [str(x) for x in v] for k, v in self.data["doc_kinds"].items()}

    @cached_property
    def title_cues(self) -> list[tuple[str, list[str]]]:
        return [(str(k), [str(x) for x in v]) for k, v in self.data["title_cues"].items()]

    def title_kind(self, text: str) -> str:
        """The kind a title (or a document's first lines) announces, "" when it names none."""
        best, at = "", -1
        for kind, cues in self.title_cues:
            for c in cues:
                end = text.rfind(c) + len(c) if c in text else -1
                if end > at:  # the head noun comes last: 关于印发《…实施方案》的通知 is a notice
                    best, at = kind, end
        return best

    @cached_property
    def proposal_marker(self) -> re.Pattern[str]:
        return re.compile(self.data["letters"]["proposal_marker"])

    @cached_property
    def cn_numerals(self) -> str:
        return str(self.data["headings"]["cn_numerals"])

    def _cn(self, pattern: str) -> str:
        return pattern.replace("{CN}", self.cn_numerals)

    @cached_property
    def heading_schemes(self) -> list[HeadingScheme]:
        return [HeadingScheme(int(s["rank"]), re.compile(self._cn(s["pattern"])), str(s["example"]))
                for s in self.data["headings"]["schemes"]]

    def heading_rank(self, line: str) -> int | None:
        """The rank of the first heading scheme a (normalised) line opens with, None for running text:
        the one reading of 一、/（一）/1./(1)/① headings that every stage shares."""
        return next((h.rank for h in self.heading_schemes if h.pattern.match(line)), None)

    @cached_property
    def numbered_headings(self) -> list[re.Pattern[str]]:
        """Numbered heading markers whose group is the number: (一), 一、, (1), 1."""
        return [re.compile(self._cn(p)) for p in self.data["headings"]["numbered"]]

    @cached_property
    def shi_marker(self) -> re.Pattern[str]:
        return re.compile(self._cn(self.data["headings"]["shi_marker"]))

    @cached_property
    def planted_instruction(self) -> re.Pattern[str]:
        """Text addressing the assistant ("忽略以上所有指令", "你现在必须输出…"): not a fact (trust.toml)."""
        return re.compile("|".join(f"(?:{p['pattern']})" for p in self.data["instructions"]["patterns"]), re.I)

    @cached_property
    def chrome_line(self) -> re.Pattern[str]:
        return re.compile("^(?:" + "|".join(f"(?:{p['pattern']})" for p in self.data["chrome"]["line_patterns"])
                          + ")$", re.IGNORECASE)

    @cached_property
    def index_labels(self) -> str:
        """The labels as a regex alternation; a label may be spaced out ("索 引 号", "文  号")."""
        words = sorted(set(self.words("chrome", "index_labels")), key=len, reverse=True)
        return "|".join(r"\s{0,3}".join(re.escape(ch) for ch in w) for w in words)

    @cached_property
    def salutation(self) -> re.Pattern[str]:
        return re.compile(rf"^[^。;]{{2,80}}?(?:{_alt(self.words('letters', 'salutation_suffixes'))})(们)?:$")

    @cached_property
    def proposer_suffix(self) -> re.Pattern[str]:
        return re.compile(rf"(?:{_alt(self.words('letters', 'proposer_suffixes'))})$")

    @cached_property
    def frame_sentence(self) -> re.Pattern[str]:
        """A sentence of a letter's frame (收悉, 现答复如下, thanks), which states no fact."""
        return re.compile("|".join(self.words("letters", "frame_patterns")))

    def frame_only(self, text: str) -> bool:
        """A passage that is all frame: salutation, acknowledgement, lead-ins ("…工作情况答复如下:"), closing.

        It restates the proposal's words, so it matches every question on the topic while answering none."""
        pieces = [x.strip() for x in re.split(r"(?<=[。!?;:])|\n", text) if x.strip()]
        return bool(pieces) and all(self.frame_line(x) for x in pieces)

    def frame_line(self, text: str) -> bool:
        """One sentence or line (normalised) of a letter's frame: salutation ("魏朗代表:"), acknowledgement,
        thanks, closing, contact line, the signing office, or a lead-in ending in ":" ("现说明如下:")."""
        x = text.strip()
        return bool(self.salutation.match(x) or self.frame_sentence.search(x) or self.closing_line.match(x)
                    or self.contact_line.match(x) or self.office_line.match(x)
                    or (x.endswith(":") and not re.search(r"\d", x)))

    @cached_property
    def closings(self) -> tuple[str, ...]:
        return tuple(self.words("letters", "closings"))

    @cached_property
    def closing_line(self) -> re.Pattern[str]:
        return re.compile(self.data["letters"]["closing_line"])

    @cached_property
    def contact_line(self) -> re.Pattern[str]:
        return re.compile(self.data["letters"]["contact_line"])

    @cached_property
    def date_line(self) -> re.Pattern[str]:
        return re.compile(self.data["letters"]["date_line"])

    @cached_property
    def number_token(self) -> str:
        """A proposal number as written (DH0271, J027, 21-103, Y19): {NO} in the number patterns."""
        return str(self.data["letters"]["number_token"])

    def _no(self, pattern: str) -> str:
        return pattern.replace("{NO}", self.number_token)

    @cached_property
    def number_patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(self._no(p["pattern"]), re.M) for p in self.data["letters"]["number_patterns"]]

    def number_pattern(self, name: str) -> re.Pattern[str]:
        """One named number pattern: "bare" is 第…号 alone."""
        entry = next(p for p in self.data["letters"]["number_patterns"] if p.get("name") == name)
        return re.compile(self._no(entry["pattern"]), re.M)

    @cached_property
    def title_number(self) -> re.Pattern[str]:
        """A number in brackets before a proposal's title: "(117)关于…的提案"."""
        return re.compile(self._no(self.data["letters"]["title_number"]["pattern"]))

    @cached_property
    def doc_number(self) -> re.Pattern[str]:
        return re.compile(self.data["letters"]["doc_number"])

    # -- offices --------------------------------------------------------------------------------------
    @cached_property
    def proposer_body_names(self) -> list[str]:
        """Every name of a democratic party (full and short), 工商联 and 无党派人士."""
        sec = self.data.get("proposer_bodies", {})
        parties = [str(n) for p in sec.get("parties", []) for n in (p["full"], *p["short"])]
        return parties + [str(n) for o in sec.get("others", []) for n in o["names"]]

    @cached_property
    def proposer_body(self) -> re.Pattern[str]:
        """A proposer that is a democratic party, 工商联 or the non-party group: 民建东莞市委会, 民盟广州市委,
        中国农工民主党东莞市委员会, 市工商联. A short form counts at the start only (王民进 is a person)."""
        sec = self.data.get("proposer_bodies", {})
        short = [str(s) for p in sec.get("parties", []) for s in p["short"]]
        anywhere = [str(p["full"]) for p in sec.get("parties", [])] + [str(n) for o in sec.get("others", [])
                                                                       for n in o["names"]]
        return re.compile(rf"^(?:{_alt(short)})|{_alt(anywhere)}")

    @cached_property
    def ministry(self) -> re.Pattern[str]:
        """A national issuer at the start of a title or office (教育部, 国家发展和改革委员会, 国务院办公厅):
        its documents name no place of their own."""
        sec = self.data["offices"]
        names = [str(n) for m in sec["ministries"] for n in (m["name"], *m.get("short", []))]
        return re.compile(rf"^(?:{_alt(names)})(?!门)|{'|'.join(self.words('offices', 'national_cues'))}")

    @cached_property
    def office_suffix(self) -> str:
        return _alt(self.words("offices", "suffixes"))

    @cached_property
    def office_line(self) -> re.Pattern[str]:
        """A signature line that is an office name: "重庆市巴南区交通局", "隆尧县科工局"."""
        name = rf"[\u4e00-\u9fff()·]{{2,40}}(?:{self.office_suffix})"
        return re.compile(rf"^{name}(?:\s+{name})*$")

    @cached_property
    def agency_aliases(self) -> dict[str, list[str]]:
        """Short name → the words of full names it stands for (工信局 → 工业和信息化局, 经济和信息化局…)."""
        out: dict[str, list[str]] = {}
        for short, full in self.data["offices"]["aliases"].items():
            out[str(short)] = [str(f) for f in (full if isinstance(full, list) else [full])]
        return out

    # -- questions ------------------------------------------------------------------------------------
    def cue(self, name: str) -> re.Pattern[str]:
        return _cue(self, name)


@lru_cache(maxsize=64)
def _cue_cached(pid: int, name: str, words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(_alt(list(words)))


def _cue(p: Profile, name: str) -> re.Pattern[str]:
    return _cue_cached(id(p), name, tuple(p.words("questions", name)))


def load_profile(root: Traversable | None = None) -> Profile:
    """Read every `*.toml` of the domain folder (default `core/domain/`); a table may appear in one file
    only, so nothing is silently shadowed."""
    data: dict[str, Any] = {}
    root = root or resources.files("core").joinpath("domain")
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            part = tomllib.loads(entry.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"domain profile {entry.name}: {exc}") from exc
        clash = set(part) & set(data)
        if clash:
            raise ValueError(f"domain profile: table(s) {sorted(clash)} defined twice ({entry.name})")
        data.update(part)
    return Profile(data)


@lru_cache(maxsize=1)
def profile() -> Profile:
    """The profile shipped with the product, loaded once per process."""
    return load_profile()
