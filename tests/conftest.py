"""Test set-up shared by every test module."""

from __future__ import annotations

import warnings

# WebOb 1.8 imports the standard library's ``cgi`` module, which warns on Python 3.12 and
# is gone in 3.13 (WebOb then uses the ``legacy-cgi`` backport, silently). Import WebOb
# once with exactly that warning silenced, so ``-W error`` keeps catching everything else.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
    import webob  # noqa: F401
