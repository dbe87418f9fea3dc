"""Services: one module per API area, thin: build the request, parse the model."""


def bad_path_id(value: str) -> bool:
    """Whether an id placed in a URL path would change the request: a ``/``, ``?`` or ``#``
    (another path, a query, a fragment) or a dot segment (``.``/``..``: the parent path)."""
    return any(c in value for c in "/?#") or value.strip() in (".", "..")
