"""``python -m remote_identity``: the ``remote-identity`` command."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
