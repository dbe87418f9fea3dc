"""Strings for the spec's (simple) ``pattern``s: literals, classes, repeats, groups, branches
and anchors, which is all Allegro's patterns use."""

from __future__ import annotations

import random
import string
from typing import Any

try:  # Python 3.11+
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover (3.10)
    import sre_parse


def matching(pattern: str, rng: random.Random) -> str:
    """A string made from ``pattern``'s parts (the caller checks that it matches)."""
    return "".join(_from_parsed(sre_parse.parse(pattern), rng))


def _from_parsed(parsed: Any, rng: random.Random) -> list[str]:
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "IN":
            out.append(_from_class(arg, rng))
        elif name == "ANY":
            out.append("x")
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, sub = arg
            for _ in range(rng.randint(low, min(high, low + 3))):
                out += _from_parsed(sub, rng)
        elif name == "SUBPATTERN":
            out += _from_parsed(arg[-1], rng)
        elif name == "BRANCH":
            out += _from_parsed(rng.choice(arg[1]), rng)
        elif name != "AT":  # anchors add nothing
            raise ValueError(f"pattern element {name} is not supported")
    return out


def _from_class(items: list[Any], rng: random.Random) -> str:
    """A character of a ``[...]`` class (a negated class gets a letter or digit outside it)."""
    negate = any(str(op) == "NEGATE" for op, _ in items)
    pool: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            pool.append(chr(arg))
        elif name == "RANGE":
            pool += [chr(c) for c in range(arg[0], arg[1] + 1)]
        elif name == "CATEGORY":
            pool += list(string.digits) if "DIGIT" in str(arg) else list(string.ascii_letters)
    if negate:
        pool = [c for c in string.ascii_letters + string.digits if c not in pool]
    return rng.choice(pool)
