import pytest

from pet2rep.errors import (
    MetadataError,
    MissingDependencyError,
    MissingFileError,
    Pet2RepError,
    VolumeError,
    require,
)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [(MissingFileError, FileNotFoundError), (VolumeError, ValueError), (MetadataError, ValueError)],
)
def test_errors_derive_from_builtin(cls, builtin):
    assert issubclass(cls, Pet2RepError)
    assert issubclass(cls, builtin)


def test_require_names_the_extra():
    with pytest.raises(MissingDependencyError, match=r"pip install 'pet2rep\[hf\]'"):
        require("a_module_that_does_not_exist_xyz", "hf")
    assert require("json", "core").dumps([1]) == "[1]"
