"""Image conversion outside Django: format detection, safe reading, metadata,
de-identification, rendering and comparison of medical images.

Nothing in this package imports Django (an import-linter contract checks it):
it takes paths and arrays and returns dataclasses, so it can be tested and
benchmarked on its own and reused by workers. `apps.imaging.services` is the
Django side that stores what this package has validated.
"""
