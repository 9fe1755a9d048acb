"""User docs that are generated from the code stay in step with it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_docs_commands_md_lists_every_command_as_the_code_defines_it() -> None:
    spec = importlib.util.spec_from_file_location("commands_doc", ROOT / "scripts" / "commands_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "commands.md").read_text() == module.render(), (
        "docs/commands.md is out of date: run .venv/bin/python scripts/commands_doc.py > docs/commands.md"
    )


def test_every_doc_the_readme_links_to_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    for line in readme.splitlines():
        for part in line.split("](")[1:]:
            target = part.split(")")[0]
            if not target.startswith(("http", "#")):
                assert (ROOT / target.split("#")[0]).exists(), f"README links to missing {target}"
