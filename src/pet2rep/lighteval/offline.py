"""Make lighteval 0.13.0's task-registry import work offline (see docs/lighteval.md).

Importing the registry downloads ``tinyBenchmarks.pkl`` (fails offline) and calls ``nltk.download("punkt")`` (fails
or hangs offline); ``pet2rep-lighteval`` applies both fixes below before it starts lighteval.
"""

from __future__ import annotations

import os

TINY_BENCHMARKS_URL = (
    "https://raw.githubusercontent.com/felipemaiapolo/tinyBenchmarks/main/tinyBenchmarks/tinyBenchmarks.pkl"
)


def skip_tiny_benchmarks_download() -> None:
    """Make lighteval's registry import work offline.

    Importing lighteval's task registry instantiates the tinyBenchmarks metric, which downloads
    ``tinyBenchmarks.pkl`` from GitHub (a ConnectionError offline) into its package folder; lighteval 0.13.0 then
    reads the file from another, working-directory relative path, so the download serves nothing. This answers
    that one URL with a 404 (the metric then skips writing); every other request goes through.
    """
    import requests

    if getattr(requests.get, "_pet2rep_patched", False):
        return
    original = requests.get

    def get(url, *args, **kwargs):
        if url == TINY_BENCHMARKS_URL:
            response = requests.Response()
            response.status_code = 404
            response.url = url
            return response
        return original(url, *args, **kwargs)

    get._pet2rep_patched = True
    requests.get = get


def skip_nltk_downloads_offline() -> None:
    """With ``HF_HUB_OFFLINE`` set, make ``nltk.download`` a no-op that returns False (nothing is downloaded).

    Importing lighteval's task registry calls ``nltk.download("punkt")`` and ``("punkt_tab")`` (its ifeval tasks).
    Offline that prints ``[nltk_data] Error loading punkt`` at best and, where the network drops packets instead of
    refusing them, waits on connections with no timeout. The pet2rep tasks use no nltk data.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").upper() not in ("1", "ON", "YES", "TRUE"):
        return
    import nltk

    if getattr(nltk.download, "_pet2rep_patched", False):
        return

    def download(*args, **kwargs) -> bool:
        return False

    download._pet2rep_patched = True
    nltk.download = download
