"""Declarative argument checks: say what a value may be, get one message (scikit-learn's ``validate_params`` idea).

>>> check("seed", 3, Integer())
3
>>> check("bootstrap", 1, Options(0), Integer(low=2))
Traceback (most recent call last):
...
pet2rep.errors.InputError: bootstrap must be 0 or an integer >= 2; got 1

``bool`` is never an integer here (``True`` is not a count), and an option matches only a value of its own type.
"""

from __future__ import annotations

from dataclasses import dataclass

from pet2rep.errors import InputError


@dataclass(frozen=True)
class Integer:
    """An ``int`` (not a ``bool``) within ``[low, high]``; ``None`` leaves that side open."""

    low: int | None = None
    high: int | None = None

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def __str__(self) -> str:
        if self.low is not None and self.high is not None:
            return f"an integer from {self.low} to {self.high}"
        if self.low is not None:
            return f"an integer >= {self.low}"
        if self.high is not None:
            return f"an integer <= {self.high}"
        return "an integer"


class Options:
    """One of a few values (equal and of the same type)."""

    def __init__(self, *values: object) -> None:
        self.values = values

    def accepts(self, value: object) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values)

    def __str__(self) -> str:
        if len(self.values) == 1:
            return repr(self.values[0])
        return "one of " + ", ".join(map(repr, self.values))


def satisfied(value: object, *allowed: Integer | Options) -> bool:
    """Whether any of ``allowed`` accepts ``value``."""
    return any(a.accepts(value) for a in allowed)


def describe(*allowed: Integer | Options) -> str:
    """What ``allowed`` accepts, in words (``"0 or an integer >= 2"``)."""
    return " or ".join(map(str, allowed))


def check(name: str, value, *allowed: Integer | Options):
    """Return ``value`` if one of ``allowed`` accepts it.

    Args:
        name: the value's name in the message (an argument, an option, a field).
        value: the value to check.
        allowed: the kinds of value accepted.

    Raises:
        InputError: ``"<name> must be <what is allowed>; got <value>"``.
    """
    if satisfied(value, *allowed):
        return value
    raise InputError(f"{name} must be {describe(*allowed)}; got {value!r}")
