"""Raw message bytes → a checked :class:`Parsed` message, or :class:`Rejected` with the reason
to quarantine it. Nothing here trusts the sender: header values lose control characters and
line breaks, HTML becomes plain text (scripts and styles dropped), attachments get safe
names, and structure, size and character sets are checked."""

from __future__ import annotations

import codecs
import email.errors
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_HEADER_BYTES = 256 * 1024
MAX_HEADERS = 500
MAX_DEPTH = 20
MAX_PARTS = 500
MAX_TEXT_CHARS = 100_000
MAX_REFERENCES = 50

# Defects that mean the structure is broken or data was lost: such a message is quarantined
# rather than half-read. (Minor header defects are common in real mail and tolerated.)
FATAL_DEFECTS = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.MissingHeaderBodySeparatorDefect,
    email.errors.InvalidBase64LengthDefect,
)

# Reasons recorded on MailMessage.reason (labels in intake.REASONS).
OVERSIZED, MALFORMED, CHARSET, HOSTILE, NO_SENDER, ERROR = (
    "oversized",
    "malformed",
    "charset",
    "hostile",
    "no_sender",
    "error",
)
AUTO_REPLY, BOUNCE, LOOP = "auto_reply", "bounce", "loop"
TOO_LARGE, TOO_MANY, NOT_ACCEPTED = "too_large", "too_many", "not_accepted"


class Rejected(Exception):
    """The message cannot be taken in as it is: quarantine it with this reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Parsed:
    """What the intake needs from one message."""

    message_id: str
    sender: str  # the From address, checked
    sender_name: str
    subject: str
    text: str
    references: list[str]  # In-Reply-To first, then References (newest first)
    automatic: str = ""  # AUTO_REPLY / BOUNCE / LOOP when no person wrote it
    automatic_detail: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    # (name, size, why) of attachments left out: TOO_LARGE, TOO_MANY or NOT_ACCEPTED
    dropped: list[tuple[str, int, str]] = field(default_factory=list)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ud800-\udfff]")
_SPACE = re.compile(r"\s+")
MSGID = re.compile(r"<[^<>\s]{1,250}>")


def clean_line(value: Any, limit: int) -> str:
    """A header value fit for one line: no control characters or line breaks (header
    injection), no surrogates (PostgreSQL refuses them), whitespace collapsed."""
    text = _SPACE.sub(" ", _CONTROL.sub(" ", str(value or ""))).strip()
    return text[:limit]


def clean_text(value: str) -> str:
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS].rstrip() + "\n[…]"
    return text


class _TextFromHtml(HTMLParser):
    """HTML → plain text: content of scripts, styles and other non-text elements dropped,
    block elements as line breaks, links as "text (address)"."""

    SKIP = {"script", "style", "head", "title", "template", "noscript", "svg", "math", "object"}
    SKIP |= {"iframe", "frame", "frameset", "embed", "applet", "select", "textarea", "button"}
    BLOCK = {"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
    BLOCK |= {"blockquote", "pre", "section", "article", "header", "footer", "form", "dl"}
    VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip: list[str] = []
        self.href: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip:
            if tag in self.SKIP:
                self.skip.append(tag)
            return
        if tag in self.SKIP:
            self.skip.append(tag)
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag in self.BLOCK:
            self.out.append("\n\n")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.href.append(href if re.match(r"(?i)(https?|mailto):", href) else "")

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            return
        if tag == "a" and self.href:
            href = self.href.pop()
            if href and href.removeprefix("mailto:") not in "".join(self.out[-3:]):
                self.out.append(f" ({href})")
        elif tag in self.BLOCK or tag == "li":
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)

    def text(self) -> str:
        lines = [_SPACE.sub(" ", line).strip() for line in "".join(self.out).split("\n")]
        return "\n".join(lines)


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError) as exc:  # HTMLParser's own complaints
        raise Rejected(MALFORMED, f"unreadable HTML: {exc}") from None
    return parser.text()


def safe_filename(name: str, index: int, content_type: str) -> str:
    """A file name that cannot climb directories or hide an extension: the last path
    component, letters, digits and ``._-()`` and spaces kept, at most 100 characters."""
    name = unicodedata.normalize("NFC", clean_line(name, 500))
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"[^\w.\-() ]", "_", name).strip(" .")
    name = re.sub(r"_{2,}", "_", name)
    if not name:
        ext = {"text/plain": ".txt", "text/html": ".html", "message/rfc822": ".eml"}.get(
            content_type, ".bin"
        )
        name = f"attachment-{index}{ext}"
    if len(name) > 100:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 99 - len(ext)] + "." + ext if dot and len(ext) <= 10 else name[:100]
    return name


def accepted_type(name: str, data: bytes) -> str:
    """The content type of an attachment Zina keeps, or "" for one it does not: the same
    types as uploads on the web (the knowledge base's list), checked by content, not by
    what the sender declared."""
    from zina.core.files import content_type, refusal

    return "" if refusal(name, data) else content_type(name)


def _content_type(part: Message) -> str:
    value = part.get_content_type().lower()
    return value if re.fullmatch(r"[a-z0-9.+-]{1,50}/[a-z0-9.+-]{1,60}", value) else ""


def _decode(data: bytes, charset: str | None) -> str:
    """Text in its declared character set, strictly: a wrong or unknown charset is a reason
    to quarantine, not to store mojibake. Undeclared or ASCII-declared 8-bit text is tried as
    UTF-8 (a common mistake of mail programs)."""
    charset = (charset or "us-ascii").strip().lower()
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        raise Rejected(CHARSET, f"unknown character set {clean_line(charset, 60)!r}") from None
    if not getattr(codec, "_is_text_encoding", True):
        raise Rejected(CHARSET, f"{charset!r} is not a character set")
    if codec.name == "ascii":
        charset = "utf-8"
    try:
        return data.decode(charset)
    except UnicodeDecodeError as exc:
        raise Rejected(CHARSET, f"text is not valid {charset}: {exc.reason}") from None


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    text = _decode(data, part.get_content_charset())
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text


def recover_utf8(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: read them as UTF-8 (RFC 6532)."""
    if not re.search(r"[\udc80-\udcff]", value):
        return value
    return value.encode("ascii", "surrogateescape").decode("utf-8", "replace")


def raw_value(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return recover_utf8(str(value))
    return None


def _header(msg: Message, name: str, limit: int = 1000) -> str:
    raw = raw_value(msg, name)
    if raw is None:
        return ""
    try:
        value = msg.get(name)
        if re.search(r"[^\x00-\x7f]", raw):
            raise ValueError("8-bit header")  # the registry would mangle it
    except Exception:  # the header registry refuses hostile values, e.g. encoded line breaks
        value = decoded(raw)
    return clean_line(value, limit)


def _sender(msg: Message) -> tuple[str, str]:
    raw = raw_value(msg, "From") or ""
    try:
        header = msg.get("From")
        if re.search(r"[^\x00-\x7f]", raw):
            raise ValueError("8-bit header")
        pairs = [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ()) or ()]
    except Exception:
        pairs = [(decoded(name), addr) for name, addr in getaddresses([raw])]
    for display_name, addr_spec in pairs:
        addr = clean_line(addr_spec, 254)
        if addr.count("@") != 1:
            continue
        local, domain = addr.split("@")
        addr = f"{local}@{domain.lower()}"
        try:
            validate_email(addr)
        except ValidationError:
            continue
        name = clean_line(display_name, 200).strip("\"' ")
        return addr, name
    raise Rejected(NO_SENDER, f"no valid From address in {_header(msg, 'From', 200)!r}")


def decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def automatic_kind(msg: Message) -> tuple[str, str]:
    """("auto_reply" / "bounce", why) when no person wrote the message, else ("", "")."""
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return AUTO_REPLY, f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if _header(msg, name):
            return AUTO_REPLY, f"{name} header"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "auto_reply", "list", "junk"):
        return AUTO_REPLY, f"Precedence: {precedence}"
    if msg.get_content_type() == "multipart/report":
        report = str(msg.get_param("report-type") or "").lower()
        return BOUNCE, f"multipart/report ({clean_line(report, 40)})"
    if "Return-Path" in msg and re.fullmatch(r"<\s*>|", _header(msg, "Return-Path")):
        return BOUNCE, "empty Return-Path"
    sender = _header(msg, "From").lower()
    if re.search(r"\b(mailer-daemon|postmaster)@", sender) or sender.startswith("mailer-daemon"):
        return BOUNCE, "from MAILER-DAEMON"
    return "", ""


def _references(msg: Message) -> list[str]:
    ids: list[str] = []
    for name in ("In-Reply-To", "References"):
        found = MSGID.findall(_header(msg, name, 20_000))
        ids.extend(reversed(found) if name == "References" else found)
    return list(dict.fromkeys(ids))[:MAX_REFERENCES]


def _nodes(part: Message, depth: int = 0) -> Any:
    """Every MIME part, containers too; attached messages are not opened."""
    if depth > MAX_DEPTH:
        raise Rejected(HOSTILE, f"MIME parts nested deeper than {MAX_DEPTH}")
    yield part
    if part.get_content_type() == "message/rfc822" and depth:
        return
    if part.is_multipart():
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                yield from _nodes(sub, depth + 1)


def _is_leaf(part: Message) -> bool:
    return part.get_content_type() == "message/rfc822" or not part.is_multipart()


def _defects(part: Message) -> list[str]:
    return [type(d).__name__ for d in part.defects if isinstance(d, FATAL_DEFECTS)]


def parse(raw: bytes, *, own_domain: str = "") -> Parsed:
    """Check and read one message. Raises :class:`Rejected` for quarantine."""
    max_bytes = int(getattr(settings, "ZINA_MAIL_MAX_BYTES", 25 * 1024 * 1024))
    if len(raw) > max_bytes:
        raise Rejected(OVERSIZED, f"{len(raw)} bytes, the limit is {max_bytes}")
    head = re.split(rb"\r?\n\r?\n", raw[: MAX_HEADER_BYTES + 4], maxsplit=1)
    if len(head) == 1 and len(raw) > MAX_HEADER_BYTES:
        raise Rejected(HOSTILE, f"header section larger than {MAX_HEADER_BYTES} bytes")
    if b"\x00" in head[0]:
        raise Rejected(HOSTILE, "NUL byte in the headers")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:
        raise Rejected(MALFORMED, f"unparseable: {type(exc).__name__}: {exc}"[:300]) from None
    if len(msg.keys()) > MAX_HEADERS:
        raise Rejected(HOSTILE, f"more than {MAX_HEADERS} header fields")
    if not msg.keys():
        raise Rejected(MALFORMED, "no header fields")

    nodes = []
    for count, node in enumerate(_nodes(msg), 1):
        if count > MAX_PARTS:
            raise Rejected(HOSTILE, f"more than {MAX_PARTS} MIME parts")
        nodes.append(node)
    leaves = [n for n in nodes if n is not msg and _is_leaf(n)] if msg.is_multipart() else [msg]
    automatic, why = automatic_kind(msg)
    message_id = (MSGID.findall(_header(msg, "Message-ID")) or [""])[0]
    if not automatic and own_domain and message_id.lower().endswith(f"@{own_domain.lower()}>"):
        automatic, why = LOOP, "our own message came back"
    if automatic:  # not read further: nothing of it is kept
        sender = _header(msg, "From", 254)
        return Parsed(message_id, sender, "", _header(msg, "Subject", 300), "", [], automatic, why)

    broken = [d for p in nodes for d in _defects(p)]
    if broken:
        raise Rejected(MALFORMED, "broken MIME structure: " + ", ".join(sorted(set(broken))))

    sender, sender_name = _sender(msg)
    subject = _header(msg, "Subject", 300)

    assert isinstance(msg, EmailMessage)
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
    except Exception as exc:
        raise Rejected(MALFORMED, f"no readable body: {type(exc).__name__}") from None
    texts: list[str] = []
    attachments: list[Attachment] = []
    dropped: list[tuple[str, int, str]] = []
    limit = int(getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
    max_count = int(getattr(settings, "ZINA_MAIL_MAX_ATTACHMENTS", 20))
    if body is not None:
        texts.append(_text_of(body))
    for index, part in enumerate(leaves, 1):
        if part is body:
            continue
        content_type = _content_type(part)
        try:
            filename = part.get_filename()
        except Exception:
            filename = None
        disposition = part.get_content_disposition()
        if content_type in ("text/plain", "text/html") and not filename:
            if disposition != "attachment" and body is not None and not _is_alternative(msg, part):
                texts.append(_text_of(part))  # e.g. a footer sent as a second inline part
            if disposition != "attachment":
                continue
        if content_type == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            data = first.as_bytes() if isinstance(first, Message) else b""
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        name = safe_filename(filename or "", index, content_type)
        if len(data) > limit:
            dropped.append((name, len(data), TOO_LARGE))
            continue
        if len(attachments) >= max_count:
            dropped.append((name, len(data), TOO_MANY))
            continue
        checked_type = accepted_type(name, data)
        if not checked_type:
            dropped.append((name, len(data), NOT_ACCEPTED))
            continue
        attachments.append(Attachment(name, checked_type, data))

    text = clean_text("\n\n".join(t for t in texts if t.strip()))
    return Parsed(
        message_id=message_id,
        sender=sender,
        sender_name=sender_name,
        subject=subject,
        text=text,
        references=_references(msg),
        attachments=attachments,
        dropped=dropped,
    )


def _is_alternative(msg: Message, part: Message) -> bool:
    """Whether ``part`` is another rendering of the body (inside multipart/alternative)."""
    for container in msg.walk():
        if container.get_content_type() == "multipart/alternative":
            payload = container.get_payload()
            if isinstance(payload, list) and any(p is part for p in payload):
                return True
    return False


# --- Replies: what the person wrote, without the quoted history -----------------------------

_QUOTE_START = re.compile(
    r"^(?:-{2,}\s*(?:original message|sākotnējā ziņa|oriģinālā ziņa|pārsūtītā ziņa)"
    r"|_{5,}\s*$"
    r"|.{0,200}\b(?:wrote|rakstīja|schrieb|a écrit)\s*:\s*$"
    r"|(?:from|no|von|de):\s.+\n(?:sent|date|nosūtīts|datums|gesendet):\s)",
    re.I | re.M,
)


def strip_quoted(text: str) -> str:
    """Drop the quoted earlier messages a mail program adds under a reply, when something is
    left above them."""
    match = _QUOTE_START.search(text)
    top = text[: match.start()] if match else text
    lines = top.rstrip().split("\n")
    while lines and lines[-1].startswith(">"):
        lines.pop()
    kept = "\n".join(lines).strip()
    return kept or text


# --- Language: Latvian unless it clearly reads as English ----------------------------------

_LV_WORDS = {"un", "ir", "nav", "es", "man", "mans", "mana", "par", "ar", "kā", "vai", "lūdzu"}
_LV_WORDS |= {"paldies", "labdien", "nevar", "nevaru", "jūs", "jums", "ka", "uz", "no", "lai"}
_EN_WORDS = {"the", "and", "is", "are", "please", "thank", "thanks", "you", "not", "cannot"}
_EN_WORDS |= {"my", "i", "to", "of", "hello", "dear", "with", "this", "it", "for", "can't"}


def guess_language(text: str) -> str:
    sample = text[:5000].lower()
    if re.search(r"[āčēģīķļņšūž]", sample):
        return "lv"
    words = re.findall(r"[a-zāčēģīķļņšūž']+", sample)
    lv = sum(w in _LV_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    return "en" if en > max(2 * lv, 1) else "lv"
