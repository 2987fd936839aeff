"""Where the marks of our view decorators (`@allow`, `@maintenance_exempt`, `@rate_limited`,
`@signed_raw_body`, ...) are found: on the function that answers the request's method.

It stands alone, below the hooks that read the marks (access, input, limits, maintenance,
OpenAPI), so that none of them imports another to find a view's handler.
"""

from __future__ import annotations

from collections.abc import Callable


def view_handler(view_function: Callable, method: str) -> Callable | None:
    """The function that answers `method`: the MethodView's method, or the view itself."""
    view_class = getattr(view_function, "view_class", None)
    if view_class is None:
        return view_function
    handler = getattr(view_class, method.lower(), None)
    if handler is None and method == "HEAD":
        handler = getattr(view_class, "get", None)
    return handler
