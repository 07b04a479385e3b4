"""The manual and the docs hold together: every relative link and every docs/ path named in the code resolves."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKDOWN = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
DOCS_PATH = re.compile(r"\bdocs/[\w./-]+\.md")


def heading_anchors(markdown: Path) -> set[str]:
    """The anchors GitHub makes for a file's headings: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for line in markdown.read_text().splitlines():
        if match := re.match(r"#{1,6} (.+)", line):
            anchors.add(re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-"))
    return anchors


def broken_links(markdown: Path, root: Path = ROOT) -> list[str]:
    broken = []
    for target in LINK.findall(markdown.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto: …: not ours to check offline
        path, _, anchor = target.partition("#")
        linked = (markdown.parent / path).resolve() if path else markdown
        if not linked.exists():
            broken.append(f"{markdown.relative_to(root)}: {target} (no such file)")
        elif anchor and linked.suffix == ".md" and anchor not in heading_anchors(linked):
            broken.append(f"{markdown.relative_to(root)}: {target} (no such heading)")
    return broken


def test_every_relative_link_in_the_readme_and_docs_resolves():
    assert [problem for markdown in MARKDOWN for problem in broken_links(markdown)] == []


def test_every_docs_path_named_in_the_code_exists():
    named = {
        (source.relative_to(ROOT), path)
        for folder in ("herbert", "templates", "tests", "bench", "scripts")
        for source in (ROOT / folder).rglob("*")
        if source.suffix in {".py", ".html", ".txt", ".sh", ".mjs", ".toml"}
        for path in DOCS_PATH.findall(source.read_text(errors="replace"))
    }
    assert named, "the check found no docs/ path at all: the pattern is wrong"
    assert sorted((str(source), path) for source, path in named if not (ROOT / path).exists()) == []


def test_the_check_notices_a_broken_link_and_a_missing_heading(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# A heading, here\n[ok](#a-heading-here) [gone](missing.md) [no](#nowhere)\n")
    assert broken_links(page, root=tmp_path) == [
        "page.md: missing.md (no such file)",
        "page.md: #nowhere (no such heading)",
    ]
