"""The generated request-body rules (``allegro_async/api/_request_rules.py``): each rule that
recurs is written once and used by name, and the table reads back as the spec's rules."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from allegro_async.api import _request_rules
from tests.conftest import require_spec
from tools.apigen import request_rules, spec


def test_a_recurring_rule_is_written_once() -> None:
    tree = ast.parse(Path(_request_rules.__file__).read_text("utf-8"))
    literals = Counter(ast.unparse(node) for node in ast.walk(tree)
                       if isinstance(node, (ast.Dict, ast.Tuple)))
    # a literal no longer than a constant's name may stay inline: ("id",)
    repeated = {text: n for text, n in literals.items() if n > 1 and len(text) > 12}
    assert not repeated, sorted(repeated, key=len)[:5]


def test_the_table_reads_back_as_the_rules_of_the_spec() -> None:
    built = request_rules.build(spec.load(str(require_spec())))
    assert repr(_request_rules.RULES) == repr(built)  # same nodes, order and number types
    assert _request_rules.RULES["AdditionalEmailRequest"]["p"]["email"] == {"t": "string"}
