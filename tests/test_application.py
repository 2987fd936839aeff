"""The app's Flask class: hooks and views are handed back as they are when they are plain
functions or methods, and a coroutine function never is (Flask wraps it, or refuses it without
its async extra)."""

from __future__ import annotations

import functools

import pytest


def plain(x):
    return x


async def coroutine(x):
    return x


class Holder:
    def method(self):
        return 1

    async def async_method(self):
        return 1


def test_plain_functions_and_methods_come_back_as_they_are(app):
    bound = Holder().method
    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(bound) is bound
    partial = functools.partial(plain, 1)
    assert app.ensure_sync(partial) is partial  # Flask's own way: not a coroutine either


@pytest.mark.parametrize("func", [coroutine, Holder().async_method])
def test_a_coroutine_function_is_never_called_as_if_it_were_plain(app, func):
    try:
        wrapped = app.ensure_sync(func)
    except RuntimeError:  # Flask without its async extra refuses it
        return
    assert wrapped is not func
