"""The built book, page by page, in a real browser (headless Chromium driven by Playwright).

Run it after the book is built: ``make browser`` (part of ``make test``). The built pages are
served on 127.0.0.1 and every page of the build is opened. A page passes when

- no request to the local server fails and no request goes elsewhere, except MathJax, which
  is served from a local copy (the published book still loads it from its CDN);
- no JavaScript error is raised, except the one known harmless message of Jupyter Book 1.0.4
  (``THEBE_JS_URL`` declared twice);
- every image has loaded (``naturalWidth > 0``);
- its maths is rendered: every ``.math`` element holds an ``mjx-container``, MathJax reports no
  error, and no raw TeX (``$$``, ``\\(``, ``\\[``, ``\\begin{``, ``$\\``) is left in the
  text outside code;
- no title repeats the chapter number that _toc.yml's numbering already gives it;

and a chapter page (an ``.ipynb`` source) also has its "open in Colab" link, shows a figure
when its notebook imports matplotlib, and opens its solution dropdowns on a click.
A full-page screenshot of each page goes to ``_build/screenshots/`` (beside the html folder).

Environment: ``BOOK_HTML`` (default ``_build/html``) is the build to test; ``CHROMIUM`` the
browser binary (default: Debian's ``/usr/lib/chromium/chromium`` or the first of
``google-chrome``, ``chromium``, ``chromium-browser`` on the PATH).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
import yaml

pytestmark = pytest.mark.book

REPO = Path(__file__).resolve().parents[1]
BOOK_HTML = Path(os.environ.get("BOOK_HTML", REPO / "_build" / "html")).resolve()
# The book's sources: the folder that holds _build/html when it has a _toc.yml (a private
# build elsewhere), else this repository.
BOOK_ROOT = BOOK_HTML.parents[1] if (BOOK_HTML.parents[1] / "_toc.yml").is_file() else REPO
SCREENSHOTS = BOOK_HTML.parent / "screenshots"

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/"
# The one JavaScript error every page of Jupyter Book 1.0.4 logs (sphinx-thebe declares it twice).
KNOWN_JS_ERROR = "Identifier 'THEBE_JS_URL' has already been declared"
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$\\[A-Za-z]")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
TIMEOUT_MS = 60_000
_DOUBLE_NUMBER = re.compile(r"\s*(\d+)\.\s+\1\.\s")  # "2. 2. Zero and random ..."
_REDIRECT = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)"', re.IGNORECASE)


# ------------------------------------------------------------------ what there is to test


def _toc_files(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key in ("root", "file"):
            if isinstance(node.get(key), str):
                yield node[key]
        for value in node.values():
            yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


def _pages() -> list[str]:
    """Every page of the table of contents and every other html page of the build."""
    toc = yaml.safe_load((BOOK_ROOT / "_toc.yml").read_text())
    pages = {re.sub(r"\.(md|ipynb|rst)$", "", file) + ".html" for file in _toc_files(toc)}
    if BOOK_HTML.is_dir():
        pages |= {
            path.relative_to(BOOK_HTML).as_posix()
            for path in BOOK_HTML.rglob("*.html")
            if not any(part.startswith("_") or part == "reports"
                       for part in path.relative_to(BOOK_HTML).parts[:-1])
        }
    return sorted(pages)


def _colab_prefix() -> str:
    config = yaml.safe_load((BOOK_ROOT / "_config.yml").read_text())
    repository = config["repository"]
    org, repo = urlparse(repository["url"]).path.strip("/").removesuffix(".git").split("/")[:2]
    theme = config.get("sphinx", {}).get("config", {}).get("html_theme_options", {})
    branch = theme.get("repository_branch") or repository.get("branch", "main")  # Jupyter edition
    return f"https://colab.research.google.com/github/{org}/{repo}/blob/{branch}/"


def _notebook_source(page: str) -> Path | None:
    """The notebook a page was built from (Jupyter Book copies it to _sources), if any."""
    source = BOOK_HTML / "_sources" / page.replace(".html", ".ipynb")
    return source if source.is_file() else None


def _imports_matplotlib(notebook: Path) -> bool:
    cells = json.loads(notebook.read_text())["cells"]
    return any(
        cell["cell_type"] == "code" and re.search(r"^\s*(import|from) matplotlib", "".join(cell["source"]),
                                                  re.MULTILINE)
        for cell in cells
    )


def _chromium() -> str:
    # Debian's binary first, then Chrome (on GitHub's Ubuntu runners; Ubuntu's `chromium` is
    # a snap, whose confinement can keep Playwright from starting it).
    candidates = [os.environ.get("CHROMIUM"), "/usr/lib/chromium/chromium"]
    candidates += [shutil.which(name) for name in ("google-chrome", "chromium", "chromium-browser")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("no Chromium found: `make chromium` installs Debian's package (or set CHROMIUM)")


def _mathjax_dir() -> Path:
    import mathjax  # the pip package django-static-mathjax, in requirements.txt

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


# ------------------------------------------------------------------------------ fixtures


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    if not (BOOK_HTML / "index.html").is_file():
        pytest.fail(f"no built book in {BOOK_HTML}: run `make book-strict` first")
    handler = functools.partial(_QuietHandler, directory=str(BOOK_HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser_context(base_url: str):
    from playwright.sync_api import sync_playwright

    mathjax_dir = _mathjax_dir()
    assert (mathjax_dir / "tex-mml-chtml.js").is_file(), f"no local MathJax in {mathjax_dir}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        blocked: list[str] = []  # requests that were not for the local server or MathJax

        def route(route_) -> None:
            url = route_.request.url
            if url.startswith(base_url):
                route_.continue_()
            elif url.startswith(MATHJAX_CDN):
                local = mathjax_dir / urlparse(url).path.removeprefix(urlparse(MATHJAX_CDN).path)
                if local.is_file():
                    route_.fulfill(path=local)
                else:
                    blocked.append(f"{url} (no local copy in {mathjax_dir})")
                    route_.fulfill(status=404)
            else:
                # Nothing may leave the machine: a test must not depend on the network.
                blocked.append(url)
                route_.abort()

        context.route("**/*", route)
        yield SimpleNamespace(context=context, blocked=blocked)
        context.close()
        browser.close()


# --------------------------------------------------------------------------------- tests


def test_book_is_built() -> None:
    assert (BOOK_HTML / "index.html").is_file(), f"no built book in {BOOK_HTML}: run `make book-strict`"


def test_toc_pages_are_built() -> None:
    missing = [page for page in _pages() if not (BOOK_HTML / page).is_file()]
    assert not missing, f"pages of _toc.yml not in the build: {missing}"


# Inline JavaScript, run in the page.
_WAIT_FOR_IMAGES = """() => Promise.all(Array.from(document.images).map(img => {
    img.loading = "eager";
    return img.complete ? null : new Promise(done => { img.onload = img.onerror = done; });
}))"""
_BROKEN_IMAGES = """() => Array.from(document.images)
    .filter(img => !img.complete || img.naturalWidth === 0).map(img => img.getAttribute("src"))"""
_MATH_STATE = """() => {
    const maths = Array.from(document.querySelectorAll(".math"));
    return {
        total: maths.length,
        unrendered: maths.filter(m => !m.querySelector("mjx-container"))
                         .map(m => m.textContent.trim().slice(0, 80)),
        containers: document.querySelectorAll("mjx-container").length,
        errors: [...new Set(Array.from(document.querySelectorAll("mjx-merror, [data-mjx-error]"))
                     .map(e => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 80)))],
    };
}"""
# The text a reader sees outside code, where no TeX may be left.
_PROSE = """() => {
    const main = (document.querySelector("main") || document.body).cloneNode(true);
    main.querySelectorAll("pre, code, script, style, mjx-container, .highlight, textarea")
        .forEach(e => e.remove());
    return main.textContent;
}"""


@pytest.mark.parametrize("page", _pages())
def test_page(page: str, base_url: str, browser_context) -> None:
    assert (BOOK_HTML / page).is_file(), f"{page} is in _toc.yml but not in the build"
    redirect = _REDIRECT.search((BOOK_HTML / page).read_text())
    if redirect:  # index.html: Jupyter Book's redirect to the root page, tested on its own
        target = (BOOK_HTML / page).parent / redirect.group(1)
        assert target.is_file(), f"{page} redirects to {redirect.group(1)}, which is not in the build"
        return
    problems: list[str] = []
    browser_context.blocked.clear()
    tab = browser_context.context.new_page()
    tab.on("pageerror", lambda error: None if error.message == KNOWN_JS_ERROR
           else problems.append(f"JavaScript error: {error.message}"))
    tab.on("requestfailed", lambda request: problems.append(
        f"request failed: {request.url} ({request.failure})")
        if request.url.startswith(base_url) else None)
    tab.on("response", lambda response: problems.append(
        f"HTTP {response.status}: {response.url}") if response.status >= 400 else None)
    try:
        tab.goto(base_url + page, wait_until="load")

        # Maths: wait for MathJax's first typesetting, then look at every formula.
        if tab.locator(".math").count():
            try:
                tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                      timeout=30_000)
                tab.evaluate("() => MathJax.startup.promise")
            except Exception as error:  # a timeout: MathJax never loaded
                problems.append(f"MathJax did not load: {str(error).splitlines()[0]}")
            maths = tab.evaluate(_MATH_STATE)
            if not maths["containers"]:
                problems.append(f"maths not rendered: {maths['total']} formulas, no mjx-container")
            if maths["unrendered"]:
                problems.append(f"{len(maths['unrendered'])} formulas not rendered, e.g. "
                                f"{maths['unrendered'][:3]}")
            if maths["errors"]:
                problems.append(f"MathJax errors: {maths['errors'][:3]}")
        for title in tab.locator("h1").all_text_contents():
            if _DOUBLE_NUMBER.match(title):
                title = title.strip().removesuffix("#")
                problems.append(f"the title repeats its number ({title!r}): _toc.yml numbers the "
                                "chapters, so the page's own title must not")
        raw_tex = sorted({match.group() for match in RAW_TEX.finditer(tab.evaluate(_PROSE))})
        if raw_tex:
            problems.append(f"raw TeX left in the text: {raw_tex}")

        tab.evaluate(_WAIT_FOR_IMAGES)
        broken = tab.evaluate(_BROKEN_IMAGES)
        if broken:
            problems.append(f"images not loaded: {broken}")

        notebook = _notebook_source(page)
        if notebook is not None:
            colab = _colab_prefix() + page.replace(".html", ".ipynb")
            if not tab.locator(f'a[href^="{colab}"]').count():
                problems.append(f"no 'open in Colab' link to {colab}")
            if _imports_matplotlib(notebook) and not tab.locator(".cell_output img").count():
                problems.append("the notebook imports matplotlib but the page shows no figure "
                                "(was MPLBACKEND set to a non-inline backend during the build?)")
            problems += _solutions_problems(tab)

        # Let late requests (fonts, lazy scripts) finish before the verdict.
        tab.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=SCREENSHOTS / (page.replace("/", "__").removesuffix(".html") + ".png"),
                       full_page=True)
    finally:
        tab.close()
    problems += [f"request outside the local server: {url}" for url in browser_context.blocked]
    problems = list(dict.fromkeys(problems))  # a failed image may be requested twice
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def _solutions_problems(tab) -> list[str]:
    """Every solution dropdown is closed and opens on a click of its toggle button."""
    solutions = tab.locator("div.solution.dropdown")
    if not solutions.count():
        return ["no solution dropdown (every chapter ends with exercises and their solutions)"]
    problems = []
    for index in range(solutions.count()):
        solution = solutions.nth(index)
        body = solution.locator(":scope > :not(.admonition-title)").first
        name = solution.get_attribute("id")
        if body.is_visible():
            problems.append(f"solution {name} is shown before a click")
            continue
        solution.locator(".toggle-button").first.click()
        try:
            body.wait_for(state="visible", timeout=5_000)
        except Exception:
            problems.append(f"solution {name} did not open on a click")
    return problems
