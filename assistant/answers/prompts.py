"""Prompt templates as files in prompts/, loaded by name, with their variables checked at load time."""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"

# The variables each template must use: a missing or an unexpected one is an error when loading.
VARIABLES: dict[str, frozenset[str]] = {
    "system": frozenset(),
    "answer": frozenset({"passages", "history", "question"}),
    "draft_reply": frozenset({"proposal", "asks", "office", "date", "role", "instructions", "passages"}),
    "judge": frozenset({"sentence", "passages"}),
}


class PromptError(ValueError):
    """A template that does not match the variables the code fills in."""


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    variables: frozenset[str]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def render(self, **values: str) -> str:
        given = set(values)
        if given != self.variables:
            raise PromptError(
                f"prompt {self.name!r}: missing {sorted(self.variables - given)}, unexpected {sorted(given - self.variables)}"
            )
        return string.Template(self.text).substitute(values)


def template_variables(text: str) -> set[str]:
    """$name and ${name} identifiers of a string.Template ($$ is a literal dollar)."""
    names = set()
    for m in string.Template.pattern.finditer(text):
        if m.group("invalid") is not None:
            raise PromptError(f"invalid placeholder at offset {m.start()}: {text[m.start():m.start() + 12]!r}")
        names.add(m.group("named") or m.group("braced") or "")
    return {n for n in names if n}


def check(name: str, text: str, expected: frozenset[str]) -> Prompt:
    found = template_variables(text)
    if found != expected:
        raise PromptError(
            f"prompt {name!r}: variables {sorted(found)} do not match the expected {sorted(expected)} "
            f"(missing {sorted(expected - found)}, unused by the code {sorted(found - expected)})"
        )
    return Prompt(name, text, expected)


@lru_cache(maxsize=16)
def load(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    if name not in VARIABLES:
        raise PromptError(f"unknown prompt {name!r}; known: {', '.join(sorted(VARIABLES))}")
    path = directory / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"{path}: cannot read prompt ({exc.strerror})") from exc
    return check(name, text, VARIABLES[name])


def hashes(directory: Path = PROMPTS_DIR) -> dict[str, str]:
    """sha256 of every prompt file, recorded with evaluation runs."""
    return {name: load(name, directory).sha256 for name in VARIABLES}
