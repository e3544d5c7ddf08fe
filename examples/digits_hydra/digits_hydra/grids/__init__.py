"""Grid files of the digits_hydra example: `dora grid NAME` runs `grids/NAME.py`.

Files whose name starts with `_` hold helpers (the Explorer class) and are not grids.
"""
