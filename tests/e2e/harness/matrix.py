"""The attack matrix: for each stack and way in, what each attack got the attacker."""

from __future__ import annotations


class Matrix:
    """Rows (``nginx-gunicorn via proxy``) x columns (attack ids) -> outcome text."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}
        self.columns: list[str] = []

    def record(self, row: str, column: str, outcome: str) -> None:
        """Note ``outcome`` for one attack (``column``) on one stack and channel (``row``)."""
        if column not in self.columns:
            self.columns.append(column)
        self.rows.setdefault(row, {})[column] = outcome

    def markdown(self) -> list[str]:
        """The matrix as Markdown table lines, one row per stack and channel."""
        lines = [
            "| stack | " + " | ".join(self.columns) + " |",
            "|---|" + "---|" * len(self.columns),
        ]
        for row, cells in self.rows.items():
            lines.append(f"| {row} | " + " | ".join(cells.get(c, "-") for c in self.columns) + " |")
        return lines
