"""Grid files of the digits example: `dora grid NAME` runs `digits/grids/NAME.py`.

Files whose name starts with `_` hold helpers (the Explorer class) and are not grids.
"""
