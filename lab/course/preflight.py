"""Pre-flight: is this machine ready for the workshop? One line per check, ✓ or ✗ with the fix.

    scripts/preflight            # before the session (under a minute once set up)
    scripts/preflight --port 8890

Checks what the lessons rely on, for real: the Python, the packages, the
legacy server (installed, starts, answers), the port JupyterLab will use, a
kernel start, lesson 8's kernel and (on demand, so a "–" is not a failure) its
server v0.9.8, and a fan-out run whose wall must be well under the sum of the
channels. Lesson 0 runs the same checks in its kernel (``preflight()``), less the
port and the kernel start: JupyterLab and that kernel are already up.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator

from lab.course.readiness import (
    Check,
    check_fan_out,
    check_kernel,
    check_packages,
    check_port,
    check_python,
    check_sdk08_kernel,
    check_server09,
    check_server_answers,
    check_server_installed,
)

DEFAULT_PORT = 8888  # JupyterLab's, and so scripts/lessons'


def checks(*, port: int | None = DEFAULT_PORT, kernel: bool = True) -> Iterator[Check]:
    """``port=None`` and ``kernel=False`` inside a kernel: JupyterLab is evidently up."""
    steps: list[Callable[[], Check]] = [
        check_python,
        check_packages,
        check_server_installed,
        check_server_answers,
    ]
    if port is not None:
        steps.append(lambda: check_port(port))
    if kernel:
        steps.append(check_kernel)
    steps += [check_sdk08_kernel, check_server09, check_fan_out]
    for step in steps:
        try:
            yield step()
        except Exception as e:  # noqa: BLE001 - one broken check must not hide the others
            yield Check(
                getattr(step, "__name__", "check"),
                False,
                f"{type(e).__name__}: {e}"[:200],
                "see the message",
            )


def print_checks(*, port: int | None = None, kernel: bool = False) -> bool:
    """Print every check as it completes; True when all pass."""
    ok = True
    for check in checks(port=port, kernel=kernel):
        print(check, flush=True)
        ok &= check.ready
    return ok


def preflight(*, port: int | None = None, kernel: bool = False) -> None:
    """Print every check as it completes, for a notebook cell (it echoes nothing more).

    Lesson 0 calls it in its kernel as it is: no port or kernel check, since
    JupyterLab and this kernel are already running.
    """
    print_checks(port=port, kernel=kernel)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="the port JupyterLab will use (default 8888)"
    )
    args = parser.parse_args(argv)
    began = time.monotonic()
    ok = print_checks(port=args.port, kernel=True)
    print(f"{'ready' if ok else 'NOT ready'} ({time.monotonic() - began:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
