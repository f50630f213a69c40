"""Fixtures for the local provider's tests: a project per test, its own
state directory, a free port, and a finalizer that undeploys the stage, kills
anything left over and fails the test when a sanitizer report appeared."""
import pytest

from local_support import Stage


@pytest.fixture
def make_stage(hoist, tmp_path):
    made = []

    def _make(**kw):
        s = Stage(hoist, tmp_path / ("s%d" % len(made)), **kw) if made else \
            Stage(hoist, tmp_path, **kw)
        made.append(s)
        return s

    yield _make
    reports = []
    for s in made:
        s.cleanup()
        reports += s.sanitizer_reports()
    assert not reports, "sanitizer reports:\n" + "\n".join(reports)
