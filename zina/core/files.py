"""Files people attach (to articles, tickets, mail): which types are kept, checked by their
content and not only by their name, and how large they may be. One list for every surface."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Extension → (content type, accepted leading bytes; empty means "UTF-8 text").
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "txt": ("text/plain; charset=utf-8", ()),
    "csv": ("text/csv; charset=utf-8", ()),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
}  # fmt: skip


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def refusal(name: str, head: bytes) -> str:
    """Why a file of this name starting with these bytes is not kept, or "" when it is."""
    extension = _extension(name)
    if extension not in ATTACHMENT_TYPES:
        return _("Allowed file types: %s.") % ", ".join(sorted(ATTACHMENT_TYPES))
    _type, magic = ATTACHMENT_TYPES[extension]
    if magic and not head.startswith(magic):
        return _("The file's content does not match its type.")
    if not magic:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a multi-byte character cut at the end is fine
                return _("Text files must be UTF-8.")
    return ""


def content_type(name: str) -> str:
    return ATTACHMENT_TYPES[_extension(name)][0]


def checked_upload(upload: Any) -> tuple[str, str]:
    """(safe name, content type) of an uploaded file, or a ValidationError on ``upload``:
    an allowed type by content, within ATTACHMENT_MAX_BYTES."""
    name = Path(str(upload.name)).name.replace("\x00", "")[-200:] or "file"
    limit = settings.ATTACHMENT_MAX_BYTES
    head = upload.read(2048)
    upload.seek(0)
    reason = refusal(name, head)
    if not reason and upload.size > limit:
        reason = _("The file is larger than %d MB.") % (limit // 2**20)
    if reason:
        raise ValidationError({"upload": reason})
    return name, content_type(name)
