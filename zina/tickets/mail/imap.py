"""A small IMAP client over :mod:`imaplib`: read by UID without setting \\Seen, and mark or
move a message only when the intake has committed what it made of it."""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from django.conf import settings

from .config import Mailbox

CHUNK = 500  # UIDs per command: keeps command lines short


class ImapError(Exception):
    """The server refused a command or answered something unexpected."""


def _uid_set(uids: Iterable[int]) -> str:
    return ",".join(str(u) for u in uids)


def _chunks(uids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(uids), CHUNK):
        yield uids[i : i + CHUNK]


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Connection:
    """A logged-in session with one mailbox's folder selected (read-write)."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.conn: imaplib.IMAP4 | None = None
        self.uidvalidity = 0
        self.can_move = False
        self.capabilities: set[str] = set()

    def __enter__(self) -> Connection:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check(self, typ: str, data: list[Any], what: str) -> list[Any]:
        if typ != "OK":
            raise ImapError(f"{what}: {typ} {data!r}"[:500])
        return data

    @property
    def imap(self) -> imaplib.IMAP4:
        if self.conn is None:
            raise ImapError("not connected")
        return self.conn

    def open(self) -> None:
        m = self.mailbox
        timeout = getattr(settings, "ZINA_MAIL_TIMEOUT", 60)
        context = ssl.create_default_context()
        if m.security == "ssl":
            self.conn = imaplib.IMAP4_SSL(m.host, m.port, ssl_context=context, timeout=timeout)
        else:
            self.conn = imaplib.IMAP4(m.host, m.port, timeout=timeout)
            if m.security == "starttls":
                self.conn.starttls(ssl_context=context)
        self._check(*self.imap.login(m.user, m.password), what="LOGIN")
        # Capabilities change after login (MOVE, UIDPLUS): ask again.
        data = self._check(*self.imap.capability(), what="CAPABILITY")
        words = b" ".join(d for d in data if isinstance(d, bytes)).upper().split()
        self.capabilities = {w.decode("ascii", "replace") for w in words}
        self._check(*self.imap.select(_quote(m.folder)), what=f"SELECT {m.folder}")
        _typ, data = self.imap.response("UIDVALIDITY")
        if not data or data[0] is None:
            raise ImapError("the server did not report UIDVALIDITY")
        self.uidvalidity = int(data[0])
        self.can_move = "MOVE" in self.capabilities

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.close()
            self.conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
        self.conn = None

    def search(self, criteria: str) -> list[int]:
        data = self._check(*self.imap.uid("SEARCH", criteria), what="SEARCH")
        return sorted({int(x) for chunk in data if isinstance(chunk, bytes) for x in chunk.split()})

    def sizes(self, uids: list[int]) -> dict[int, int]:
        """UID → RFC822.SIZE of the messages that still exist."""
        result: dict[int, int] = {}
        for chunk in _chunks(uids):
            data = self._check(
                *self.imap.uid("FETCH", _uid_set(chunk), "(UID RFC822.SIZE)"), what="FETCH SIZE"
            )
            for item in data:
                line = item[0] if isinstance(item, tuple) else item
                if not isinstance(line, bytes):
                    continue
                uid = re.search(rb"UID (\d+)", line)
                size = re.search(rb"RFC822\.SIZE (\d+)", line)
                if uid and size:
                    result[int(uid.group(1))] = int(size.group(1))
        return result

    def _fetch(self, uid: int, part: str) -> bytes | None:
        data = self._check(*self.imap.uid("FETCH", str(uid), f"({part})"), what="FETCH")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None  # expunged meanwhile

    def fetch(self, uid: int) -> bytes | None:
        """The whole message, leaving \\Seen alone."""
        return self._fetch(uid, "BODY.PEEK[]")

    def fetch_header(self, uid: int) -> bytes | None:
        return self._fetch(uid, "BODY.PEEK[HEADER]")

    def dispose(self, uids: list[int], *, flag: bool = False) -> None:
        """Mark handled messages \\Seen (quarantined ones also \\Flagged for people looking
        at the mailbox), or move them to the mailbox's ``move_to`` folder."""
        if not uids:
            return
        for chunk in _chunks(sorted(uids)):
            flags = r"(\Seen \Flagged)" if flag else r"(\Seen)"
            self._check(
                *self.imap.uid("STORE", _uid_set(chunk), "+FLAGS.SILENT", flags), what="STORE"
            )
            if self.mailbox.move_to:
                target = _quote(self.mailbox.move_to)
                if self.can_move:
                    self._check(*self.imap.uid("MOVE", _uid_set(chunk), target), what="MOVE")
                else:
                    self._check(*self.imap.uid("COPY", _uid_set(chunk), target), what="COPY")
                    self._check(
                        *self.imap.uid("STORE", _uid_set(chunk), "+FLAGS.SILENT", r"(\Deleted)"),
                        what="STORE",
                    )
                    if "UIDPLUS" in self.capabilities:
                        self._check(*self.imap.uid("EXPUNGE", _uid_set(chunk)), what="UID EXPUNGE")
                    else:
                        self._check(*self.imap.expunge(), what="EXPUNGE")


def connect(mailbox: Mailbox) -> Connection:
    return Connection(mailbox)
