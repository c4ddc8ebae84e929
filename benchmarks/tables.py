"""Tables and target checks, rendered as plain text (the terminal) or Markdown (the docs)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Check", "Table", "markdown", "text"]


@dataclass
class Table:
    """A titled table; ``notes`` are printed under it."""

    title: str
    headers: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Check:
    """One speed target: what was measured against what was asked."""

    name: str
    measured: str
    target: str
    met: bool

    @property
    def verdict(self) -> str:
        return "met" if self.met else "MISSED"


def _numeric(cell: str) -> bool:
    head = cell.split(" ")[0].replace(",", "").replace(".", "").lstrip("+-")
    return head.isdigit() or cell == "-"


def _right_aligned(table: Table) -> list[bool]:
    """A column is right-aligned when every cell in it starts with a number."""
    columns = list(zip(*table.rows, strict=True)) if table.rows else [()] * len(table.headers)
    return [bool(cells) and all(_numeric(c) for c in cells) for cells in columns]


def text(table: Table) -> str:
    """The table for a terminal: aligned columns, numbers to the right."""
    widths = [len(h) for h in table.headers]
    for row in table.rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [table.title, "-" * len(table.title)]

    right = _right_aligned(table)

    def line(cells: Sequence[str], header: bool = False) -> str:
        parts = [
            cell.rjust(width) if align and not header else cell.ljust(width)
            for cell, width, align in zip(cells, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    lines.append(line(table.headers, header=True))
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(line(row) for row in table.rows)
    for note in table.notes:
        lines.extend(textwrap.wrap(note, 100, initial_indent="  ", subsequent_indent="    "))
    return "\n".join(lines)


def markdown(table: Table, level: str = "###") -> str:
    """The table as Markdown (a pipe table), its notes as a list under it."""

    def escape(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = [f"{level} {table.title}", ""]
    lines.append("| " + " | ".join(escape(h) for h in table.headers) + " |")
    lines.append("| " + " | ".join("---:" if r else "---" for r in _right_aligned(table)) + " |")
    lines.extend("| " + " | ".join(escape(c) for c in row) + " |" for row in table.rows)
    if table.notes:
        lines.append("")
        lines.extend(f"- {note}" for note in table.notes)
    return "\n".join(lines)
