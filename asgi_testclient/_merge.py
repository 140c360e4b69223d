"""Merging a request's settings with its session's, as requests does it.

requests' own ``merge_setting`` asks ``isinstance`` of runtime-checkable
protocols, which Python 3.11 and older answer slowly (tens of microseconds
a request, more than running a small app). These give the same results with
plain ``Mapping`` checks: a request's value wins, mappings are merged with the
request's keys on top, and keys set to ``None`` are dropped.
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
    merged = dict_class(session_value.items())
    merged.update(request_value.items())
    for key in [key for key, value in merged.items() if value is None]:
        del merged[key]
    return merged


def merge_hooks(request_hooks: Optional[Mapping[str, Any]], session_hooks: Optional[Mapping[str, Any]]) -> Any:
    # An empty list of response hooks on one side must not hide the other's.
    if session_hooks is None or session_hooks.get("response") == []:
        return request_hooks
    if request_hooks is None or request_hooks.get("response") == []:
        return session_hooks
    return merge_setting(request_hooks, session_hooks)
