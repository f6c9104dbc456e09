"""The Colab install cell (tools/colab_cell.py) and the book's "open in Colab" links.

1. Every chapter's first code cell is the cell rendered from _config.yml, tagged
   hide-output; a changed cell is caught.
2. On Colab (a stand-in ``google.colab`` module), the cell installs ``weightinit`` and
   nothing else: run offline in a fresh venv that sees this project's packages (torch
   included, weightinit excluded), with the git URL replaced by a local copy of the
   package. pip must find torch already satisfied and install weightinit alone.
3. Outside Colab the cell does nothing and prints nothing.
4. The Colab links the book will produce point at the chapters' real paths in the
   repository the cell installs from.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import colab_cell
import course_files
import pytest

ROOT = Path(__file__).resolve().parents[1]


CHAPTERS = course_files.chapter_notebooks(ROOT)
COLAB = "https://colab.research.google.com"


# ------------------------------------------------------------------ 1. the cell in every chapter


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_first_code_cell_is_the_rendered_cell(chapter):
    assert colab_cell.problems(chapter, colab_cell.render(ROOT)) == []


def test_rendered_cell_installs_from_the_configured_repository():
    config = course_files.read_config(ROOT)
    url = f"git+{config['repository']['url']}@{config['repository']['branch']}"
    cell = colab_cell.render(ROOT)
    assert f'"weightinit @ {url}"' in cell
    assert re.findall(r"https?://\S+", cell) == [
        f'{config["repository"]["url"]}@{config["repository"]["branch"]}"],'
    ]
    assert "torch" not in cell.split("import subprocess")[1]  # installs weightinit alone
    compile(cell, "colab_cell", "exec")


def test_rendering_follows_the_config(tmp_path):
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://github.com/someone/fork/\n  branch: dev\n"
    )
    assert '"weightinit @ git+https://github.com/someone/fork@dev"' in colab_cell.render(tmp_path)
    for bad in (
        {"repository": {"url": "https://gitlab.com/a/b", "branch": "main"}},
        {"repository": {"url": "https://github.com/a/b"}},
        {},
    ):
        with pytest.raises(ValueError, match="repository"):
            colab_cell.install_url(bad)


@pytest.mark.parametrize(
    "change",
    ["trailing newline", "other repository", "no tag", "no cell"],
)
def test_a_changed_cell_is_caught_and_write_repairs_it(tmp_path, change):
    import nbformat

    path = tmp_path / CHAPTERS[0].name
    shutil.copyfile(CHAPTERS[0], path)
    nb = nbformat.read(path, as_version=4)
    cell = course_files.first_code_cell(nb)
    if change == "trailing newline":
        cell.source += "\n"
    elif change == "other repository":
        cell.source = cell.source.replace("weightinit-course", "someone-else")
    elif change == "no tag":
        cell.metadata["tags"] = []
    else:
        nb.cells.insert(1, nbformat.v4.new_code_cell("import math"))
    nbformat.write(nb, path)
    expected = colab_cell.render(ROOT)
    assert colab_cell.problems(path, expected)
    assert colab_cell.main(["--check", str(path)]) == 1
    assert colab_cell.main(["--write", str(path)]) == 0
    assert colab_cell.problems(path, expected) == []
    repaired = nbformat.read(path, as_version=4)
    assert len(repaired.cells) == len(nb.cells)  # only that cell changed


# ------------------------------------------------------------------ 2. and 3. running the cell

#: Runs the cell as a notebook kernel would: its source, compiled and executed.
RUNNER = """
import sys, types
cell = open(sys.argv[1], encoding="utf-8").read()
if sys.argv[2] == "colab":
    sys.modules["google.colab"] = types.ModuleType("google.colab")
else:
    import subprocess
    def forbidden(*args, **kwargs):
        raise SystemExit(f"the cell ran a command outside Colab: {args}")
    subprocess.run = forbidden
exec(compile(cell, "colab_cell", "exec"), {"__name__": "__main__"})
"""


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without pip's settings or Python paths, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "COVERAGE_"))
    }
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONNOUSERSITE="1")
    env.update(extra)
    return env


def test_outside_colab_the_cell_does_nothing(tmp_path):
    (tmp_path / "cell.py").write_text(colab_cell.render(ROOT), encoding="utf-8")
    (tmp_path / "runner.py").write_text(RUNNER, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "runner.py", "cell.py", "local"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=120,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def _site_view(target: Path) -> Path:
    """This venv's site-packages as symlinks, without weightinit and without .pth files.

    A Colab runtime in miniature: torch, NumPy, matplotlib ... are installed, the course's
    package is not. (.pth files are left out: this project's editable install of weightinit
    is one.)
    """
    site = Path(sysconfig.get_paths()["purelib"])
    target.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.endswith(".pth") or "weightinit" in name or name == "__pycache__":
            continue
        (target / entry.name).symlink_to(entry)
    return target


def _package_copy(target: Path) -> Path:
    """What pip needs to build weightinit, copied, so that the build writes nothing here."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, target / name)
    shutil.copytree(
        ROOT / "code" / "weightinit",
        target / "code" / "weightinit",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return target


def test_on_colab_the_cell_installs_weightinit_and_keeps_torch(tmp_path):
    pytest.importorskip("setuptools")  # the build runs without isolation, so offline
    view = _site_view(tmp_path / "preinstalled")
    package = _package_copy(tmp_path / "package")
    venv = tmp_path / "colab"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    venv_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (venv_site / "preinstalled.pth").write_text(f"{view}\n", encoding="utf-8")

    cell = colab_cell.render(ROOT, url=package.as_uri())
    assert cell == colab_cell.render(ROOT).replace(
        colab_cell.install_url(course_files.read_config(ROOT)), package.as_uri()
    )
    (tmp_path / "cell.py").write_text(cell, encoding="utf-8")
    (tmp_path / "runner.py").write_text(RUNNER, encoding="utf-8")
    # PIP_NO_BUILD_ISOLATION=0 means "no build isolation": setuptools comes from the view.
    env = _clean_env(PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0")
    result = subprocess.run(
        [str(python), "runner.py", "cell.py", "colab"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "", f"the cell printed {result.stdout!r}"

    installed = json.loads(
        subprocess.run(
            [str(python), "-m", "pip", "list", "--path", str(venv_site), "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
    )
    assert [p["name"] for p in installed] == ["weightinit"], installed
    assert not any(p.name.lower().startswith("torch") for p in venv_site.iterdir())
    where = json.loads(
        subprocess.run(
            [
                str(python),
                "-c",
                "import json, torch, weightinit, weightinit.scratch; "
                "print(json.dumps([weightinit.__file__, torch.__file__]))",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
            env=_clean_env(),
        ).stdout
    )
    assert Path(where[0]).is_relative_to(venv_site), where
    assert Path(where[1]).is_relative_to(view), where  # Colab's torch, untouched


# ------------------------------------------------------------------ 4. the Colab links


def _theme_options() -> dict:
    from jupyter_book.config import get_final_config

    config, _ = get_final_config(
        user_yaml=ROOT / "_config.yml", cli_config={"latex_individualpages": False}, sourcedir=ROOT
    )
    return config["html_theme_options"]


def _colab_link(theme: dict, pagename: str) -> str:
    """The link sphinx-book-theme's launch menu builds for a notebook page."""
    from sphinx_book_theme.header_buttons.launch import _split_repo_url

    org, repo = _split_repo_url(theme["repository_url"])
    book = theme.get("path_to_docs", "").strip("/")
    path = f"{book}/{pagename}.ipynb" if book else f"{pagename}.ipynb"
    colab = theme["launch_buttons"]["colab_url"].strip("/")
    return f"{colab}/github/{org}/{repo}/blob/{theme['repository_branch']}/{path}"


def test_colab_links_point_at_the_chapters():
    config = course_files.read_config(ROOT)
    theme = _theme_options()
    repository = config["repository"]
    assert theme["repository_url"] == repository["url"]
    # Colab opens the Jupyter edition, which CI publishes to its own branch (jupyter).
    branch = config["sphinx"]["config"]["html_theme_options"]["repository_branch"]
    assert theme["repository_branch"] == branch == "jupyter"
    assert theme["launch_buttons"]["colab_url"] == config["launch_buttons"]["colab_url"] == COLAB
    # The book's root is the repository's root (where .git and pyproject.toml are), so
    # path_to_book is "" and a chapter's path in the repository is its path here.
    assert (ROOT / repository.get("path_to_book", "") / "_config.yml").samefile(ROOT / "_config.yml")
    assert (ROOT / ".git").exists() and (ROOT / "pyproject.toml").exists()
    org_repo = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", repository["url"])
    assert org_repo, repository["url"]
    assert colab_cell.install_url(config) == f"git+{repository['url']}@{repository['branch']}"
    assert CHAPTERS
    for chapter in CHAPTERS:
        link = _colab_link(theme, chapter.relative_to(ROOT).with_suffix("").as_posix())
        assert link == (
            f"{COLAB}/github/{org_repo[1]}/{org_repo[2]}/blob/{branch}/{chapter.relative_to(ROOT).as_posix()}"
        )
        assert link.startswith(
            "https://colab.research.google.com/github/weightinit-course/weightinit/blob/jupyter/chapters/"
        )


def test_every_chapter_in_the_toc_is_a_notebook():
    # Only .ipynb pages get the launch menu, hence a Colab link.
    written = {path.relative_to(ROOT).with_suffix("").as_posix() for path in CHAPTERS}
    markdown = [
        entry
        for entry in course_files.chapter_entries(ROOT)
        if (ROOT / f"{entry}.md").exists() and entry not in written
    ]
    assert markdown == []
