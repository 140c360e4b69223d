"""The pytest plugin's traffic report: its settings, the recording around a
test, and the report section of a failed test. Private to ``pytest_plugin``,
whose hook wrappers delegate here (pytest finds hooks only in a registered
plugin module, so the hooks themselves stay there).
"""

from __future__ import annotations  # pytest 6 has no pytest.Config and friends

import sys
from typing import Any, Iterator, Tuple

import pytest

#: The ini keys (and ``dest`` of ``--asgi-traffic`` and ``--asgi-traffic-show-secrets``).
TRAFFIC_OPTION = "asgi_traffic"
SECRETS_OPTION = "asgi_traffic_show_secrets"


def settings(config: pytest.Config) -> Tuple[int, bool]:
    """``(exchanges per client, show secrets)``; ``0`` exchanges: no report."""
    option = config.getoption(TRAFFIC_OPTION)
    where = "--asgi-traffic" if option is not None else "ini option asgi_traffic"
    value = option if option is not None else config.getini(TRAFFIC_OPTION)
    try:
        limit = int(str(value).strip())
    except ValueError:
        limit = -1
    if limit < 0:
        raise pytest.UsageError(f"{where}: expected a number of exchanges, 0 or more, not {value!r}")
    secrets = config.getoption(SECRETS_OPTION) or config.getini(SECRETS_OPTION)
    return limit, bool(secrets)


def record(item: pytest.Item) -> Iterator[None]:
    """The body of the plugin's ``pytest_runtest_protocol`` wrapper: record
    the clients' traffic around one test's setup, call and teardown."""
    limit, secrets = settings(item.config)
    if not limit:
        yield
        return
    from asgi_testclient import _traffic

    previous = _traffic.start(limit, secrets)
    try:
        yield
    finally:
        _traffic.stop(previous)


def add_section(item: pytest.Item, report: Any) -> None:
    """Add the traffic section to ``report`` if its phase failed."""
    if not report.failed or not settings(item.config)[0]:
        return
    traffic = sys.modules.get("asgi_testclient._traffic")
    recording = getattr(traffic, "current", None)
    if recording is None:
        return
    text = recording.report()
    if text:
        report.sections.append((f"Captured asgi traffic {report.when}", text))
