"""pet2rep.checks: one declarative checker for integers and options."""

import doctest

import pytest

from pet2rep import checks
from pet2rep.checks import Integer, Options, check, describe
from pet2rep.errors import InputError


def test_doctests_run():
    assert doctest.testmod(checks).failed == 0


@pytest.mark.parametrize(
    ("value", "allowed", "ok"),
    [
        (0, (Integer(),), True),
        (True, (Integer(),), False),  # a bool is not a count
        (1.0, (Integer(),), False),
        (1, (Integer(low=2),), False),
        (5, (Integer(low=2, high=5),), True),
        (6, (Integer(low=2, high=5),), False),
        (0, (Options(0), Integer(low=2)), True),
        (False, (Options(0), Integer(low=2)), False),  # False == 0, but not an option of type int
        ("mip", (Options("fused", "mip"),), True),
        ("MIP", (Options("fused", "mip"),), False),
    ],
)
def test_check_accepts_exactly_what_is_described(value, allowed, ok):
    if ok:
        assert check("x", value, *allowed) is value
    else:
        with pytest.raises(InputError, match=rf"^x must be {describe(*allowed)}; got {value!r}$"):
            check("x", value, *allowed)


def test_descriptions():
    assert describe(Integer()) == "an integer"
    assert describe(Integer(low=1)) == "an integer >= 1"
    assert describe(Integer(high=9)) == "an integer <= 9"
    assert describe(Integer(low=1, high=65535)) == "an integer from 1 to 65535"
    assert describe(Options("zh", "en")) == "one of 'zh', 'en'"
    assert describe(Options(0), Integer(low=2)) == "0 or an integer >= 2"
