"""The reverse proxies, each started from its recipe in ``docs/recipes/``.

``start_proxy("nginx" | "caddy" | "haproxy" | "nginx-signed", ports, directory, log_dir)``
renders the recipe (canonical ports -> this stack's ports, see ``recipes``) into
``directory``, starts the proxy in the foreground as a ``ManagedProcess`` and waits until
it listens.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from . import recipes
from .net import LISTEN
from .processes import ManagedProcess
from .recipes import Ports

PROXIES = ("nginx", "caddy", "haproxy")
#: The recipes that forward a signed assertion (docs/recipes/nginx-signed.conf).
SIGNED_PROXIES = ("nginx-signed",)

# Debian package -> binary; scripts/install-system-deps installs them.
BINARIES = {"nginx": "/usr/sbin/nginx", "caddy": "/usr/bin/caddy", "haproxy": "/usr/sbin/haproxy"}

#: The peer address each proxy's connections to the application come from.
#: Caddy 2.6 cannot bind a source address: it connects from 127.0.0.1.
SOURCE_ADDRESS = {
    "nginx": "127.0.0.2",
    "caddy": "127.0.0.1",
    "haproxy": "127.0.0.2",
    "nginx-signed": "127.0.0.2",
}


def binary(proxy: str) -> str:
    """The proxy's executable; ``FileNotFoundError`` naming the install script if absent."""
    proxy = proxy.removesuffix("-signed")
    path = BINARIES[proxy]
    if not os.access(path, os.X_OK):
        found = shutil.which(proxy)
        if found is None:
            raise FileNotFoundError(f"{path} not found: run scripts/install-system-deps")
        return found
    return path


def nginx_command(config: Path, directory: Path) -> list[str]:
    """nginx in the foreground with ``directory`` as its prefix (relative paths)."""
    # As root, nginx's workers would run as "nobody", which cannot enter the test's
    # private temporary directory; "-g" sets it for the test run, the recipe is unchanged.
    user = " user root;" if os.geteuid() == 0 else ""
    return [
        binary("nginx"), "-p", f"{directory}/", "-c", str(config), "-e", "error.log",
        "-g", f"daemon off;{user}",
    ]  # fmt: skip


def _nginx(ports: Ports, directory: Path) -> list[str]:
    return nginx_command(recipes.write("nginx.conf", ports, directory), directory)


def _nginx_signed(ports: Ports, directory: Path) -> list[str]:
    return nginx_command(recipes.write("nginx-signed.conf", ports, directory), directory)


def _caddy(ports: Ports, directory: Path) -> list[str]:
    config = recipes.write("Caddyfile", ports, directory)
    return [binary("caddy"), "run", "--adapter", "caddyfile", "--config", str(config)]


def _haproxy(ports: Ports, directory: Path) -> list[str]:
    lua = recipes.write(
        "haproxy-auth-request.lua", ports, directory, expect=(recipes.AUTH_SERVICE,)
    )
    config = recipes.write(
        "haproxy.cfg",
        ports,
        directory,
        expect=(recipes.PROXY_LISTEN, recipes.APPLICATION),
        extra={"docs/recipes/haproxy-auth-request.lua": str(lua)},
    )
    return [binary("haproxy"), "-f", str(config), "-db"]


_COMMANDS: dict[str, Callable[[Ports, Path], list[str]]] = {
    "nginx": _nginx,
    "nginx-signed": _nginx_signed,
    "caddy": _caddy,
    "haproxy": _haproxy,
}


def proxy_environment(directory: Path) -> dict[str, str]:
    """Caddy keeps state under HOME and the XDG directories: keep them in ``directory``."""
    return {
        **os.environ,
        "HOME": str(directory),
        "XDG_CONFIG_HOME": str(directory / "config"),
        "XDG_DATA_HOME": str(directory / "data"),
    }


def start_proxy(
    proxy: str,
    ports: Ports,
    directory: Path,
    log_dir: Path,
    *,
    name: str | None = None,
    timeout: float = 30.0,
) -> ManagedProcess:
    """Start ``proxy`` from its recipe on 127.0.0.1:``ports.proxy``; return once it listens."""
    directory.mkdir(parents=True, exist_ok=True)
    argv = _COMMANDS[proxy](ports, directory)
    name = name or f"{proxy}-{ports.proxy}"
    process = ManagedProcess(
        name,
        argv,
        log_path=log_dir / f"{name}.log",
        cwd=directory,
        env=proxy_environment(directory),
    )
    try:
        process.wait_listening(LISTEN, ports.proxy, timeout=timeout)
    except BaseException:
        process.stop()
        raise
    return process
