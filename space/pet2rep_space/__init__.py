"""The PET2Rep leaderboard Space's pure layers, kept apart from the Gradio layout in ``app.py``.

- :mod:`.config`: every setting, read from the environment in one place.
- :mod:`.leaderboard`: published rows + submission records -> pandas DataFrames.
- :mod:`.references`: the private reference reports (local build, JSONL or a private dataset repo).
- :mod:`.validation`: checks on a submission's fields and file.
- :mod:`.quota`: per-user limits and duplicate detection, counted from the stored records.
- :mod:`.store`: one atomically written JSON record per accepted submission, optionally mirrored.
- :mod:`.about`: the About tab's text.
"""
