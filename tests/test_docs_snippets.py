"""The docs tell the truth: every ```python block of README.md and docs/*.md compiles, its
imports from ``allegro_async`` resolve, the library calls it makes name real methods and
keywords, the library files it quotes exist and define what it shows, and every block runs
against the emulator, or says on the line before it why it cannot (``<!-- snippet: no-run
REASON: words -->``, a reason checked to be still true; see tests/_snippet_runner.py)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _snippet_runner
import pytest
import typing_extensions
from _snippets_not_run import NOT_RUN_ELSEWHERE

from allegro_async import AllegroApp, AllegroClient, Environment, RetryPolicy, Throttle
from allegro_async.testing import Emulator

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
# A block quoting the library starts with a comment naming the file: "# auth/flows.py, ...".
_QUOTE = re.compile(r"^#\s*((?:allegro_async/)?[\w/]+\.py)\b")
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass(frozen=True)
class Snippet:
    """One ```python block: where it is, its text, why it does not run (``None``: it runs),
    and the reader's modules (``# myapp.py`` blocks) before it on its page."""

    page: str
    line: int
    source: str
    no_run: tuple[str, str] | None
    modules: tuple[tuple[str, str], ...] = ()

    @property
    def run(self) -> bool:
        """Whether the block runs."""
        return self.no_run is None

    @property
    def id(self) -> str:
        """``page:line``, the test id."""
        return f"{self.page}:{self.line}"


def _reader_module(source: str) -> str | None:
    """``myapp`` for a block headed ``# myapp.py`` naming no library file (not a test)."""
    head = _QUOTE.match(source)
    if head is None or "/" in head.group(1) or head.group(1).startswith(("test_", "conftest")):
        return None
    name = head.group(1)[: -len(".py")]
    return None if (ROOT / "allegro_async" / f"{name}.py").exists() else name


def _snippets() -> list[Snippet]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        modules: list[tuple[str, str]] = []
        for match in _BLOCK.finditer(text):
            before = text[: match.start()].rstrip().splitlines()
            mark = _snippet_runner.NO_RUN.match(before[-1].strip()) if before else None
            source = match.group(1)
            rel = str(page.relative_to(ROOT))
            lines = {line.strip() for line in source.splitlines()}
            listed = next((why for (where, line), why in NOT_RUN_ELSEWHERE.items()
                           if where == rel and line in lines), None)
            found.append(Snippet(
                page=rel,
                line=text.count("\n", 0, match.start()) + 1,
                source=source,
                no_run=(mark.group(1), mark.group(2)) if mark else listed,
                modules=tuple(modules),
            ))
            module = _reader_module(source)
            if module is not None:
                modules.append((module, source))
    return found


SNIPPETS = _snippets()
RUN = [s for s in SNIPPETS if s.run]
NOT_RUN = [s for s in SNIPPETS if not s.run]


def _parse(snippet: Snippet) -> ast.Module:
    """The snippet's tree. Top-level ``await``/``async with``/``async for`` are allowed; a
    fragment of a function body (``return``, ``continue``) is parsed inside an ``async def``
    (and a loop): the docs quote bodies of the library's methods."""
    body = textwrap.indent(snippet.source, "        ")
    attempts = [
        snippet.source,
        "async def _snippet():\n" + textwrap.indent(snippet.source, "    "),
        "async def _snippet():\n    for _ in ():\n" + body,
    ]
    error: SyntaxError | None = None
    for source in attempts:
        try:
            tree = compile(source, snippet.id, "exec", flags=_FLAGS | ast.PyCF_ONLY_AST)
            compile(tree, snippet.id, "exec", flags=_FLAGS)
        except SyntaxError as exc:
            error = error or exc
            continue
        assert isinstance(tree, ast.Module)
        return tree
    assert error is not None
    raise AssertionError(f"{snippet.id}: does not compile: {error}") from error


def test_the_docs_have_python_blocks_and_most_run() -> None:
    assert len(SNIPPETS) > 50
    assert {s.page for s in RUN} >= {"README.md", "docs/client.md", "docs/errors.md",
                                     "docs/fastapi.md", "docs/testing.md"}
    # the FastAPI and testing pages run entirely (what a new user copies first)
    assert not [s.id for s in NOT_RUN if s.page in ("docs/fastapi.md", "docs/testing.md")]


def test_every_listed_block_is_one_block_of_its_page() -> None:
    for page, line in NOT_RUN_ELSEWHERE:
        blocks = [s for s in SNIPPETS if s.page == page
                  and line in {x.strip() for x in s.source.splitlines()}]
        assert len(blocks) == 1, f"NOT_RUN_ELSEWHERE: {line!r} is in {len(blocks)} blocks of {page}"


@pytest.mark.parametrize("snippet", NOT_RUN, ids=lambda s: s.id)
def test_a_block_that_does_not_run_says_a_reason_that_still_holds(
    snippet: Snippet, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert snippet.no_run is not None
    reason, words = snippet.no_run
    problem = _snippet_runner.reason_problem(reason, snippet.source, _parse(snippet))
    assert problem is None, f"{snippet.id}: no-run {reason} ({words}): {problem}"
    if reason in _snippet_runner.RUN_TO_CHECK:
        with pytest.raises(_snippet_runner.RUN_TO_CHECK[reason]):
            _snippet_runner.run(snippet.source, snippet.id, dict(snippet.modules),
                                Emulator(time_scale=600), tmp_path, monkeypatch)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.id)
def test_snippet_compiles_and_its_imports_resolve(snippet: Snippet) -> None:
    tree = _parse(snippet)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("allegro_async"):
            module = importlib.import_module(node.module or "")
            for alias in node.names:
                assert hasattr(module, alias.name), (
                    f"{snippet.id}: {node.module} has no {alias.name}"
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("allegro_async"):
                    importlib.import_module(alias.name)


def test_quoted_library_code_names_real_files_and_definitions() -> None:
    quoted = 0
    for snippet in SNIPPETS:
        head = _QUOTE.match(snippet.source)
        if head is None:
            continue
        rel = head.group(1)
        path = ROOT / (rel if rel.startswith("allegro_async/") else f"allegro_async/{rel}")
        if not path.exists() and "/" not in rel:
            continue  # "# conftest.py", "# myapp.py": the reader's own files
        assert path.exists(), f"{snippet.id}: quotes {rel}, which does not exist"
        source = path.read_text(encoding="utf-8")
        for name in re.findall(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)", snippet.source, re.M):
            assert re.search(rf"(?:def|class)\s+{name}\b", source), (
                f"{snippet.id}: {rel} defines no {name}"
            )
        quoted += 1
    assert quoted > 10


# -- calls: the names the snippets call the library by ------------------------------------------
def _service_classes() -> dict[str, type]:
    hints = {}
    for name in ("orders", "offers", "products", "offer_variants", "shipping_rates", "user"):
        prop = getattr(AllegroClient, name)
        hints[name] = inspect.signature(prop.func).return_annotation
    out: dict[str, type] = {}
    for name, annotation in hints.items():
        module = importlib.import_module(f"allegro_async.services.{name}")
        out[name] = getattr(module, str(annotation).split(".")[-1])
    return out


SERVICES = _service_classes()
_CLIENT_NAMES = {"client", "seller", "view", "app_client", "allegro_client"}
_CONSTRUCTORS: dict[str, Callable[..., Any]] = {
    "AllegroClient": AllegroClient,
    "AllegroApp": AllegroApp,
    "Emulator": Emulator,
    "Throttle": Throttle,
    "RetryPolicy": RetryPolicy,
    "Environment.custom": Environment.custom,
}


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def _target(dotted: str) -> tuple[str, Callable[..., Any] | None]:
    """What a dotted call name means in the docs, or ``None`` when unknown. Raises when the
    name is a client or service attribute that does not exist."""
    if dotted in _CONSTRUCTORS:
        return dotted, _CONSTRUCTORS[dotted]
    parts = dotted.split(".")
    if parts[0] in _CLIENT_NAMES and len(parts) == 2:
        member = getattr(AllegroClient, parts[1], None)
        assert member is not None, f"AllegroClient has no {parts[1]}"
        return dotted, member if callable(member) else None
    if parts[0] in _CLIENT_NAMES and len(parts) == 3 and parts[1] in SERVICES:
        member = getattr(SERVICES[parts[1]], parts[2], None)
        assert member is not None, f"{SERVICES[parts[1]].__name__} has no {parts[2]}"
        return dotted, member
    if parts[0] == "emulator" and len(parts) == 2 and hasattr(Emulator, parts[1]):
        return dotted, getattr(Emulator, parts[1])
    return dotted, None


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.id)
def test_snippet_calls_real_methods_with_real_keywords(snippet: Snippet) -> None:
    if _QUOTE.match(snippet.source):
        return  # the library's own code, with its own variable names
    for call in _calls(_parse(snippet)):
        dotted = _dotted(call.func)
        if dotted is None:
            continue
        try:
            name, func = _target(dotted)
        except AssertionError as exc:
            raise AssertionError(f"{snippet.id}: {exc}") from None
        if func is None:
            continue
        accepted = _keywords(func)
        if accepted is None:
            continue
        for keyword in call.keywords:
            if keyword.arg is not None:
                assert keyword.arg in accepted, f"{snippet.id}: {name}() takes no {keyword.arg}="


def _keywords(func: Callable[..., Any]) -> set[str] | None:
    """The keyword names ``func`` accepts, or ``None`` for any. ``**options:
    Unpack[RequestOptions]`` (``AllegroClient.request``) accepts the TypedDict's keys."""
    params = inspect.signature(func).parameters
    names = {n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    var = [n for n, p in params.items() if p.kind is p.VAR_KEYWORD]
    if not var:
        return names
    if func is Emulator.client:  # its keywords go to AllegroClient
        return names | (_keywords(AllegroClient) or set())
    try:
        hint = typing.get_type_hints(func, include_extras=True).get(var[0])
    except NameError:  # an annotation imported only for type checking
        return None
    if typing.get_origin(hint) in (typing_extensions.Unpack, getattr(typing, "Unpack", None)):
        (typed_dict,) = typing.get_args(hint)
        return names | set(typing.get_type_hints(typed_dict))
    return None


# -- the runnable ones -----------------------------------------------------------------------


@pytest.mark.parametrize("snippet", RUN, ids=lambda s: s.id)
def test_snippet_runs_against_the_emulator(
    snippet: Snippet, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator = Emulator(time_scale=600)
    emulator.orders.new_order(0)
    namespace = _snippet_runner.run(snippet.source, snippet.id, dict(snippet.modules),
                                    emulator, tmp_path, monkeypatch)
    defines_tests = re.search(r"^async def test_\w+", snippet.source, re.M) is not None
    assert namespace.get("_tests_run") != 0 or not defines_tests, snippet.id


# -- the reference ---------------------------------------------------------------------------
_REFERENCED = (
    "AllegroClient", "AllegroApp", "Environment", "Throttle", "RetryPolicy", "OrdersService",
    "OffersService", "ProductsService", "ShippingRatesService", "OfferVariantsService",
    "UserService", "FileTokenStore", "MemoryTokenStore", "FileCursorStore", "MemoryCursorStore",
    "Emulator", "errors",
)


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            found = getattr(found, attr)
        return found
    raise ImportError(dotted)


def test_every_reference_directive_names_a_real_object_and_the_main_classes_are_there() -> None:
    targets = []
    for page in PAGES[1:]:
        targets += re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), re.M)
    for target in targets:
        _resolve(target)
    shown = {target.rsplit(".", 1)[-1] for target in targets}
    assert set(_REFERENCED) <= shown, set(_REFERENCED) - shown


def test_every_object_is_rendered_on_one_page_only() -> None:
    # Two renderings give one object two primary URLs: the strict build then fails on every
    # cross-reference to it (mkdocs-autorefs "Multiple primary URLs").
    seen: dict[str, str] = {}
    for page in PAGES[1:]:
        for target in re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), re.M):
            assert target not in seen, f"{target} is rendered in {seen[target]} and {page.name}"
            seen[target] = page.name


# -- the behaviours table --------------------------------------------------------------------


def _anchors(page: Path) -> set[str]:
    from markdown.extensions.toc import slugify

    headings = re.findall(r"^#{1,6} (.+)$", page.read_text(encoding="utf-8"), re.M)
    return {slugify(h.strip(), "-") for h in headings}


def test_behaviours_table_names_real_tests_and_real_sections() -> None:
    text = (ROOT / "docs" / "behaviours.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text)
    assert len(named) > 25
    for path, name in named:
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"def {name}\b", source), f"{path} has no {name}"
    catalogue = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "catalogue").glob("*.py")
    )
    for name in re.findall(r"`tests/catalogue/` `(test_\w+?)\*?`", text):
        assert f"def {name}" in catalogue, f"tests/catalogue has no {name}"
    links = re.findall(r"\]\((\w+\.md)#([\w-]+)\)", text)
    assert len(links) > 25
    for page, anchor in links:
        assert anchor in _anchors(ROOT / "docs" / page), f"{page}#{anchor} is no heading"
