"""The docs name tests as evidence; every test they name exists."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent

# `tests/reliability/test_soak.py::test_soak_short`, `test_soak.py::test_soak_short`,
# or `::test_name` after one of those.
REFERENCE = re.compile(r"`([\w/]+\.py)?(?:::(\w+))?`")


def named_test_file(path):
    """The test file ``path`` names: as given, or by its name under tests/."""
    if (ROOT / path).exists():
        return ROOT / path
    matches = sorted((ROOT / "tests").rglob(pathlib.Path(path).name))
    return matches[0] if len(matches) == 1 else None


def references():
    for page in sorted((ROOT / "docs").glob("*.md")):
        current = None
        for match in REFERENCE.finditer(page.read_text(encoding="utf-8")):
            path, name = match.groups()
            if path and not path.startswith(("tests/", "test_", "faults", "soak")):
                continue  # a module of the package, not a test file
            if path:
                current = path
            if path or name:
                yield page.name, path or current, name


def test_every_test_the_docs_name_exists():
    found = list(references())
    assert len(found) > 20, found  # the pattern still matches how the docs cite tests
    missing = []
    for page, path, name in found:
        if path is None:  # a `::name` before any file: look everywhere
            sources = [p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py")]
        elif named_test_file(path) is None:
            missing.append(f"{page}: {path} does not exist")
            continue
        else:
            sources = [named_test_file(path).read_text(encoding="utf-8")]
        if name and not any(re.search(rf"^\s*(async )?def {name}\b", source, re.M) for source in sources):
            missing.append(f"{page}: {path}::{name} does not exist")
    assert not missing, "\n".join(missing)
