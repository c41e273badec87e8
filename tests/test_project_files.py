"""CITATION.cff against the CFF 1.2.0 schema, and its version against pyproject and CHANGELOG."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((Path(__file__).parent / "data" / "cff-1.2.0.schema.json").read_text())


class _CffLoader(yaml.SafeLoader):
    """Reads dates as strings, as CFF tools do (the schema's dates are strings)."""


_CffLoader.add_constructor("tag:yaml.org,2002:timestamp", _CffLoader.construct_yaml_str)


def cff_errors(citation: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator.iter_errors(citation)]  # fmt: skip


@pytest.fixture(scope="module")
def citation() -> dict:
    return yaml.load((ROOT / "CITATION.cff").read_text(encoding="utf-8"), Loader=_CffLoader)


def test_citation_is_valid_cff_1_2_0(citation):
    assert SCHEMA["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    assert citation["cff-version"] == "1.2.0"
    assert cff_errors(citation) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda c: c.pop("authors"), "<root>"),
        (
            lambda c: c.update(authors=[{"given-names": "A", "nickname": "x", "bogus": 1}]),
            "authors/0",
        ),
        (lambda c: c.update({"date-released": "22 November 2026"}), "date-released"),
        (lambda c: c.update(license="MIT-ish"), "license"),
        (lambda c: c.update(version=""), "version"),
    ],
)
def test_schema_rejects_a_broken_citation(citation, change, where):
    broken = copy.deepcopy(citation)
    change(broken)
    errors = cff_errors(broken)
    assert errors and any(e.startswith(where) for e in errors), errors


def test_citation_author_is_the_project_not_a_person(citation):
    (author,) = citation["authors"]
    assert set(author) == {"name"}  # an entity: no family-names or given-names
    assert "remitest" in author["name"]


def test_citation_version_and_date_match_pyproject_and_changelog(citation):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert citation["version"] == project["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", changelog, re.M)
    assert released, "CHANGELOG.md has no '## [X.Y.Z] - YYYY-MM-DD' section"
    assert released[0] == (citation["version"], citation["date-released"]), (
        "the newest release in CHANGELOG.md must be the version and date in CITATION.cff"
    )
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{released[0][0]}]")


def _tracked_files() -> list[Path]:
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    return [ROOT / n for n in names if n and (ROOT / n).is_file()]


def test_the_repository_is_small_without_generated_outputs():
    files = _tracked_files()
    total = sum(p.stat().st_size for p in files)
    assert total < 5 * 2**20, f"{total / 2**20:.1f} MB tracked"
    # tests/data/ holds inputs of tests (a run folder of 0.3.0 that load_run must read; see
    # tests/data/README.md), not generated outputs
    fixtures = ROOT / "tests" / "data"
    generated = [p for p in files if (p.suffix in {".nc", ".netcdf"} or p.name == "draws.csv")
                 and not p.is_relative_to(fixtures)]
    assert not generated, generated


def test_no_document_links_outside_the_repository():
    for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text, f"{path.name} links outside the repository"
