# Copyright 2026 The pet2rep developers. Licensed under the Apache License, Version 2.0.
"""PET2Rep: whole-body FDG PET/CT report generation, as a ``datasets`` builder (the Hub layout's builder file).

A thin re-export of :mod:`pet2rep.dataset.builder`, where the builder lives: configs ``fused`` (default),
``separate``, ``mip``, ``volumes``; splits ``test``, or those of ``splits.json`` at the data root. ``datasets`` 5 no
longer runs loading scripts, so the builder is used directly::

    from pet2rep.dataset.script import load_builder_class  # this file (or the copy inside a wheel)

    Pet2Rep = load_builder_class()
    builder = Pet2Rep(config_name="fused", data_dir="path/to/cases", cache_dir="/tmp/pet2rep-cache")
    builder.download_and_prepare(num_proc=2)
    ds = builder.as_dataset(split="test")
"""

from pet2rep.dataset.builder import Pet2Rep, Pet2RepConfig

__all__ = ["Pet2Rep", "Pet2RepConfig"]
