"""Feedback on the learners' answers to the exercises: one protocol, one module per topic.

Every checker runs the learner's code through :func:`~weightinit.checks._core.call` (so it
never raises on the learner's mistakes), prints its verdict in one style, ``✓ …`` or
``✗ … — hint`` (nothing with ``verbose=False``), and returns True or False, so that a
notebook can ``assert`` a solution passes. Checkers raise :class:`ValueError` only for the
caller's own errors (an unknown reference, a tolerance out of range).

=========================  ==========================================  =======
checker                    checks                                       chapter
=========================  ==========================================  =======
:func:`check_initializer`  an initializer ``fn(shape, rng=None)``       1-5, 7
:func:`check_value`        a number or an array of numbers              2-7
:func:`check_forget_bias`  an LSTM's forget-gate bias                   6, 7
:func:`check_keras_lstm`   Keras' LSTM defaults in PyTorch              7
:func:`check_fixup_scale`  Fixup's scale :math:`L^{-1/(2m-2)}`          8
:func:`check_lsuv`         a NumPy LSUV                                 9
:func:`check_delta_orthogonal`  a delta-orthogonal kernel               10
:func:`check_gpt2_init`    GPT-2's initialization                       11
=========================  ==========================================  =======

A new checker builds on :mod:`weightinit.checks._core` (:class:`Problem`, :func:`call`,
:func:`report`, and :class:`Check` / :func:`verdict` for a list of small checks), lives in
the module of its topic, and is added to :data:`CHECKERS`. Importing this package does not
import torch; the checkers that need it import it when called.
"""

from __future__ import annotations

from weightinit.checks._core import Check, Problem, call, report, verdict
from weightinit.checks.initializer import DEFAULT_SHAPES, REFERENCES, check_initializer
from weightinit.checks.isometry import check_delta_orthogonal
from weightinit.checks.lstm import check_forget_bias, check_keras_lstm
from weightinit.checks.lsuv import check_lsuv
from weightinit.checks.residual import check_fixup_scale
from weightinit.checks.transformer import check_gpt2_init
from weightinit.checks.value import check_value

__all__ = [
    "CHECKERS",
    "REFERENCES",
    "DEFAULT_SHAPES",
    "Check",
    "Problem",
    "call",
    "report",
    "verdict",
    "check_initializer",
    "check_value",
    "check_forget_bias",
    "check_keras_lstm",
    "check_fixup_scale",
    "check_lsuv",
    "check_delta_orthogonal",
    "check_gpt2_init",
]

#: Every learner-facing checker of the course.
CHECKERS = (
    check_initializer,
    check_value,
    check_forget_bias,
    check_keras_lstm,
    check_fixup_scale,
    check_lsuv,
    check_delta_orthogonal,
    check_gpt2_init,
)
