"""``files=`` bodies that read their files as they are sent.

requests builds a multipart body by reading every file whole into memory.
:class:`MultipartBody` produces the same bytes (the parts are made by the
same urllib3 ``RequestField`` calls requests makes), but a part whose data is
a seekable file is read in chunks while the app receives it, so an upload of
any size needs bounded memory. Its length is known in advance, so the request
carries a ``Content-Length`` as it would with requests, and it can be rewound
(``seek(0)``) for a redirect that repeats the body, as requests does.
"""

import io
import os
from typing import Any, Iterator, List, Mapping, Optional, Tuple, Union

from urllib3.fields import RequestField
from urllib3.filepost import choose_boundary

# Bytes read from a file part at a time: as for a file body.
from ._body import CHUNK_SIZE

_Part = Tuple[bytes, Union[bytes, "_FilePart"]]


def key_value_pairs(value: Any) -> List[Tuple[Any, Any]]:
    """``(key, value)`` pairs of a mapping or an iterable of pairs."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, bool, int)):
        raise ValueError(f"cannot encode objects that are not 2-tuples: {value!r:.80}")
    return list(value.items() if hasattr(value, "items") else value)


def _file_name(fileobj: Any) -> Optional[str]:
    # The file's own name, as requests takes it: not for "<stdin>" and kin.
    name = getattr(fileobj, "name", None)
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    if isinstance(name, str) and name and not (name.startswith("<") and name.endswith(">")):
        return os.path.basename(name)
    return None


class _FilePart:
    """A seekable file sent from where it stood when the request was made."""

    def __init__(self, fileobj: Any) -> None:
        self.fileobj = fileobj
        self.start = fileobj.tell()
        self.size = fileobj.seek(0, os.SEEK_END) - self.start
        fileobj.seek(self.start)

    def chunks(self) -> Iterator[bytes]:
        self.fileobj.seek(self.start)
        left = self.size
        while left > 0:
            chunk = self.fileobj.read(min(CHUNK_SIZE, left))
            if not chunk:
                raise ValueError(f"file {self.fileobj!r} became shorter while it was being sent")
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            left -= len(chunk)
            yield chunk


def _seekable(fileobj: Any) -> bool:
    if isinstance(fileobj, io.TextIOBase):
        return False  # characters, not bytes: sizes can't be known by seeking
    try:
        return bool(fileobj.seekable()) if hasattr(fileobj, "seekable") else hasattr(fileobj, "seek")
    except (OSError, ValueError):
        return False


class MultipartBody:
    """A ``multipart/form-data`` body for ``data`` fields and ``files``, as
    requests would encode them."""

    def __init__(self, data: Any, files: Any) -> None:
        if isinstance(data, (str, bytes)):
            raise ValueError("Data must not be a string.")
        self.boundary = choose_boundary()
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self._parts: List[_Part] = []
        for field in self._data_fields(data):
            self._add(field, field.data)
        for name, value in key_value_pairs(files or {}):
            self._add_file(name, value)
        self._trailer = f"--{self.boundary}--\r\n".encode("latin-1")
        self._length = len(self._trailer) + sum(
            len(head) + (len(data) if isinstance(data, bytes) else data.size) + 2 for head, data in self._parts
        )

    @staticmethod
    def _data_fields(data: Any) -> Iterator[RequestField]:
        for name, value in key_value_pairs(data or {}):
            values = [value] if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") else value
            for item in values:
                if item is None:
                    continue
                if not isinstance(item, bytes):
                    item = str(item)
                field = RequestField.from_tuples(
                    name.decode("utf-8") if isinstance(name, bytes) else name,
                    item.encode("utf-8") if isinstance(item, str) else item,
                )
                yield field

    def _add_file(self, name: Any, value: Any) -> None:
        content_type: Optional[str] = None
        headers: Optional[Mapping[str, str]] = None
        if isinstance(value, (tuple, list)):
            if len(value) == 2:
                filename, fileobj = value
            elif len(value) == 3:
                filename, fileobj, content_type = value
            else:
                filename, fileobj, content_type, headers = value
        else:
            filename, fileobj = _file_name(value) or name, value
        if fileobj is None:
            return
        if isinstance(fileobj, (str, bytes, bytearray)):
            data: Union[bytes, str, _FilePart] = fileobj if not isinstance(fileobj, bytearray) else bytes(fileobj)
        elif hasattr(fileobj, "read"):
            data = _FilePart(fileobj) if _seekable(fileobj) else fileobj.read()
        else:
            data = fileobj
        field = RequestField(name=name, data=b"", filename=filename, headers=headers)
        field.make_multipart(content_type=content_type)
        self._add(field, data)

    def _add(self, field: RequestField, data: Any) -> None:
        head = f"--{self.boundary}\r\n".encode("latin-1") + field.render_headers().encode("utf-8")
        if isinstance(data, int):
            data = str(data)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, (bytes, _FilePart)):
            # What requests raises, writing such a part into its buffer.
            raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'")
        self._parts.append((head, data))

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        for head, data in self._parts:
            if isinstance(data, bytes):
                yield head + data + b"\r\n"
            else:
                yield head
                yield from data.chunks()
                yield b"\r\n"
        yield self._trailer

    # requests records tell() and calls seek() to send the body again after
    # a 307 or 308 redirect; every iteration starts from the beginning.
    def tell(self) -> int:
        return 0

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return 0
