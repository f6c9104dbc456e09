"""The Colab install cell: one template, rendered from ``_config.yml``.

Every chapter's first code cell installs the course's package when the notebook runs on
Colab, from the repository named once, in ``_config.yml`` (``repository.url`` and
``repository.branch``, the same settings that make the book's "open in Colab" links).
Colab already has torch, NumPy, matplotlib, SciPy, scikit-learn, tqdm and ipywidgets, and
the package asks only for lower bounds of them, so pip installs ``weightinit`` alone and
leaves Colab's torch as it is. Elsewhere (locally, in CI, in the book's build) the cell does
nothing and prints nothing.

Usage (from the repository root)::

    .venv/bin/python tools/colab_cell.py            # print the rendered cell
    .venv/bin/python tools/colab_cell.py --check    # exit 1 if a chapter's first code cell differs
    .venv/bin/python tools/colab_cell.py --write    # rewrite every chapter's first code cell

``--write`` changes nothing but that cell's source and its ``hide-output`` tag.

The chapters install from ``repository.branch`` (the book online follows ``main``). The
student edition and the assignments install from the release they were built from
instead, the git tag ``v<weightinit.__version__>`` (:func:`release_url`,
:func:`render_pinned`), so a term's notebooks keep working when ``main`` moves on.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_files  # noqa: E402

TAG = "hide-output"

TEMPLATE = """\
# On Colab, install the course's helper package `weightinit` from the repository; torch,
# numpy and matplotlib are already there and stay as they are. Elsewhere this does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet",
         "weightinit @ {install_url}"],
        check=True,
    )"""


def install_url(config: dict) -> str:
    """pip's URL of the package: ``git+<repository.url>@<repository.branch>``.

    The package's ``pyproject.toml`` sits at the repository's root, whatever
    ``path_to_book`` says, so the URL needs no ``#subdirectory=``.
    """
    repository = config.get("repository") or {}
    url = str(repository.get("url", "")).rstrip("/")
    branch = str(repository.get("branch", "")).strip()
    if not url.startswith("https://github.com/") or len(url.split("/")) != 5:
        raise ValueError(f"repository.url must be https://github.com/ORG/REPO, got {url!r}")
    if not branch:
        raise ValueError("repository.branch must be set in _config.yml")
    return f"git+{url}@{branch}"


def release_tag(root: Path = course_files.ROOT) -> str:
    """The git tag of the release in ``root``: ``v`` + ``weightinit.__version__``.

    Read from ``code/weightinit/__init__.py`` without importing the package.
    """
    init = (Path(root) / "code" / "weightinit" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r"^__version__\s*=\s*[\"']([^\"']+)[\"']", init, re.M)
    if not match:
        raise ValueError(f"no __version__ in {root}/code/weightinit/__init__.py")
    return f"v{match.group(1)}"


def release_url(config: dict, tag: str) -> str:
    """pip's URL of the package at the release ``tag``: ``git+<repository.url>@<tag>``."""
    branch_url = install_url(config)
    return f"{branch_url.rsplit('@', 1)[0]}@{tag}"


def render_pinned(root: Path = course_files.ROOT) -> str:
    """The install cell pinned to ``root``'s release (the student edition, the assignments)."""
    return render(root, url=release_url(course_files.read_config(root), release_tag(root)))


def pin(nb, root: Path = course_files.ROOT):
    """``nb`` with its first code cell replaced by the pinned install cell (in place)."""
    cell = course_files.first_code_cell(nb)
    if cell is None:
        raise ValueError("a notebook without a code cell has no install cell to pin")
    cell.source = render_pinned(root)
    return nb


def render(root: Path = course_files.ROOT, url: str | None = None) -> str:
    """The install cell's source, with the package URL from ``root``'s ``_config.yml``.

    Args:
        root: the book's root.
        url: a pip URL to use instead (the tests point it at a local copy).
    """
    if url is None:
        url = install_url(course_files.read_config(root))
    return TEMPLATE.format(install_url=url)


def problems(path: Path, expected: str) -> list[str]:
    """What is wrong with ``path``'s first code cell (empty when it is the rendered cell)."""
    cell = course_files.first_code_cell(course_files.read_notebook(path))
    if cell is None:
        return [f"{path.name}: no code cell"]
    found = []
    if cell.source != expected:
        how = (
            "differs only in whitespace at its end"
            if cell.source.rstrip() == expected.rstrip()
            else "is not the rendered Colab cell"
        )
        found.append(f"{path.name}: the first code cell {how} (run tools/colab_cell.py --write)")
    if TAG not in cell.metadata.get("tags", []):
        found.append(f"{path.name}: the Colab cell is not tagged {TAG}")
    return found


def write(path: Path, expected: str) -> bool:
    """Make ``path``'s first code cell the rendered cell, tagged; True when it changed."""
    nb = course_files.read_notebook(path)
    cell = course_files.first_code_cell(nb)
    if cell is None:
        raise ValueError(f"{path}: no code cell to replace")
    tags = list(cell.metadata.get("tags", []))
    if cell.source == expected and TAG in tags:
        return False
    cell.source = expected
    if TAG not in tags:
        cell.metadata["tags"] = [*tags, TAG]
    nbformat.write(nb, str(path))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="verify every chapter's cell")
    group.add_argument("--write", action="store_true", help="rewrite every chapter's cell")
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks (default: the chapters in _toc.yml)"
    )
    args = parser.parse_args(argv)
    expected = render()
    notebooks = args.notebooks or course_files.chapter_notebooks()
    if args.write:
        for path in notebooks:
            if write(path, expected):
                print(f"rewrote the Colab cell of {path}")
        return 0
    if args.check:
        found = [problem for path in notebooks for problem in problems(path, expected)]
        print("\n".join(found) or f"the Colab cell of all {len(notebooks)} notebooks is current")
        return 1 if found else 0
    print(expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
