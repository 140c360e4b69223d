"""Merging a request's settings with its session's, as requests does it.

requests' own ``merge_setting`` asks ``isinstance`` of runtime-checkable
protocols, which Python 3.11 and older answer slowly (tens of microseconds
a request, more than running a small app). These give the same results with
plain ``Mapping`` checks: a request's value wins, mappings are merged with the
request's keys on top, and keys set to ``None`` are dropped. When one side
is an empty mapping the other is returned as it is, not copied: the client
only reads merged settings, or copies them (as preparing headers does).
"""

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Optional


def merge_setting(request_value: Any, session_value: Any, dict_class: Any = OrderedDict) -> Any:
    if session_value is None:
        return request_value
    if request_value is None:
        return session_value
    if not (isinstance(request_value, Mapping) and isinstance(session_value, Mapping)):
        return request_value
    # One side empty (a request without headers of its own, a session
    # without parameters): the other side is the result, unless it has keys
    # to drop. Not copied: every caller copies it or only reads it.
    if not request_value and not _has_none(session_value):
        return session_value
    if not session_value and not _has_none(request_value):
        return request_value
    merged = dict_class(session_value.items())
    merged.update(request_value.items())
    for key in [key for key, value in merged.items() if value is None]:
        del merged[key]
    return merged


def _has_none(mapping: Mapping[Any, Any]) -> bool:
    return any(value is None for value in mapping.values())


def merge_hooks(request_hooks: Optional[Mapping[str, Any]], session_hooks: Optional[Mapping[str, Any]]) -> Any:
    # An empty list of response hooks on one side must not hide the other's.
    if session_hooks is None or session_hooks.get("response") == []:
        return request_hooks
    if request_hooks is None or request_hooks.get("response") == []:
        return session_hooks
    return merge_setting(request_hooks, session_hooks)
