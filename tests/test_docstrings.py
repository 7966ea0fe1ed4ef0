"""The public API's docstrings: numpydoc sections on every public name, and every Examples
section runs as a doctest, so that no example can rot.

The examples run against the fastbp that is imported (in the ``wheel`` nox session, the
installed wheel), one test per docstring; a failure shows the example, what it printed and
what was expected. One module's examples alone: ``python -m pytest -n 0 --doctest-modules
fastbp/api.py`` (the same examples, pytest's own runner).
"""

import doctest
import importlib
import inspect
import re

import pytest

import fastbp

# Where the names of fastbp.__all__ are defined, and fastbp.threads (a public module, like
# fastbp.datasets). fastbp.distributed, the command line and the study are not part of this API.
MODULES = (
    "fastbp.api",
    "fastbp.datasets",
    "fastbp.estimators",
    "fastbp.fitting",
    "fastbp.network",
    "fastbp.registry",
    "fastbp.threads",
    "fastbp.training",
)


def docstring_tests() -> list[doctest.DocTest]:
    """The doctests of MODULES: one per docstring that has examples."""
    finder = doctest.DocTestFinder()
    tests = [test for name in MODULES for test in finder.find(importlib.import_module(name))]
    return sorted((test for test in tests if test.examples), key=lambda test: test.name)


@pytest.mark.parametrize("test", docstring_tests(), ids=lambda test: test.name)
def test_example_runs(test):
    printed = []
    failed, _ = doctest.DocTestRunner().run(test, out=printed.append)
    assert failed == 0, "".join(printed)


def public_objects() -> dict[str, object]:
    """Every public name of fastbp (a module's public functions; a dict's value class), and
    the public methods and properties that fastbp's classes define (not those that
    scikit-learn's base classes do). ConvergenceWarning and NotFittedError are
    scikit-learn's own classes, documented there."""
    found = {}
    for name in fastbp.__all__:
        value = getattr(fastbp, name)
        if inspect.ismodule(value):
            for member, function in vars(value).items():
                public = not member.startswith("_") and inspect.isfunction(function)
                if public and function.__module__ == value.__name__:
                    found[f"{name}.{member}"] = function
        elif isinstance(value, dict):  # RUNGS: its values' class
            cls = type(next(iter(value.values())))
            found[cls.__name__] = cls
        elif value.__module__.startswith("fastbp"):
            found[name] = value
    found["OptimizerState"] = fastbp.fitting.OptimizerState  # FitResult.state's class
    for name, value in list(found.items()):
        if not inspect.isclass(value):
            continue
        for member in dir(value):
            static = inspect.getattr_static(value, member)
            attribute = static.fget if isinstance(static, property) else getattr(value, member)
            if member.startswith("_") or not callable(attribute) or inspect.isclass(attribute):
                continue
            if getattr(attribute, "__module__", "").startswith("fastbp"):  # not scikit-learn's
                found[f"{name}.{member}"] = static if isinstance(static, property) else attribute
    return found


PUBLIC = public_objects()
SECTION = re.compile(r"^(\w[\w ]*)\n-{3,}$", re.MULTILINE)


def sections(docstring: str) -> dict[str, str]:
    """The numpydoc sections of ``docstring`` by title ("" for the summary and extended
    summary before the first)."""
    parts = SECTION.split(inspect.cleandoc(docstring))
    return {"": parts[0], **dict(zip(parts[1::2], parts[2::2]))}


def documented_names(section: str) -> set[str]:
    """The names that a Parameters or Attributes section describes ("a, b : type" lines)."""
    names = set()
    for line in section.splitlines():
        match = re.match(r"^(\w+(?:, \w+)*)(?: :|$)", line)
        if match:
            names.update(match.group(1).split(", "))
    return names


def test_the_public_names_are_all_found():
    for name in ("forward", "fit", "Network.unpack", "Network.n_params", "MLPClassifier.fit",
                 "MLPRegressor.partial_fit", "datasets.iris", "Rung.supports",
                 "OptimizerState.new", "TrainResult.final", "DivergenceError"):  # fmt: skip
        assert name in PUBLIC
    assert "MLPClassifier.score" not in PUBLIC  # scikit-learn's
    assert "ConvergenceWarning" not in PUBLIC


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_docstring_is_numpydoc_with_an_example(name):
    value = PUBLIC[name]
    found = sections(value.__doc__ or "")
    summary = found[""].split("\n\n")[0]
    assert summary and "\n" not in summary and summary.endswith("."), (
        f"{name}: the summary must be one sentence on one line, got {summary!r}"
    )
    assert ">>> " in found.get("Examples", ""), f"{name}: no Examples section with an example"
    if isinstance(value, property):
        return
    parameters = [
        p.name
        for p in inspect.signature(value).parameters.values()
        if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    described = documented_names(found.get("Parameters", ""))
    if inspect.isclass(value):
        described |= documented_names(found.get("Attributes", ""))
    missing = [p for p in parameters if p not in described]
    assert not missing, f"{name}: parameters not in its Parameters section: {missing}"
    if not inspect.isclass(value) and inspect.signature(value).return_annotation != "None":
        assert "Returns" in found, f"{name}: no Returns section"
