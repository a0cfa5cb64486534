"""Text files as Unicode: UTF-8, or UTF-16 / UTF-32 when a byte-order mark says so.

Windows PowerShell's ``>`` (``terraform show -json > plan.json``,
``kubectl get -o yaml > app.yaml``) writes UTF-16 with a byte-order mark; a
UTF-8 mark is common from editors on Windows. JSON and YAML allow both
(RFC 8259 8.1 lets a parser accept them; YAML 1.2 5.2 requires them), so the
formats that read JSON or YAML decode through here. Without a mark, text is
UTF-8, as before.
"""

from __future__ import annotations

import codecs

# longest first: the UTF-32 little-endian mark begins with the UTF-16 one
_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def encoding(data: bytes) -> str:
    """The encoding a text file's byte-order mark names (its codec consumes the mark), else ``utf-8``."""
    if data[:1] in (b"\xef", b"\xfe", b"\xff", b"\x00"):
        for mark, name in _MARKS:
            if data.startswith(mark):
                return name
    return "utf-8"


def decode(data: bytes, errors: str = "strict") -> str:
    """``data`` as text (see :func:`encoding`); raises UnicodeDecodeError like ``bytes.decode``."""
    return data.decode(encoding(data), errors)


def utf8_head(head: bytes) -> bytes:
    """The first bytes of a file as UTF-8, for sniffing its format (a character cut at the end is dropped)."""
    name = encoding(head)
    if name == "utf-8":
        return head
    return head.decode(name, "ignore").encode("utf-8")


def error_line(data: bytes, exc: UnicodeDecodeError) -> int:
    """The line of ``data`` where decoding failed, counted in the encoding that failed."""
    if exc.encoding.replace("_", "-").lower().startswith("utf-8"):
        return data[:exc.start].count(b"\n") + 1
    return data[:exc.start].decode(exc.encoding, "ignore").count("\n") + 1
