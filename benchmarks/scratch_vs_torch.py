"""How fast the NumPy rules of ``weightinit.scratch`` are against ``torch.nn.init``.

    .venv/bin/python benchmarks/scratch_vs_torch.py               # 4096x4096 and 256x256x3x3
    .venv/bin/python benchmarks/scratch_vs_torch.py --repeats 11 --threads 1

For each rule and shape: the median of ``--repeats`` calls (after one warm-up) of the
scratch function, which builds a new float32 array, and of the torch rule on a new tensor
(``init_(torch.empty(shape))``, so both sides allocate). Ratio = scratch / torch: above 1
the scratch rule is slower. torch fills a tensor with its own generator on all its
intra-op threads (``--threads``, default torch's own choice); NumPy's Generator draws on
one thread, and only the QR of ``orthogonal`` is multithreaded (by NumPy's OpenBLAS,
``--blas-threads``). A column with torch on one thread shows how much of the gap is
threads. On a busy machine OpenBLAS's threads can wait on each other for seconds: compare
with ``--blas-threads 1`` before reading much into ``orthogonal``. Not a test.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from weightinit import scratch

init = torch.nn.init
TRUNC_STD = math.sqrt(2.0) / scratch.TRUNC_NORMAL_STD  # variance_scaling(scale=2) on fan 1


def rules(fan_in: int) -> dict[str, tuple[Callable, Callable]]:
    """Rule name -> (scratch(shape, rng), torch(tensor)), drawing the same distribution."""
    std = TRUNC_STD / math.sqrt(fan_in)  # variance_scaling's truncated normal
    return {
        "uniform": (lambda s, g: scratch.uniform(s, -1.0, 1.0, rng=g), lambda t: init.uniform_(t, -1.0, 1.0)),
        "normal": (lambda s, g: scratch.normal(s, 0.0, 0.02, rng=g), lambda t: init.normal_(t, 0.0, 0.02)),
        "trunc_normal": (
            lambda s, g: scratch.trunc_normal(s, 0.0, 1.0, -2.0, 2.0, rng=g),
            lambda t: init.trunc_normal_(t, 0.0, 1.0, -2.0, 2.0),
        ),
        "xavier_uniform": (lambda s, g: scratch.xavier_uniform(s, rng=g), init.xavier_uniform_),
        "xavier_normal": (lambda s, g: scratch.xavier_normal(s, rng=g), init.xavier_normal_),
        "kaiming_uniform": (
            lambda s, g: scratch.kaiming_uniform(s, nonlinearity="relu", rng=g),
            lambda t: init.kaiming_uniform_(t, nonlinearity="relu"),
        ),
        "kaiming_normal": (
            lambda s, g: scratch.kaiming_normal(s, nonlinearity="relu", rng=g),
            lambda t: init.kaiming_normal_(t, nonlinearity="relu"),
        ),
        "lecun_normal": (
            lambda s, g: scratch.lecun_normal(s, rng=g),
            lambda t: init.kaiming_normal_(t, nonlinearity="linear"),
        ),
        "variance_scaling": (
            lambda s, g: scratch.variance_scaling(s, 2.0, rng=g),
            lambda t: init.trunc_normal_(t, 0.0, std, -2 * std, 2 * std),
        ),
        "orthogonal": (lambda s, g: scratch.orthogonal(s, rng=g), init.orthogonal_),
        "eye": (lambda s, g: scratch.eye(s), init.eye_),
        "constant": (lambda s, g: scratch.constant(s, 0.5), lambda t: init.constant_(t, 0.5)),
    }


def median_seconds(repeats: int, function: Callable, *args: object) -> float:
    function(*args)  # warm-up: first-call costs (imports, allocator, thread pool)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def on_new_tensor(torch_rule: Callable, shape: tuple[int, ...]) -> torch.Tensor:
    return torch_rule(torch.empty(shape))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--threads",
        type=int,
        default=torch.get_num_threads(),
        help="torch intra-op threads (default: torch's choice)",
    )
    parser.add_argument(
        "--blas-threads", type=int, default=None, help="threads of NumPy's OpenBLAS (default: its own choice)"
    )
    args = parser.parse_args()
    from threadpoolctl import ThreadpoolController  # comes with scikit-learn

    openblas = ThreadpoolController().select(internal_api="openblas")
    if args.blas_threads is not None:
        openblas.limit(limits=args.blas_threads)
    blas_threads = [pool["num_threads"] for pool in openblas.info()]
    shapes = [(4096, 4096), (256, 256, 3, 3)]
    generator = np.random.default_rng(0)
    torch.manual_seed(0)
    print(
        f"median of {args.repeats}, torch {torch.__version__} on {args.threads} threads "
        f"(and on 1), NumPy {np.__version__} (OpenBLAS threads {blas_threads}), {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'rule':<17} {'shape':<15} {'scratch ms':>10} {'torch ms':>9} {'ratio':>6} "
        f"{'torch 1 thr ms':>14} {'ratio':>6}"
    )
    for shape in shapes:
        fan_in, _ = scratch.compute_fans(shape)
        for name, (scratch_rule, torch_rule) in rules(fan_in).items():
            if name == "eye" and len(shape) != 2:
                continue
            scratch_s = median_seconds(args.repeats, scratch_rule, shape, generator)
            torch.set_num_threads(args.threads)
            torch_s = median_seconds(args.repeats, on_new_tensor, torch_rule, shape)
            torch.set_num_threads(1)
            torch_1_s = median_seconds(args.repeats, on_new_tensor, torch_rule, shape)
            torch.set_num_threads(args.threads)
            print(
                f"{name:<17} {'x'.join(map(str, shape)):<15} {scratch_s * 1e3:10.1f} "
                f"{torch_s * 1e3:9.1f} {scratch_s / torch_s:6.2f} {torch_1_s * 1e3:14.1f} "
                f"{scratch_s / torch_1_s:6.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
