"""``python -m signin`` (with ``example/`` as the working directory or on PYTHONPATH)."""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as ``python example/signin``: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from signin.cli import main

if __name__ == "__main__":
    sys.exit(main())
