"""Small memos for work a test suite repeats on every request.

A suite sends the same few URLs and session headers again and again, and
an app answers with the same few headers: parsing and checking them once
is enough. A :class:`Memo` is a dict that forgets everything once it holds
:data:`SIZE` entries, so that a client sending a different URL with every
request (a soak test, say) keeps flat memory, at the cost of a miss.
Entries are only added after the work succeeded: what raised is never
remembered. Plain dict operations, safe under the GIL from any thread.
"""

from typing import Dict, TypeVar

K = TypeVar("K")
V = TypeVar("V")

#: Entries a memo holds before it is cleared.
SIZE = 32


class Memo(Dict[K, V]):
    """A dict of at most :data:`SIZE` entries; :meth:`remember` adds one."""

    def remember(self, key: K, value: V) -> V:
        """Store ``value`` under ``key`` (clearing the memo first if it is
        full) and return it."""
        if len(self) >= SIZE:
            self.clear()
        self[key] = value
        return value
