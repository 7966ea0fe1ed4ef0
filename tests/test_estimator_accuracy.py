"""Held-out scores against scikit-learn's MLPs, same parameters, for every solver, on the
study's accuracy problems (scikit-learn's digits, two moons and make_friedman1): fastbp's
mean score over three random_states is within 0.02 of scikit-learn's, or better. (Initial
weights and shuffling are not the same draws, so single runs differ by more than rounding.)"""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")
from fastbp.study.cases import ACCURACY_PROBLEMS, ACCURACY_SOLVERS
from fastbp.study.estimators import held_out_scores


@pytest.mark.parametrize("solver", ACCURACY_SOLVERS)
@pytest.mark.parametrize("problem", ACCURACY_PROBLEMS)
def test_held_out_score_is_scikit_learns_or_better(problem, solver):
    ours, theirs = held_out_scores(problem, solver)
    assert ours >= theirs - 0.02, (ours, theirs)
