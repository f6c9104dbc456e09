"""Spread of every assert's operands in a chapter over many seeds.

Runs a chapter's code cells in-process (one subprocess per seed, ``WEIGHTINIT_SEED`` set),
with each ``assert`` rewritten so that it records the value of every operand of every
comparison in it (``abs(m / p - 1) < 0.05`` records ``abs(m / p - 1)``), and whether it
held, instead of stopping. Prints, per assert, the failures and the min-max of each
recorded operand over the seeds: the numbers behind the ``# 20 seeds: lo-hi`` comments.

    .venv/bin/python benchmarks/spread/assert_spread.py chapters/01_why_init.ipynb \
        --seeds 20 [--skip train_classifier,explorer] [--jobs 2]

``--skip`` leaves out code cells whose source contains any of the given words (training
loops, widgets), to keep the measurement cheap; asserts in those cells are not measured.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat


class _Record(ast.NodeTransformer):
    """``assert test`` -> ``_rec(cell, line, test-with-recorded-operands)``."""

    def __init__(self, cell: int):
        self.cell = cell

    def _wrap(self, node: ast.expr, key: str) -> ast.expr:
        return ast.Call(ast.Name("_val", ast.Load()), [ast.Constant(key), node], [])

    def _test(self, node: ast.expr, prefix: str) -> ast.expr:
        if isinstance(node, ast.BoolOp):
            node.values = [self._test(v, f"{prefix}.{i}") for i, v in enumerate(node.values)]
            return node
        if isinstance(node, ast.Compare):
            if (
                isinstance(node.left, ast.Call)
                and isinstance(node.left.func, ast.Name)
                and node.left.func.id == "abs"
                and len(node.left.args) == 1
            ):
                inner = node.left.args[0]
                node.left.args = [self._wrap(inner, f"{prefix}:(signed) {ast.unparse(inner)}")]
            node.left = self._wrap(node.left, f"{prefix}:{ast.unparse(node.left)}")
            node.comparators = [self._wrap(c, f"{prefix}:{ast.unparse(c)}") for c in node.comparators]
            return node
        return node

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        key = f"{self.cell}:{node.lineno}"
        test = self._test(node.test, key)
        call = ast.Call(
            ast.Name("_rec", ast.Load()), [ast.Constant(key), ast.Constant(ast.unparse(node.test)), test], []
        )
        return ast.copy_location(ast.Expr(call), node)


def run_one(path: str, skip: list[str]) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    nb = nbformat.read(path, as_version=4)
    record: dict = {"asserts": {}, "values": {}, "errors": []}

    def _val(key, value):
        try:
            record["values"].setdefault(key, []).append(float(value))
        except (TypeError, ValueError):
            pass
        return value

    def _rec(key, text, ok):
        entry = record["asserts"].setdefault(key, {"text": text, "ok": True})
        entry["ok"] = entry["ok"] and bool(ok)

    namespace = {"_val": _val, "_rec": _rec, "__name__": "__main__"}
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        if any(word in cell.source for word in skip):
            continue
        source = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        tree = _Record(number).visit(ast.parse(source))
        ast.fix_missing_locations(tree)
        try:
            exec(compile(tree, f"cell{number}", "exec"), namespace)
        except Exception as error:  # keep going: later cells may not need this one
            record["errors"].append(f"cell {number}: {type(error).__name__}: {error}"[:300])
        import matplotlib.pyplot as plt

        plt.close("all")
    return record


def _same(vkey: str, key: str) -> bool:
    """Whether a recorded operand ``cell:line.part:text`` belongs to assert ``cell:line``."""
    cell, line = vkey.split(":")[:2]
    return (cell, line.split(".")[0]) == tuple(key.split(":")[:2])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("notebook")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--skip", default="")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    skip = [w for w in args.skip.split(",") if w]
    if args.child:
        print(json.dumps(run_one(args.notebook, skip)))
        return

    def child(seed: int) -> dict:
        env = dict(
            os.environ,
            WEIGHTINIT_SEED=str(seed),
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            MPLBACKEND="Agg",
        )
        out = subprocess.run(
            [sys.executable, __file__, str(Path(args.notebook).resolve()), "--child", "--skip", args.skip],
            capture_output=True,
            text=True,
            env=env,
            cwd=Path(args.notebook).resolve().parent,
        )
        lines = out.stdout.strip().splitlines()
        if out.returncode or not lines:
            return {"asserts": {}, "values": {}, "errors": [out.stderr[-500:]]}
        return json.loads(lines[-1])

    seeds = list(range(args.first, args.first + args.seeds))
    with ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(seeds, pool.map(child, seeds), strict=True))
    texts, failed, values = {}, {}, {}
    for seed, result in results.items():
        for error in result["errors"]:
            print(f"seed {seed}: {error}")
        for key, entry in result["asserts"].items():
            texts[key] = entry["text"]
            if not entry["ok"]:
                failed.setdefault(key, []).append(seed)
        for key, vals in result["values"].items():
            values.setdefault(key, []).extend(vals)

    def order(key):
        return tuple(int(p) for p in key.split(":")[:2])

    for key in sorted(texts, key=order):
        print(f"\n[cell {key}] {texts[key][:110]}")
        if key in failed:
            print(f"  FAILS for seeds {failed[key]}")
        for vkey in sorted(v for v in values if _same(v, key)):
            vals = values[vkey]
            if len(set(vals)) > 1:
                label = vkey.split(":", 3)[-1]
                print(f"  {label[:60]:60s} {min(vals):.4g} .. {max(vals):.4g}  (n={len(vals)})")


if __name__ == "__main__":
    main()
