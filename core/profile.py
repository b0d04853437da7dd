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
        return [str(x) for x in self.data.get(section, {}).get(key, [])]

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
        return bool(pieces) and all(
            self.salutation.match(x) or self.frame_sentence.search(x) or self.closing_line.match(x)
            or (x.endswith(":") and not re.search(r"\d", x)) for x in pieces)

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
    def number_patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(p["pattern"], re.M) for p in self.data["letters"]["number_patterns"]]

    @cached_property
    def doc_number(self) -> re.Pattern[str]:
        return re.compile(self.data["letters"]["doc_number"])

    # -- offices --------------------------------------------------------------------------------------
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
