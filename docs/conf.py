"""Sphinx configuration of fastbp's documentation site.

Build it (offline; warnings are errors)::

    pip install -e '.[docs]' && python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

import fastbp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))  # study_results: the performance tables from JSON

project = "fastbp"
author = "the fastbp authors"
copyright = "2026, the fastbp authors"
version = release = fastbp.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinxarg.ext",
    "sphinx_design",
    "study_results",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "tutorials/README.txt", "**/*.ipynb", "**/*.py", "**/*.zip"]
templates_path = ["_templates"]

# No intersphinx: the build must not reach the network.
smartquotes_action = "qe"  # quotes and ellipses, but "--option" stays two hyphens
myst_enable_extensions = ["colon_fence"]  # ::: fences for the landing page's cards
myst_heading_anchors = 3  # links to a section of a Markdown page, e.g. math.md#5-...

# Autosummary writes a page per public name into api/generated (not in git).
autosummary_generate = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"  # numpydoc lists the parameters; signatures keep the hints

# numpydoc: render the docstrings as they stand. Validation checks are off (the public
# docstrings are being rewritten into full numpydoc form separately); class members are
# listed by autosummary's class template, not a second time by numpydoc.
numpydoc_validation_checks: set[str] = set()
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

sphinx_gallery_conf = {
    "examples_dirs": "tutorials",
    "gallery_dirs": "auto_tutorials",
    "filename_pattern": r"/plot_",  # every tutorial runs at build time
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "show_memory": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"fastbp {release}"
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 8,
    "show_prev_next": True,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# No section navigation on the pages that have no sections below them.
html_sidebars = {
    page: []
    for page in (
        "index",
        "getting-started",
        "math",
        "performance/index",
        "development",
        "changelog",
    )
}
html_show_sourcelink = False


def skip_scikit_learns(app, what, name, obj, skip, options) -> bool | None:
    """The estimators' methods that come from scikit-learn (``score``, ``get_params``, the
    metadata-routing setters...) are scikit-learn's to document; their pages leave them out."""
    if what == "class" and (getattr(obj, "__module__", None) or "").startswith("sklearn."):
        return True
    return None


def setup(app) -> None:
    app.connect("autodoc-skip-member", skip_scikit_learns)
