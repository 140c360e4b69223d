"""A griffe extension for the API reference: the reST bits of the docstrings, in Markdown.

The package's docstrings are written in the voice of requests' (Sphinx field
lists, which mkdocstrings reads with ``docstring_style: sphinx``) and use two
more reST constructs that mkdocstrings would print as they are:

* cross-reference roles such as ``:meth:`close``` or ``:class:`~a.B```,
  shown here as inline code (``close``, ``B``);
* a paragraph ending in ``::`` before an indented literal block, which
  Markdown already reads as a code block: the ``::`` becomes ``:``.

Loaded by ``mkdocs.yml`` (``plugins.mkdocstrings...extensions``); not part of
the package.
"""

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:meth|func|class|attr|data|exc|mod|obj|const):`(~?)([^`]+)`")
_LITERAL_BLOCK = re.compile(r"(\S)::[ \t]*$", re.MULTILINE)


def _role(match: "re.Match[str]") -> str:
    short, target = match.group(1), match.group(2)
    if short:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def rst_to_markdown(text: str) -> str:
    text = _ROLE.sub(_role, text)
    return _LITERAL_BLOCK.sub(r"\1:", text)


class ReSTBits(griffe.Extension):
    """Rewrites each docstring as it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)
