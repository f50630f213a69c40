"""Fixtures for the handler tests (templates/python run in this interpreter).

load_handler(**settings) writes a hoist_settings.py for one configuration and
imports a fresh hoist_handler from templates/python, with the test apps in
tests/handler/apps importable; everything is undone after the test.
"""
import os
import sys

import pytest

from handler_support import APPS, DEFAULTS, TEMPLATES, settings_source


def _purge():
    for name in list(sys.modules):
        if name.startswith("hoist_"):
            del sys.modules[name]


@pytest.fixture
def load_handler(tmp_path):
    saved_env, saved_path = dict(os.environ), list(sys.path)
    count = [0]

    def _load(**overrides):
        count[0] += 1
        unknown = set(overrides) - set(DEFAULTS)
        assert not unknown, unknown
        values = dict(DEFAULTS, **overrides)
        where = tmp_path / ("settings%d" % count[0])
        where.mkdir()
        (where / "hoist_settings.py").write_text(settings_source(values))
        _purge()
        sys.path[:] = [str(TEMPLATES), str(where), str(APPS)] + saved_path
        import hoist_handler
        return hoist_handler

    yield _load
    _purge()
    sys.path[:] = saved_path
    os.environ.clear()
    os.environ.update(saved_env)


