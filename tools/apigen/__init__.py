"""The generator of ``allegro_async/api/``: typed operations, models, the operation index, the
scope table and the API reference pages, all read from Allegro's OpenAPI spec.

Run ``python -m tools.apigen`` (or ``nox -s generate``); ``--check`` verifies the checked-in
output is what the spec gives.
"""
