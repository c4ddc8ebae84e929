"""``ManagedProcess``: a subprocess with its own log file, a bounded start and a sure stop.

Each process runs in a new session (process group), so stopping it also stops the
workers it forked (gunicorn, nginx, granian). Stopping sends SIGTERM to that group, waits
a bounded time, then sends SIGKILL: nothing outlives the test session, even on failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .net import is_listening, wait_until

# A Python traceback, Django's error log line, an integrity error, or an access log
# line with a 5xx status right after the quoted request line.
_ERROR_LINE = re.compile(
    r'Traceback \(most recent call last\)|Internal Server Error|IntegrityError|" 5\d\d '
)


class ProcessError(RuntimeError):
    """A process exited early or did not become ready; the message quotes its log."""


class ManagedProcess:
    """One started subprocess; ``stop`` ends it and every process of its group."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                start_new_session=True,
            )

    def __repr__(self) -> str:
        return f"<ManagedProcess {self.name} pid={self.popen.pid}>"

    @property
    def running(self) -> bool:
        """Whether the process has not exited yet."""
        return self.popen.poll() is None

    def log(self) -> str:
        """Everything the process wrote so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the log, for error messages."""
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_listening(self, host: str, port: int, *, timeout: float = 30.0) -> None:
        """Wait until ``host:port`` accepts connections; fail fast if the process exits."""

        def ready() -> bool:
            if not self.running:
                raise ProcessError(
                    f"{self.name} exited with {self.popen.returncode} before listening on "
                    f"{host}:{port}; log:\n{self.tail()}"
                )
            return is_listening(host, port)

        try:
            wait_until(ready, timeout=timeout, what=f"{self.name} on {host}:{port}")
        except TimeoutError as exc:
            raise ProcessError(f"{exc}; log:\n{self.tail()}") from None

    def error_lines(self) -> list[str]:
        """Log lines that show a traceback, a server error or an integrity error."""
        return [line for line in self.log().splitlines() if _ERROR_LINE.search(line)]

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL it after ``timeout`` s; reap the process."""
        if self.running:
            self._signal_group(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.running and time.monotonic() < deadline:
                time.sleep(0.05)
        # Workers may outlive a master that exited: SIGKILL whatever is left of the group.
        self._signal_group(signal.SIGKILL)
        self.popen.wait(timeout=timeout)

    def _signal_group(self, signum: int) -> None:
        # The group is gone (or already reaped): nothing left to signal.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)


def run_checked(
    argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None
) -> str:
    """Run a short command to completion (bounded); its output, or ``ProcessError``."""
    try:
        result = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=dict(env) if env is not None else None,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProcessError(f"{argv[0]} took longer than {timeout} s") from exc
    if result.returncode != 0:
        raise ProcessError(
            f"{' '.join(argv)} exited with {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    output: str = result.stdout
    return output
