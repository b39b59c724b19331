"""The documentation site and the PyPI page: built strictly, every link resolves, every prop and
factory has one home page, every titled example constructs.

The site is built once (``mkdocs build --strict``, as ``make docs`` does) into a temporary
directory; the link and coverage checks read the built HTML, so they see what users see.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aws_cdk as cdk
import pytest
import readme_renderer.markdown
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "scripts"))
import docs_props  # noqa: E402  (scripts/ is not a package)

# The user documentation: every page but the contributors' (excluded from the site).
PAGES = sorted(
    p
    for p in DOCS.rglob("*.md")
    if "contributing" not in p.relative_to(DOCS).parts
    and p.name not in ("compatibility-matrix.md", "transitions.md")
)
REPOSITORY = "https://github.com/sfn-downloader/sfn-downloader/blob/main/"
RAW = "https://raw.githubusercontent.com/sfn-downloader/sfn-downloader/main/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return out


class _Page(HTMLParser):
    """The ids, links and images of one built page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag == "img" and values.get("src"):
            self.links.append(str(values["src"]))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _html_pages(site: Path) -> Iterator[Path]:
    # 404.html is served at any depth, so its links are root-relative: not checked here.
    yield from sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def _page_html(site: Path, page: Path) -> str:
    """The built HTML of a docs/ source page (``use_directory_urls``)."""
    relative = page.relative_to(DOCS).with_suffix("")
    if relative.name == "index":
        relative = relative.parent
    return (site / relative / "index.html").read_text(encoding="utf-8")


def test_the_site_builds_strictly(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "search" / "search_index.json").is_file()
    # The pictures drawn by scripts/docs_diagrams.py are on the home page.
    assert {"architecture.png", "state-machine.png"} <= {p.name for p in site.glob("*.png")}


def _broken_links(site: Path) -> list[str]:
    parsed = {path: _parse(path) for path in _html_pages(site)}
    broken = []
    for path, page in parsed.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(site)}: {link}"
            if not target.is_relative_to(site.resolve()) or not target.exists():
                broken.append(f"{where} (no such file in the site)")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where} (no anchor)")
    return broken


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    assert _broken_links(site) == []


def test_no_escaped_pipe_shows_in_code(site: Path) -> None:
    """GitHub reads ``\\|`` in a table's code span as ``|``; MkDocs shows the backslash."""
    shown = [
        str(path.relative_to(site))
        for path in _html_pages(site)
        if re.search(r"<code>[^<]*\\\|", path.read_text(encoding="utf-8"))
    ]
    assert shown == []


def _claims() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for page in PAGES:
        for kind, name in docs_props.claims(page.read_text(encoding="utf-8")):
            found.setdefault((kind, name), []).append(str(page.relative_to(DOCS)))
    return found


def test_every_prop_is_on_exactly_one_page() -> None:
    claims = _claims()
    pages = {name: claims.get(("props", name), []) for name in docs_props.props()}
    assert {name: where for name, where in pages.items() if len(where) != 1} == {}


def test_every_factory_is_on_exactly_one_page() -> None:
    claims = _claims()
    pages = {name: claims.get(("factory", name), []) for name in docs_props.factory_names()}
    assert {name: where for name, where in pages.items() if len(where) != 1} == {}


def test_the_props_tables_show_each_prop_once(site: Path) -> None:
    rows = Counter(
        name
        for page in PAGES
        for name in re.findall(r"<tr>\s*<td><code>(\w+)</code></td>", _page_html(site, page))
    )
    missing = [name for name in docs_props.props() if rows[name] == 0]
    assert missing == []


def test_every_prop_and_factory_is_in_the_reference(site: Path) -> None:
    reference = (site / "reference" / "index.html").read_text(encoding="utf-8")
    section = reference[reference.index('id="sfn_downloader.pattern.DownloaderPattern"') :]
    missing = [name for name in docs_props.props() if f"<code>{name}</code>" not in section]
    assert missing == []
    values = _parse(site / "reference" / "values" / "index.html").ids
    import sfn_downloader

    absent = []
    for name in docs_props.factory_names():
        kind, _, method = name.partition(".")
        owner = getattr(sfn_downloader, kind)
        anchors = {i for i in values if i.endswith(f".{kind}.{method}" if method else f".{kind}")}
        if not anchors or not all(i.startswith("sfn_downloader.") for i in anchors):
            absent.append(f"{name} ({owner.__module__})")
    assert absent == []


# ---- examples --------------------------------------------------------------------------------

BLOCK = re.compile(r"```python(?P<info>[^\n]*)\n(?P<code>.*?)\n```", re.S)
FRAGMENT = "<!-- fragment"

PRELUDE = """
from aws_cdk import Duration, RemovalPolicy, SecretValue
from aws_cdk import aws_stepfunctions as sfn, aws_stepfunctions_tasks as tasks
from sfn_downloader import *
"""


def _blocks(path: Path) -> Iterator[tuple[str, str, bool]]:
    """(title, code, is a fragment) of each Python block of a page."""
    text = path.read_text(encoding="utf-8")
    for match in BLOCK.finditer(text):
        title = re.search(r'title="([^"]+)"', match.group("info"))
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        yield (title.group(1) if title else ""), match.group("code"), before.startswith(FRAGMENT)


def test_every_python_block_is_an_example_or_a_marked_fragment() -> None:
    unmarked = [
        f"{page.relative_to(ROOT)}: {code.splitlines()[0]}"
        for page in [*PAGES, ROOT / "README.md"]
        for title, code, fragment in _blocks(page)
        if not title and not fragment
    ]
    assert unmarked == []


@pytest.fixture(scope="module")
def app() -> cdk.App:
    return cdk.App()


EXAMPLE_PAGES = [page for page in PAGES if any(title for title, _, _ in _blocks(page))]


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_the_page_examples_construct(app: cdk.App, page: Path) -> None:
    """Every titled example of a page runs, in order, in one Stack's ``__init__`` (``self``):
    constructing a DownloaderPattern checks every prop (costs.py also synthesizes)."""
    stack = cdk.Stack(app, re.sub(r"[^A-Za-z0-9]", "-", str(page.relative_to(DOCS))))
    namespace: dict[str, object] = {"self": stack}
    exec(PRELUDE, namespace)
    for title, code, _ in _blocks(page):
        if title:
            exec(compile(code, f"{page.relative_to(ROOT)}:{title}", "exec"), namespace)


def test_the_readme_example_synthesizes() -> None:
    """The PyPI page's example, synthesized: the state machine, the table, the schedule."""
    ((title, code, _),) = [b for b in _blocks(ROOT / "README.md") if b[0]]
    stack = cdk.Stack(cdk.App(), "Readme")
    namespace: dict[str, object] = {"self": stack}
    exec(compile(code, f"README.md:{title}", "exec"), namespace)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    template.resource_count_is("AWS::DynamoDB::Table", 1)
    template.resource_count_is("AWS::Scheduler::Schedule", 1)


# ---- the PyPI page ---------------------------------------------------------------------------


def test_the_readme_is_short_and_renders_as_pypi_renders_it() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 300
    html = readme_renderer.markdown.render(text, variant="GFM")
    assert html is not None and ">Use it<" in html and "<table>" in html


def test_the_readme_links_into_the_repository_resolve() -> None:
    """PyPI resolves no relative link: the README's links are absolute, into this repository."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    relative = [link for link in links if not urlsplit(link).scheme]
    assert relative == []
    missing = [
        link
        for link in links
        for prefix in (REPOSITORY, RAW)
        if link.startswith(prefix) and not (ROOT / link.removeprefix(prefix)).is_file()
    ]
    assert missing == []
