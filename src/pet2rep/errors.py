"""Exceptions raised by pet2rep.

Every error derives from :class:`Pet2RepError` and from the builtin a caller would expect, so
``except ValueError`` and ``except Pet2RepError`` both work. Messages name the case or argument,
what was expected and what came in.
"""

from __future__ import annotations


class Pet2RepError(Exception):
    """Base class of every error pet2rep raises on purpose."""


class MissingFileError(Pet2RepError, FileNotFoundError):
    """A file the input contract requires is not there."""


class VolumeError(Pet2RepError, ValueError):
    """A volume cannot be used: unreadable, truncated, wrong dimensionality, non-finite voxels."""


class GeometryError(Pet2RepError, ValueError):
    """Volumes whose world-space geometry cannot be reconciled (e.g. PET and CT do not overlap)."""


class MetadataError(Pet2RepError, ValueError):
    """Missing or implausible acquisition metadata (weight, dose, times)."""


class LayoutError(Pet2RepError, ValueError):
    """A folder that matches none of the supported case layouts."""


class InputError(Pet2RepError, ValueError):
    """Bad arguments or records at a public boundary (metrics inputs, JSONL files, CLI options)."""


class SubmissionError(Pet2RepError, ValueError):
    """A leaderboard submission that cannot be accepted."""


class HubError(Pet2RepError, ConnectionError):
    """The Hugging Face Hub cannot be used: offline mode, no token, unreachable, or it refused the request."""


class EndpointError(Pet2RepError, ConnectionError):
    """An OpenAI-compatible endpoint cannot be used: unreachable, refused the key or the model, rejects images."""


class MissingDependencyError(Pet2RepError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""


def require(module: str, extra: str):
    """Import an optional dependency or raise :class:`MissingDependencyError` naming the extra.

    Args:
        module: importable module name, e.g. ``"datasets"``.
        extra: the pet2rep extra that installs it, e.g. ``"hf"``.

    Returns:
        The imported module.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependencyError(
            f"{module!r} is required for this feature; install it with: pip install 'pet2rep[{extra}]'"
        ) from e
