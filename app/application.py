"""The Flask class the factory builds: Flask, with a cheaper `ensure_sync`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import FunctionType
from typing import Any

from flask import Flask


class BaladiyaFlask(Flask):
    """Flask asks `ensure_sync` of every hook and view on every request (a dozen times a
    request here), and answers with `inspect.iscoroutinefunction`, which unwraps and inspects
    each time. For a plain function or a method of one, whether it is a coroutine function is
    a flag on its code object: read here directly; anything else goes Flask's way."""

    def ensure_sync(self, func: Callable) -> Callable:
        target: Any = getattr(func, "__func__", func)
        if (
            type(target) is FunctionType
            and not target.__code__.co_flags & inspect.CO_COROUTINE
            and getattr(target, "_is_coroutine_marker", None) is None  # 3.12's marker
        ):
            return func
        return super().ensure_sync(func)
