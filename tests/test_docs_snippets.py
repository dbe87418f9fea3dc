"""The docs tell the truth: every ```python block of README.md and docs/*.md compiles, its
imports from ``allegro_async`` resolve, the library calls it makes name real methods and
keywords, the library files it quotes exist and define what it shows, and the blocks marked
``<!-- snippet: run -->`` run against the emulator."""

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

import anyio
import pytest
import typing_extensions

import allegro_async
from allegro_async import AllegroApp, AllegroClient, Environment, RetryPolicy, Throttle
from allegro_async.testing import Emulator

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_RUN_MARK = "<!-- snippet: run -->"
# A block quoting the library starts with a comment naming the file: "# auth/flows.py, ...".
_QUOTE = re.compile(r"^#\s*((?:allegro_async/)?[\w/]+\.py)\b")
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass(frozen=True)
class Snippet:
    """One ```python block: where it is, its text, and whether the page marks it to run."""

    page: str
    line: int
    source: str
    run: bool

    @property
    def id(self) -> str:
        """``page:line``, the test id."""
        return f"{self.page}:{self.line}"


def _snippets() -> list[Snippet]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            before = text[: match.start()].rstrip().splitlines()
            found.append(Snippet(
                page=str(page.relative_to(ROOT)),
                line=text.count("\n", 0, match.start()) + 1,
                source=match.group(1),
                run=bool(before) and before[-1].strip() == _RUN_MARK,
            ))
    return found


SNIPPETS = _snippets()
RUN = [s for s in SNIPPETS if s.run]


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


def test_the_docs_have_python_blocks_and_some_run() -> None:
    assert len(SNIPPETS) > 50
    assert {s.page for s in RUN} >= {"README.md", "docs/client.md", "docs/errors.md"}


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


def _run(snippet: Snippet, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run a snippet with every ``AllegroClient`` pointed at the emulator (its token, its
    transport) and the names the docs leave to the reader (``token``, ``body``) filled in."""

    def emulated(*args: Any, **kwargs: Any) -> AllegroClient:
        kwargs.pop("access_token", None)
        kwargs.pop("environment", None)
        return emulator.client(0, **kwargs)

    monkeypatch.setattr(allegro_async, "AllegroClient", emulated)
    namespace: dict[str, Any] = {
        "__name__": "__snippet__",
        "token": emulator.mint_token(0),
        "CLIENT_ID": emulator.client_id,
        "CLIENT_SECRET": emulator.client_secret,
        "AllegroClient": emulated,
    }
    code = compile(snippet.source, snippet.id, "exec", flags=_FLAGS)

    async def main() -> None:
        # Blocks that use `client` without making one get the emulator's first seller.
        async with emulator.client(0) as client:
            namespace.setdefault("client", client)
            result = eval(code, namespace)  # our own docs
            if inspect.iscoroutine(result):
                await result

    if "anyio.run(" in snippet.source:
        exec(code, namespace)  # the snippet runs its own event loop
    else:
        anyio.run(main)
    return namespace


@pytest.mark.parametrize("snippet", RUN, ids=lambda s: s.id)
def test_marked_snippet_runs_against_the_emulator(
    snippet: Snippet, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = Emulator(time_scale=600)
    emulator.orders.new_order(0)
    namespace = _run(snippet, emulator, monkeypatch)
    assert emulator.stats.requests > 0 or "emulator" in namespace, snippet.id


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
