"""The profile's planted-instruction patterns (core/domain/trust.toml): each matches its example, none matches
a counter-example or any sentence of the seed, dev and proposal corpora (a false flag would hide a real letter)."""

from __future__ import annotations

import re

import pytest

from core.profile import profile
from core.text import normalize_text, split_sentences
from tests.conftest import REPO_ROOT

P = profile()


@pytest.mark.parametrize("entry", P.data["instructions"]["patterns"], ids=lambda e: e["example"][:10])
def test_pattern_matches_its_example(entry: dict[str, str]) -> None:
    assert re.search(entry["pattern"], entry["example"], re.I)
    assert P.planted_instruction.search(normalize_text(entry["example"]))


@pytest.mark.parametrize("sentence", P.data["instructions"]["counter_examples"])
def test_counter_examples_are_not_flagged(sentence: str) -> None:
    assert not P.planted_instruction.search(normalize_text(sentence))


def test_no_sentence_of_the_corpora_is_flagged() -> None:
    files = [*REPO_ROOT.glob("corpus/*.txt"), *REPO_ROOT.glob("eval/corpora/dev/*.txt"),
             *REPO_ROOT.glob("eval/proposals/**/*.txt")]
    assert len(files) >= 30
    flagged = [(f.name, s) for f in files for s in split_sentences(normalize_text(f.read_text(encoding="utf-8")))
               if P.planted_instruction.search(s)]
    assert flagged == []
