"""The image side of pet2rep: from PET/CT volumes on disk to coronal key-slice pictures.

- ``cases``: finding cases on disk (generic, autoPET and nnU-Net-style layouts) -> :class:`Case` records;
- ``io``: the only module that reads and writes NIfTI;
- ``suv``: body-weight SUV from acquisition metadata;
- ``geometry``: canonical orientation, world <-> voxel, CT sampled on the PET grid;
- ``render_options``: :class:`RenderOptions` and its vocabulary (numpy-free, for the CLI's parsers);
- ``render``: windows, colour maps, fusion, MIP, key-slice choice -> PIL images.

This package never imports the text side (``pet2rep.text``, ``pet2rep.metrics``).
"""
