"""Writing a benchmark's section of docs/performance.md: replaced where it stands, appended when new."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def replace_section(section: str, text: str) -> None:
    """Put ``text`` (which starts with the heading ``section``) in place of that section, or at the end."""
    current = DOCS.read_text()
    start = current.find(section)
    if start < 0:
        DOCS.write_text(current.rstrip("\n") + "\n\n" + text)
        return
    end = current.find("\n## ", start + len(section))
    DOCS.write_text(current[:start] + text + (current[end + 1 :] if end >= 0 else ""))
