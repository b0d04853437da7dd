"""Times as a Chinese reader reads them: "2026年12月6日 18:58" (local time), never an ISO string."""

from __future__ import annotations

import datetime
import re

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:?\d{2}|Z)?)?")


def zh_time(stamp: str | None) -> str:
    """A stored time as the drafter reads it: "2026年12月6日 18:58" (local time), a date alone as "2026年12月6日";
    "" for nothing, anything else unchanged."""
    s = str(stamp or "").strip()
    if not s:
        return ""
    try:
        t = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return s
    if t.tzinfo is not None:
        t = t.astimezone()
    day = f"{t.year}年{t.month}月{t.day}日"
    return day if len(s) <= 10 else f"{day} {t.hour:02d}:{t.minute:02d}"


def zh_times_in(text: str) -> str:
    """Every ISO time inside a message written as a Chinese date."""
    return _ISO.sub(lambda m: zh_time(m.group(0)), str(text))


