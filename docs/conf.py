"""Sphinx configuration: MyST Markdown pages, autodoc for the core API, furo theme.

Built by ``scripts/docs`` with ``-W -n`` (warnings are errors, every reference must
resolve). The build has no network, so there is no intersphinx: references to the standard
library, and the few targets that cannot resolve, are listed in ``nitpick_ignore_regex``
below, each with the reason. The build also fails when a name the code defines is missing
from its reference page (``_check_coverage``): a reason code (``logging.md``), an option
of the ``remote-identity`` parser (``cli.md``), a ``REMOTE_IDENTITY_*`` setting of
``remote_identity_django.conf`` or a system check id of ``check_ids.CHECKS``
(``django.md``), a preset (``proxies/``).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import remote_identity  # noqa: E402
import remote_identity_django.conf as django_conf  # noqa: E402
from remote_identity import cli  # noqa: E402
from remote_identity.errors import CONFIGURATION_REASONS  # noqa: E402
from remote_identity.options import OPTIONS, POLICY_OPTIONS  # noqa: E402
from remote_identity.schemes import PRESETS  # noqa: E402
from remote_identity_django.check_ids import CHECKS  # noqa: E402

project = "remote-identity"
author = "the remote-identity contributors"
copyright = "the remote-identity contributors"
release = remote_identity.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
# docs/recipes/ holds configuration files and their README, included by recipes.md.
exclude_patterns = ["_build", "recipes"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc --------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True

# -- nitpicky: what cannot resolve without network access ----------------------------
nitpicky = True
nitpick_ignore_regex = [
    # The standard library's abstract types (builtins resolve by themselves): there is
    # no intersphinx inventory to link them to without network access.
    (r"py:class", r"(collections\.abc|typing|logging)\.\w+"),
    # WSGI types come from typeshed's _typeshed.wsgi, which exists only for type checkers.
    (r"py:class", r"(_typeshed\.wsgi\.)?(WSGIApplication|WSGIEnvironment|StartResponse)"),
    # os.PathLike (a jwks_file path) is standard library, like the abstract types above.
    (r"py:class", r"os\.PathLike"),
    # gate.Outcome: a private alias (Literal["identity", "anonymous", "rejected"]) used as
    # the type of Verdict.outcome; the docstring spells out its values.
    (r"py:class", r"(remote_identity\.gate\.)?Outcome"),
    # options.T: the type variable of Option[T]; typing_extensions.Unpack only exists for
    # type checkers on Python 3.10 (the keyword arguments are listed in each docstring).
    (r"py:class", r"(remote_identity\.options\.)?T|(typing_extensions\.)?Unpack"),
    (r"py:obj", r"(remote_identity\.options\.)?T"),
    # asgi.ASGIApp: a private alias of the ASGI application callable type.
    (r"py:class", r"(remote_identity\.asgi\.)?ASGIApp"),
]

# -- HTML -------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"remote-identity {release}"
html_static_path: list[str] = []
html_show_sphinx = False  # the footer then credits the theme only


log = logging.getLogger(__name__)


# -- The names remote_identity re-exports ----------------------------------------------
# Each object is documented once, in the module that defines it. ``remote_identity.X``
# (how users import them) and a bare ``X`` in a docstring resolve to that definition.
_SUBMODULES = (
    "errors",
    "identity",
    "schemes",
    "trust",
    "policy",
    "parsing",
    "options",
    "events",
    "verdicts",
    "gate",
)
CANONICAL: dict[str, str] = {}
for _sub in _SUBMODULES:
    _module = importlib.import_module(f"remote_identity.{_sub}")
    for _name in _module.__all__:
        if _name in remote_identity.__all__:
            CANONICAL.setdefault(_name, f"remote_identity.{_sub}.{_name}")
assert set(CANONICAL) == set(remote_identity.__all__), "a re-export is not mapped"


def _exports_table() -> str:
    rows = ["| name | defined in |", "| --- | --- |"]
    for name in remote_identity.__all__:
        target = CANONICAL[name]
        module = target.rsplit(".", 1)[0]
        role = "class" if isinstance(getattr(remote_identity, name), type) else "obj"
        rows.append(f"| {{py:{role}}}`~{target}` | {{py:mod}}`{module}` |")
    return "\n".join(rows) + "\n"


def _code(items: object) -> str:
    if not items:
        return "-"
    values = items if isinstance(items, tuple) else (items,)
    # A "|" ends a table cell even inside a code span unless it is escaped.
    return ", ".join(f"`{item}`".replace("|", "\\|") for item in values)


def _presets_table() -> str:
    """Every preset of PRESETS with its headers, from the code itself."""
    rows = [
        "| preset | username | name | e-mail | groups (separator) | also removed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, scheme in PRESETS.items():
        groups = _code(scheme.groups_header)
        if scheme.groups_header:
            groups += f" ({_code(scheme.group_separator)})"
        rows.append(
            f"| `{name}` | {_code(scheme.user_headers)} | {_code(scheme.name_header)} "
            f"| {_code(scheme.email_header)} | {groups} | {_code(scheme.extra_headers)} |"
        )
    return "\n".join(rows) + "\n"


def _options_table() -> str:
    """Every gate option: its type, default, Django setting and ``explain`` flag."""
    rows = [
        "| option | type | default | Django setting | `explain` flag | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for option in (*OPTIONS.values(), *POLICY_OPTIONS.values()):
        policy = option.name in POLICY_OPTIONS
        name = f"`policy.{option.name}`" if policy else f"`{option.name}`"
        default = option.default_doc or repr(option.default)
        setting = f"`REMOTE_IDENTITY_{option.setting}`" if option.setting else "-"
        flag = f"`{option.flag}`" if option.flag else "-"
        doc = option.doc.replace("|", "\\|")
        rows.append(f"| {name} | {option.type} | `{default}` | {setting} | {flag} | {doc} |")
    return "\n".join(rows) + "\n"


def _configuration_reasons_table() -> str:
    """Every ``ConfigurationError.reason`` with its meaning."""
    rows = ["| reason | meaning |", "| --- | --- |"]
    rows += [f"| `{reason}` | {text} |" for reason, text in CONFIGURATION_REASONS.items()]
    return "\n".join(rows) + "\n"


def _preset_list(name: str) -> str:
    """One preset's headers as a list, for its proxy's page."""
    scheme = PRESETS[name]
    lines = [f"- username: {_code(scheme.user_headers)}"]
    if len(scheme.user_headers) > 1:
        lines[0] += " (the first one present with a value)"
    for label, header in (
        ("display name", scheme.name_header),
        ("e-mail", scheme.email_header),
        ("groups", scheme.groups_header),
    ):
        lines.append(f"- {label}: {_code(header) if header else 'none'}")
    if scheme.groups_header:
        lines[-1] += f", separated by `{scheme.group_separator}`"  # not in a table
    if scheme.value_prefix:
        lines.append(f"- required prefix, removed: `{scheme.value_prefix}`")
    if scheme.extra_headers:
        lines.append(f"- also removed from untrusted peers: {_code(scheme.extra_headers)}")
    return "\n".join(lines) + "\n"


RECIPES = DOCS / "recipes"
#: The recipes shown first, in this order; any other file follows, by name.
_RECIPE_ORDER = (
    "nginx.conf",
    "nginx-signed.conf",
    "Caddyfile",
    "haproxy.cfg",
    "haproxy-auth-request.lua",
)
#: Pygments lexers for the recipe files, by name or suffix; others are shown as text.
_LEXERS = {
    "nginx.conf": "nginx",
    "nginx-signed.conf": "nginx",
    ".lua": "lua",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".toml": "toml",
}


def _recipe_files() -> str:
    """A section per file in docs/recipes/ (but its README), with the file included."""
    parts = []

    def order(path: Path) -> tuple[int, str]:
        known = path.name in _RECIPE_ORDER
        return (_RECIPE_ORDER.index(path.name) if known else len(_RECIPE_ORDER), path.name)

    for path in sorted(RECIPES.iterdir() if RECIPES.is_dir() else (), key=order):
        if not path.is_file() or path.name.startswith(".") or path.suffix == ".md":
            continue
        lexer = _LEXERS.get(path.name) or _LEXERS.get(path.suffix, "text")
        parts.append(
            f"### `{path.name}`\n\n"
            f"```{{literalinclude}} recipes/{path.name}\n:language: {lexer}\n:tab-width: 4\n```\n"
        )
    return "\n".join(parts) or "No recipe files yet.\n"


_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")


def _recipes_readme(app: Sphinx) -> str:
    """docs/recipes/README.md, its links rewritten for a page in docs/.

    A link to a page or file under docs/ is made relative to docs/ (MyST then links the
    page, or offers the file for download); a link to a path outside docs/ (the tests)
    becomes the path as code, relative to the repository root.
    """
    readme = RECIPES / "README.md"
    app.env.note_dependency(str(readme))

    def relink(match: re.Match[str]) -> str:
        target = match["target"]
        if re.match(r"^([a-z]+:|#)", target):
            return match[0]
        path, _, anchor = target.partition("#")
        resolved = (RECIPES / path).resolve()
        if resolved.is_relative_to(DOCS) and resolved.exists():
            relative = resolved.relative_to(DOCS).as_posix()
            return f"[{match['text']}]({relative}{'#' + anchor if anchor else ''})"
        shown = resolved.relative_to(ROOT).as_posix() if resolved.is_relative_to(ROOT) else path
        return f"{match['text']} (`{shown}`)"

    return _LINK.sub(relink, readme.read_text(encoding="utf-8"))


_PRESET_MARK = re.compile(r"^% preset (?P<name>[a-z0-9-]+)\n", re.MULTILINE)


def _insert_generated(app: Sphinx, docname: str, source: list[str]) -> None:
    text = source[0].replace("% remote_identity exports\n", _exports_table())
    if "% recipes readme\n" in text:
        text = text.replace("% recipes readme\n", _recipes_readme(app))
    text = text.replace("% presets table\n", _presets_table())
    text = text.replace("% gate options table\n", _options_table())
    text = text.replace("% configuration reasons table\n", _configuration_reasons_table())
    text = text.replace("% recipe files\n", _recipe_files())
    source[0] = _PRESET_MARK.sub(lambda m: _preset_list(m["name"]), text)


def _resolve_reexport(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> Any:
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    name = target.removeprefix("remote_identity.")
    if name not in CANONICAL or target not in (name, f"remote_identity.{name}"):
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], CANONICAL[name], node, contnode
    )


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    """Every long option of ``parser`` and of its subcommands' parsers."""
    options: list[str] = []
    parsers = [parser]
    for each in parsers:  # grows with the subcommands' parsers
        for action in each._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
            options += [o for o in action.option_strings if o.startswith("--") and o != "--help"]
    return options


def _cli_options() -> list[str]:
    """Every long option of the ``remote-identity`` command, read from its parser."""
    return sorted(set(_long_options(cli._parser())))


def _manage_options() -> list[str]:
    """Every long option of ``manage.py remote_identity``'s subcommands (not Django's
    own options of every command), read from the command's parser."""
    import django
    from django.conf import settings

    if not settings.configured:
        apps = ["django.contrib.auth", "django.contrib.contenttypes", "remote_identity_django"]
        settings.configure(INSTALLED_APPS=apps)
        django.setup()
    from remote_identity_django.management.commands.remote_identity import Command

    parser = Command().create_parser("manage.py", "remote_identity")
    subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    parsers = [each for action in subcommands for each in action.choices.values()]
    return sorted({option for each in parsers for option in _long_options(each)})


def _setting_names() -> list[str]:
    """Every ``REMOTE_IDENTITY_*`` setting, from the module that reads them."""
    names = set(getattr(django_conf, "NAMES", ()))
    names |= {n for n, v in vars(django_conf.Settings).items() if isinstance(v, property)}
    return sorted(f"{django_conf.PREFIX}{name}" for name in names)


#: page -> (what, the names the code defines, how the page must spell each one)
REFERENCE: dict[str, tuple[str, list[str], str]] = {
    "logging": ("reason code", sorted(remote_identity.REASONS), "`{}`"),
    "cli": ("option", sorted({*_cli_options(), *_manage_options()}), "`{}"),
    "django": ("setting", _setting_names(), "`{}`"),
}


def _check_coverage(app: Sphinx, docname: str, source: list[str]) -> None:
    """Warn (an error under -W) when the code has a name its reference page lacks: a
    reason code, a ``remote-identity`` option, a setting, a system check id, a preset."""
    text = source[0]
    if docname in REFERENCE:
        what, names, spelling = REFERENCE[docname]
        for name in names:
            if spelling.format(name) not in text:
                log.warning("%s.md does not document the %s %s", docname, what, name)
    if docname == "django":
        for check_id in CHECKS:
            if f"`remote_identity.{check_id}`" not in text:
                log.warning("django.md does not document the check id remote_identity.%s", check_id)
    if docname == "wsgi":  # the generated tables: every option and configuration reason
        for name in [*OPTIONS, *CONFIGURATION_REASONS]:
            if f"`{name}`" not in text:
                log.warning("wsgi.md does not document %r", name)
    if docname == "proxies/index":
        for page in PRESETS:  # one page per preset, named after it
            if not (DOCS / "proxies" / f"{page}.md").exists() or f"\n{page}\n" not in text:
                log.warning("the preset %r has no page in docs/proxies/", page)


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("source-read", _insert_generated)
    app.connect("source-read", _check_coverage)
    app.connect("missing-reference", _resolve_reexport)
    return {"parallel_read_safe": True}
