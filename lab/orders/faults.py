"""What the harness injects into a channel: failures, latency, and outages that last.

Lessons 3–6 inject *transient* faults: the first N attempts fail, or every attempt
is slower. Lesson 7 needs the fault every production fan-out meets next: a provider
that stays down (every attempt fails before it is called) or hangs (it takes the
request and never answers). Either lasts until the provider is back
(``Lab.provider_back``), for every order at once — an outage is the provider's, not
an order's. A hung call is given up after ``HANG_LIMIT_S``, as an HTTP client's
read timeout would, so a forgotten outage cannot hold a worker thread for ever.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.errors import Refused

HANG_LIMIT_S = 60.0


@dataclass(frozen=True)
class Fault:
    """What to inject into one channel of one order.

    ``fail_first``: the first N attempts raise before the provider is called
    (nothing is sent), as an unavailable provider would. ``extra_ms``: added
    latency on every attempt. ``down``: every attempt fails before the provider
    is called, until the provider is back. ``hang``: the provider takes the
    request and does not answer until it is back (then it delivers, late).
    """

    fail_first: int = 0
    extra_ms: int = 0
    down: bool = False
    hang: bool = False

    def __post_init__(self) -> None:
        if (
            not isinstance(self.fail_first, int)
            or isinstance(self.fail_first, bool)
            or not 0 <= self.fail_first <= 3
        ):
            msg = (
                "fail_first must be a whole number from 0 to 3 (each retry waits longer: 2 s, "
                f"4 s, 8 s), got {self.fail_first!r}"
            )
            raise Refused(msg)
        if (
            not isinstance(self.extra_ms, int)
            or isinstance(self.extra_ms, bool)
            or not 0 <= self.extra_ms <= 5000
        ):
            msg = f"extra_ms must be a whole number of milliseconds from 0 to 5000, got {self.extra_ms!r}"
            raise Refused(msg)
        for name in ("down", "hang"):
            if not isinstance(getattr(self, name), bool):
                msg = f"{name} must be True or False, got {getattr(self, name)!r}"
                raise Refused(msg)
        if self.down and self.hang:
            msg = "a provider is either down (fails at once) or hangs (never answers), not both"
            raise Refused(msg)
        if self.outage and self.fail_first:
            msg = "an outage (down or hang) lasts until the provider is back: leave fail_first at 0"
            raise Refused(msg)

    @property
    def outage(self) -> bool:
        """Down or hanging: lasts until ``Lab.provider_back``."""
        return self.down or self.hang
