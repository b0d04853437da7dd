"""What every command group shares: settings from the command line, the search filters."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.settings import Settings


def settings_from(args: argparse.Namespace) -> Settings:
    """The one settings object, with --data-dir applied."""
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


def filters_from(args: argparse.Namespace) -> Any:
    from assistant.retrieval.hybrid import Filters

    return Filters(city=args.city or "", year=args.year, kind=args.kind or "", office=args.office or "")


def add_filters(s: argparse.ArgumentParser) -> None:
    s.add_argument("--k", type=int)
    s.add_argument("--city")
    s.add_argument("--year", type=int)
    s.add_argument("--kind", choices=["proposal", "reply", "co_handling", "notice", "implementation_plan"])
    s.add_argument("--office")
