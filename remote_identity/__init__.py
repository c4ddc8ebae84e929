"""Trust the identity an authenticating reverse proxy puts in request headers, safely."""

from __future__ import annotations

from .errors import CONFIGURATION_REASONS as CONFIGURATION_REASONS
from .errors import REASONS as REASONS
from .errors import ConfigurationError as ConfigurationError
from .errors import IdentityError as IdentityError
from .errors import RemoteIdentityError as RemoteIdentityError
from .events import refusal_counts as refusal_counts
from .gate import ENVIRON_KEY as ENVIRON_KEY
from .gate import IdentityGate as IdentityGate
from .gate import Verdict as Verdict
from .identity import Identity as Identity
from .options import GateOptions as GateOptions
from .parsing import parse_identity as parse_identity
from .policy import DEFAULT_POLICY as DEFAULT_POLICY
from .policy import ParsingPolicy as ParsingPolicy
from .schemes import PRESETS as PRESETS
from .schemes import HeaderScheme as HeaderScheme
from .schemes import get_scheme as get_scheme
from .trust import TrustedProxies as TrustedProxies

__version__ = "0.1.0.dev0"

__all__ = [
    "CONFIGURATION_REASONS",
    "DEFAULT_POLICY",
    "ENVIRON_KEY",
    "PRESETS",
    "REASONS",
    "ConfigurationError",
    "GateOptions",
    "HeaderScheme",
    "Identity",
    "IdentityError",
    "IdentityGate",
    "ParsingPolicy",
    "RemoteIdentityError",
    "TrustedProxies",
    "Verdict",
    "get_scheme",
    "parse_identity",
    "refusal_counts",
]
