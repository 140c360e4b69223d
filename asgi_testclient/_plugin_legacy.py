"""The pytest plugin's legacy swap: install it when asked, and undo it at
the end of the run only if this run's plugin installed it (another
installer, a conftest say, keeps its own). Private to ``pytest_plugin``.
"""

from __future__ import annotations  # pytest 6 has no pytest.Config and friends

from typing import Any

import pytest

#: The ini key (and ``dest`` of ``--asgi-testclient-legacy``).
LEGACY_OPTION = "asgi_testclient_legacy"

#: Where a run's config keeps whether its plugin installed the legacy swap
#: (and so undoes it): the stash since pytest 7, an attribute before.
_INSTALLED_LEGACY = pytest.StashKey[bool]() if hasattr(pytest, "StashKey") else None


def install(config: pytest.Config, option_given: Any) -> None:
    """Install the swap if the option or the ini key asks for it."""
    if not (option_given or config.getini(LEGACY_OPTION)):
        return
    from asgi_testclient import legacy

    if not legacy.is_installed():
        legacy.install()
        _set_installed(config, True)


def uninstall(config: pytest.Config) -> None:
    """Undo the swap if this run's plugin installed it."""
    if _installed(config):
        from asgi_testclient import legacy

        legacy.uninstall()
        _set_installed(config, False)


def _set_installed(config: pytest.Config, value: bool) -> None:
    if _INSTALLED_LEGACY is None:  # pragma: no cover - pytest 6
        config._asgi_testclient_installed_legacy = value  # type: ignore[attr-defined]
    else:
        config.stash[_INSTALLED_LEGACY] = value


def _installed(config: pytest.Config) -> bool:
    if _INSTALLED_LEGACY is None:  # pragma: no cover - pytest 6
        return bool(getattr(config, "_asgi_testclient_installed_legacy", False))
    return config.stash.get(_INSTALLED_LEGACY, False)
