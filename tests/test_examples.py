"""The tutorial examples: ``python -m fastbp example NAME``."""

import pytest

from fastbp.__main__ import main
from fastbp.examples import EXAMPLES, run


def _report_lines(text: str) -> list[list[str]]:
    """The report lines ("epoch E ..." and "final E ...") as lists of words."""
    lines = [line.split() for line in text.splitlines()]
    return [words for words in lines if words[0] in ("epoch", "final") and words[1].isdigit()]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_example_runs_reports_and_is_deterministic(name, capsys):
    first = run(name, epochs=30, report_every=10)
    printed = capsys.readouterr().out
    assert run(name, epochs=30, report_every=10) == first
    assert capsys.readouterr().out.split("stopped after")[0] == printed.split("stopped after")[0]
    lines = _report_lines(printed)
    assert lines[0][:2] == ["epoch", "0"]
    assert lines[-1][0] == "final"
    assert "stopped after" in printed
    losses = [float(line[line.index("loss") + 1]) for line in lines]
    assert losses[-1] < losses[0]  # training made progress
    assert float(lines[-1][-1]) == pytest.approx(first, abs=5e-5)  # printed with 4 decimals


def test_iris_mse_column_is_the_tutorials_definition(capsys):
    """mse is sum((Y - T)**2) / (N K), the loss is sum((Y - T)**2) / (2 N): mse = 2 loss / K."""
    run("iris", epochs=100, report_every=50)
    for line in _report_lines(capsys.readouterr().out):
        loss, mse = float(line[line.index("loss") + 1]), float(line[line.index("mse") + 1])
        assert mse == pytest.approx(2 * loss / 3, rel=1e-5)  # printed with 6 decimals


def test_iris_reaches_the_accuracy_the_readme_shows():
    assert run("iris") > 0.9


def test_examples_reject_options_of_the_classic_run(capsys):
    for option in (["--plain"], ["--rung", "loops"], ["--hidden", "5"], ["--plot", "x.png"]):
        with pytest.raises(SystemExit) as stopped:
            main(["example", "sgd", *option])
        assert stopped.value.code == 2
        assert f"unrecognized arguments: {' '.join(option)}" in capsys.readouterr().err


def test_examples_honour_dtype(capsys):
    main(["example", "deep", "--epochs", "2", "--dtype", "float32"])
    assert "float32" in capsys.readouterr().out.splitlines()[1]


def test_example_divergence_is_one_line_and_status_1(capsys):
    assert main(["example", "sgd", "--learning-rate", "1e308", "--epochs", "5"]) == 1
    [line] = capsys.readouterr().err.splitlines()  # no usage text
    assert line.startswith("python -m fastbp example: error: training diverged at epoch")
