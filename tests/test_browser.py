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

- no code or output block is cut sideways (``scrollWidth > clientWidth``) at 1280 and 1440
  pixels wide, with every fold opened, and at a 390-pixel phone width the page itself does
  not scroll sideways;
- axe-core (the copy inside the pinned ``axe-playwright-python``, no download) finds no
  serious or critical violation, in the light theme and in the dark one;
- every image has alt text that is not a file name, and a notebook's figures say what they
  show ("Figure: ..." from ``weightinit.plotting.describe_figure``);

and a chapter page (an ``.ipynb`` source) also has its "open in Colab" link, shows a figure
when its notebook imports matplotlib, and opens and closes each solution when a reader clicks
the middle of its title's text, and from the keyboard (Tab to its button, Enter).
The search page finds chapter 3 for "Xavier".
Full-page screenshots of each page go to ``_build/screenshots/`` (beside the html folder):
``NAME.png`` in the light theme and ``NAME-dark.png`` in the dark one.

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
# Widths at which no code or output block may need sideways scrolling, and the phone width at
# which the page itself must not scroll sideways.
DESKTOP_WIDTHS = (1280, 1440)
PHONE_WIDTH = 390
# axe-core's impacts that fail a page.
AXE_FAILING = ("serious", "critical")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
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
            if not any(
                part.startswith("_") or part == "reports" for part in path.relative_to(BOOK_HTML).parts[:-1]
            )
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
        cell["cell_type"] == "code"
        and re.search(r"^\s*(import|from) matplotlib", "".join(cell["source"]), re.MULTILINE)
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


def _axe_script() -> str:
    """axe-core's script, from the pinned pip package axe-playwright-python (no download)."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


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
# Code and output blocks wider than their box (cut, to be scrolled sideways), every fold open.
_CUT_BLOCKS = """() => {
    document.querySelectorAll("details").forEach(d => d.open = true);
    const blocks = document.querySelectorAll("main pre, main .cell_output > .output, " +
        "main .cell_output table, main .pst-scrollable-table-container");
    return Array.from(blocks)
        .filter(b => b.offsetParent !== null && b.scrollWidth > b.clientWidth + 1)
        .map(b => `${b.tagName.toLowerCase()} ${b.scrollWidth - b.clientWidth}px too wide: ` +
                  JSON.stringify(b.textContent.trim().split("\\n")[0].slice(0, 70)));
}"""
# How many characters of code a line of a code cell holds (None: no code cell).
_CODE_COLUMNS = """() => {
    const pre = document.querySelector("main .cell_input pre");
    if (!pre || pre.offsetParent === null) return null;
    const probe = document.createElement("span");
    probe.textContent = "0".repeat(100);
    probe.style.cssText = "display: inline-block; white-space: pre; overflow-wrap: normal";
    pre.appendChild(probe);
    const charWidth = probe.getBoundingClientRect().width / 100;
    probe.remove();
    const style = getComputedStyle(pre);
    return (pre.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)) / charWidth;
}"""
_PAGE_SCROLLS_SIDEWAYS = """() => {
    const page = document.documentElement;
    return page.scrollWidth > page.clientWidth + 1;
}"""
# Images whose alt text is missing or a file name.
_IMAGES_WITHOUT_ALT = """() => Array.from(document.querySelectorAll("main img"))
    .filter(img => { const alt = (img.getAttribute("alt") || "").trim();
                     return !alt || /\\.(png|jpe?g|svg|gif)$|_images\\//i.test(alt); })
    .map(img => img.getAttribute("src"))"""
_FIGURES_WITHOUT_DESCRIPTION = """() => Array.from(document.querySelectorAll(".cell_output img"))
    .filter(img => !/^Figure[: ]/.test(img.getAttribute("alt") || ""))
    .map(img => `${img.getAttribute("src")} (alt: ${JSON.stringify(img.getAttribute("alt"))})`)"""
# The centre of a solution title's text (the title minus its chevron button), in the viewport.
_TITLE_TEXT_CENTRE = """(title) => {
    title.scrollIntoView({block: "center"});
    const range = document.createRange();
    const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT, {acceptNode: node =>
        node.textContent.trim() && !node.parentElement.closest(".toggle-button")
            ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT});
    const texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    if (!texts.length) return null;
    range.setStart(texts[0], 0);
    range.setEnd(texts[texts.length - 1], texts[texts.length - 1].length);
    const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
    const r = rects[Math.floor(rects.length / 2)];
    const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
    return {x, y, text: title.textContent.trim().slice(0, 60),
            hit: (document.elementFromPoint(x, y) || {}).tagName};
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
    tab.on(
        "pageerror",
        lambda error: (
            None if error.message == KNOWN_JS_ERROR else problems.append(f"JavaScript error: {error.message}")
        ),
    )
    tab.on(
        "console",
        lambda message: (
            problems.append(f"console error: {message.text}")
            if message.type == "error" and KNOWN_JS_ERROR not in message.text
            else None
        ),
    )
    tab.on(
        "requestfailed",
        lambda request: (
            problems.append(f"request failed: {request.url} ({request.failure})")
            if request.url.startswith(base_url)
            else None
        ),
    )
    tab.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status}: {response.url}") if response.status >= 400 else None
        ),
    )
    try:
        tab.goto(base_url + page, wait_until="load")

        # Maths: wait for MathJax's first typesetting, then look at every formula.
        if tab.locator(".math").count():
            try:
                tab.wait_for_function(
                    "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000
                )
                tab.evaluate("() => MathJax.startup.promise")
            except Exception as error:  # a timeout: MathJax never loaded
                problems.append(f"MathJax did not load: {str(error).splitlines()[0]}")
            maths = tab.evaluate(_MATH_STATE)
            if not maths["containers"]:
                problems.append(f"maths not rendered: {maths['total']} formulas, no mjx-container")
            if maths["unrendered"]:
                problems.append(
                    f"{len(maths['unrendered'])} formulas not rendered, e.g. {maths['unrendered'][:3]}"
                )
            if maths["errors"]:
                problems.append(f"MathJax errors: {maths['errors'][:3]}")
        for title in tab.locator("h1").all_text_contents():
            if _DOUBLE_NUMBER.match(title):
                title = title.strip().removesuffix("#")
                problems.append(
                    f"the title repeats its number ({title!r}): _toc.yml numbers the "
                    "chapters, so the page's own title must not"
                )
        raw_tex = sorted({match.group() for match in RAW_TEX.finditer(tab.evaluate(_PROSE))})
        if raw_tex:
            problems.append(f"raw TeX left in the text: {raw_tex}")

        tab.evaluate(_WAIT_FOR_IMAGES)
        broken = tab.evaluate(_BROKEN_IMAGES)
        if broken:
            problems.append(f"images not loaded: {broken}")
        without_alt = tab.evaluate(_IMAGES_WITHOUT_ALT)
        if without_alt:
            problems.append(
                f"{len(without_alt)} images without alt text (or a file name for it): {without_alt[:3]}"
            )

        notebook = _notebook_source(page)
        if notebook is not None:
            colab = _colab_prefix() + page.replace(".html", ".ipynb")
            if not tab.locator(f'a[href^="{colab}"]').count():
                problems.append(f"no 'open in Colab' link to {colab}")
            if _imports_matplotlib(notebook) and not tab.locator(".cell_output img").count():
                problems.append(
                    "the notebook imports matplotlib but the page shows no figure "
                    "(was MPLBACKEND set to a non-inline backend during the build?)"
                )
            undescribed = tab.evaluate(_FIGURES_WITHOUT_DESCRIPTION)
            if undescribed:
                problems.append(
                    f"{len(undescribed)} figures whose alt text does not say what they show "
                    f"(weightinit.plotting.use_style sets it): {undescribed[:2]}"
                )
            problems += _solutions_problems(tab)

        # Let late requests (fonts, lazy scripts) finish before the verdict.
        tab.wait_for_load_state("networkidle")
        problems += _axe_problems(tab, "light theme")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = page.replace("/", "__").removesuffix(".html")
        tab.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
        tab.emulate_media(color_scheme="dark")  # the theme follows the reader's system ("auto")
        tab.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
        problems += _axe_problems(tab, "dark theme")
        tab.screenshot(path=SCREENSHOTS / f"{name}-dark.png", full_page=True)
        tab.emulate_media(color_scheme="light")
        problems += _width_problems(tab)
    finally:
        tab.close()
    problems += [f"request outside the local server: {url}" for url in browser_context.blocked]
    problems = list(dict.fromkeys(problems))  # a failed image may be requested twice
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def _solutions_problems(tab) -> list[str]:
    """Every solution is closed, opens and closes when a reader clicks the middle of its title's
    text (a link to its exercise, for sphinx-exercise), and opens from the keyboard."""
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
        title = solution.locator(":scope > .admonition-title").first
        point = title.evaluate(_TITLE_TEXT_CENTRE)
        if point is None:
            problems.append(f"solution {name} has a title without text")
            continue
        url = tab.url
        for action in ("open", "close"):
            tab.mouse.click(point["x"], point["y"])
            try:
                body.wait_for(state="visible" if action == "open" else "hidden", timeout=5_000)
            except Exception:
                problems.append(
                    f"solution {name} did not {action} on a click on its title's text "
                    f"({point['text']!r}, a <{point['hit']}>)"
                )
                break
        if tab.url != url:
            problems.append(f"a click on the title of solution {name} left the page for {tab.url}")
            tab.go_back()
        button = title.locator(".toggle-button").first
        button.focus()
        tab.keyboard.press("Enter")
        try:
            body.wait_for(state="visible", timeout=5_000)
        except Exception:
            problems.append(f"solution {name} did not open from the keyboard (its button, Enter)")
    return problems


def _code_line_length() -> int:
    """The line length of the chapters' code: chapters/ruff.toml, else the project's."""
    import tomllib

    chapters = BOOK_ROOT / "chapters" / "ruff.toml"
    if chapters.is_file():
        return tomllib.loads(chapters.read_text())["line-length"]
    return tomllib.loads((BOOK_ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["line-length"]


def _width_problems(tab) -> list[str]:
    """No code or output block is cut sideways on a desktop, where a chapter's code lines
    (``ruff format``'s line length) fit the column unwrapped; no sideways page on a phone."""
    problems = []
    line_length = _code_line_length()
    for width in DESKTOP_WIDTHS:
        tab.set_viewport_size({"width": width, "height": 900})
        columns = tab.evaluate(_CODE_COLUMNS)
        if columns is not None and columns < line_length:
            problems.append(
                f"a code block holds {columns:.1f} characters a line at {width} px, fewer "
                f"than the chapters' line length ({line_length}): their lines would wrap"
            )
        cut = tab.evaluate(_CUT_BLOCKS)
        if cut:
            problems.append(
                f"{len(cut)} code or output blocks cut sideways at {width} px, e.g. " + "; ".join(cut[:3])
            )
    tab.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    if tab.evaluate(_PAGE_SCROLLS_SIDEWAYS):
        problems.append(f"the page scrolls sideways at {PHONE_WIDTH} px")
    tab.set_viewport_size({"width": DESKTOP_WIDTHS[0], "height": 900})
    return problems


def _axe_problems(tab, where: str) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per rule."""
    if not tab.evaluate("() => typeof axe !== 'undefined'"):
        tab.evaluate(_axe_script())
    tab.mouse.move(0, 0)  # no hover styles (a solution title's link after the clicks above)
    # Colours are judged once they settle: an opening solution fades in, the theme's
    # colours change with a transition.
    tab.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    # preload: false keeps axe from fetching the stylesheets again, which it does from the
    # wrong folder for an @import (a 404 for /basic.css); only css-orientation-lock needs them.
    results = tab.evaluate("() => axe.run(document, {resultTypes: ['violations'], preload: false})")
    return [
        f"axe ({where}): {violation['impact']} {violation['id']}: {violation['help']} "
        f"({len(violation['nodes'])}x, e.g. {violation['nodes'][0]['target']})"
        for violation in results["violations"]
        if violation["impact"] in AXE_FAILING
    ]


def test_search_finds_chapter_3(base_url: str, browser_context) -> None:
    """The book's search (Sphinx's index, in the browser) lists the Xavier chapter for "Xavier"."""
    tab = browser_context.context.new_page()
    errors: list[str] = []
    tab.on(
        "pageerror", lambda error: None if error.message == KNOWN_JS_ERROR else errors.append(error.message)
    )
    try:
        tab.goto(base_url + "search.html?q=Xavier", wait_until="load")
        results = tab.locator("#search-results ul.search li a")
        results.first.wait_for(timeout=30_000)
        found = [link.get_attribute("href") for link in results.all()]
    finally:
        tab.close()
    assert not errors, f"JavaScript errors on the search page: {errors}"
    assert any("03_xavier" in href for href in found), f"a search for Xavier lists {found}"
