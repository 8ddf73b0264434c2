"""Mail intake: each message of an institution's mailbox becomes a ticket, or the reporter's
reply on one, exactly once.

For every message the intake writes a :class:`~zina.tickets.models.MailMessage` row (unique
per mailbox, UIDVALIDITY and UID) in the same transaction as the ticket or entry it made, and
only after that commit marks the message on the server. A run that stops anywhere is
therefore safe to repeat: recorded UIDs are skipped (and marked, if the mark was lost), and a
second copy of a message (same Message-ID, or same bytes) is recorded as a duplicate. A
message that cannot be read, or whose processing fails, is quarantined with its raw bytes and
a reason, and the run goes on with the next one.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zina.accounts.models import Institution

from .. import operations as ops
from ..choices import PREFIXES, Channel, EntryKind
from ..models import MailMessage, Ticket, TicketAttachment, TicketEntry
from ..notifications import domain
from . import imap, parser
from .config import Mailbox, mailboxes

log = logging.getLogger(__name__)

Status = MailMessage.Status

REASONS = {
    parser.OVERSIZED: gettext_lazy("Too large"),
    parser.MALFORMED: gettext_lazy("Malformed message"),
    parser.CHARSET: gettext_lazy("Wrong or unknown character set"),
    parser.HOSTILE: gettext_lazy("Hostile structure"),
    parser.NO_SENDER: gettext_lazy("No valid sender address"),
    parser.ERROR: gettext_lazy("Processing failed"),
    parser.AUTO_REPLY: gettext_lazy("Automatic reply"),
    parser.BOUNCE: gettext_lazy("Delivery report (bounce)"),
    parser.LOOP: gettext_lazy("Our own message"),
    "duplicate": gettext_lazy("Already received"),
    "attachments": gettext_lazy("Attachments left out"),
}

_PREFIX_TO_KIND = {prefix: kind for kind, prefix in PREFIXES.items()}
_SUBJECT_REF = re.compile(r"\[(" + "|".join(PREFIXES.values()) + r")-(\d{1,12})\]", re.I)


@dataclass
class Summary:
    """What one run did with one mailbox."""

    mailbox: str
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1

    def __str__(self) -> str:
        done = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items())) or "nothing new"
        return f"{self.mailbox}: {done}" + (f" — {self.error}" if self.error else "")


# --- The run -----------------------------------------------------------------------------


def fetch_all(keys: list[str] | None = None) -> list[Summary]:
    """Read every configured mailbox (or those named); one failing mailbox does not stop
    the others."""
    summaries = []
    for mailbox in mailboxes():
        if keys and mailbox.key not in keys:
            continue
        try:
            summaries.append(fetch_mailbox(mailbox))
        except Exception as exc:  # a mailbox that cannot be read now is tried next time
            log.exception("mail intake: mailbox %s failed", mailbox.key)
            summaries.append(Summary(mailbox.key, error=f"{type(exc).__name__}: {exc}"[:300]))
    return summaries


def fetch_mailbox(mailbox: Mailbox, *, connection: Any = None) -> Summary:
    """Take in the new messages of one mailbox (at most ``ZINA_MAIL_BATCH`` per run)."""
    institution = Institution.objects.filter(code=mailbox.institution).first()
    if institution is None:
        raise ValueError(f"no institution with the code {mailbox.institution!r}")
    if transaction.get_connection().in_atomic_block:
        # Messages are marked on the server after each commit: there must be a commit.
        raise RuntimeError("the mail intake must not run inside a transaction")
    summary = Summary(mailbox.key)
    conn = connection or imap.connect(mailbox)
    with conn:
        uidvalidity = conn.uidvalidity
        known = MailMessage.objects.filter(mailbox=mailbox.key, uidvalidity=uidvalidity)
        last = known.aggregate(last=Max("uid"))["last"] or 0
        # Unseen messages, and every message after the last one recorded (in case a person
        # opened it in a mail program before the intake came by).
        unseen = conn.search("UNSEEN")
        candidates = sorted(set(unseen) | {u for u in conn.search(f"UID {last + 1}:*") if u > last})
        recorded = _recorded(known, candidates)
        # A run that stopped between commit and marking left these unmarked: mark them now.
        for status in Status.values:
            uids = [u for u in unseen if recorded.get(u) == status]
            conn.dispose(uids, flag=status == Status.QUARANTINED)
        todo = [u for u in candidates if u not in recorded]
        batch = int(getattr(settings, "ZINA_MAIL_BATCH", 200))
        sizes = conn.sizes(todo[:batch]) if todo else {}
        for uid in todo[:batch]:
            if uid not in sizes:
                continue  # expunged meanwhile
            record = take_in(conn, mailbox, institution, uidvalidity, uid, sizes[uid])
            if record is None:
                continue
            summary.add(record.status)
            conn.dispose([uid], flag=record.status == Status.QUARANTINED)
    return summary


def _recorded(known: Any, uids: list[int]) -> dict[int, str]:
    result: dict[int, str] = {}
    for i in range(0, len(uids), 500):
        chunk = uids[i : i + 500]
        result.update(known.filter(uid__in=chunk).values_list("uid", "status"))
    return result


def take_in(
    conn: Any, mailbox: Mailbox, institution: Institution, uidvalidity: int, uid: int, size: int
) -> MailMessage | None:
    """Read one message from the server and record what became of it (None: it vanished,
    or another poller recorded it first)."""
    max_bytes = int(getattr(settings, "ZINA_MAIL_MAX_BYTES", 25 * 1024 * 1024))
    oversized = size > max_bytes
    raw = conn.fetch_header(uid) if oversized else conn.fetch(uid)
    if raw is None:
        return None
    where = {"mailbox": mailbox.key, "uidvalidity": uidvalidity, "uid": uid}
    try:
        with transaction.atomic():
            record = MailMessage.objects.create(
                **where,
                institution=institution,
                sha256=hashlib.sha256(raw).hexdigest(),
                size=size,
                status=Status.PROCESSED,
            )
            if oversized:
                _quarantine(
                    record, raw, parser.OVERSIZED, f"{size} bytes, the limit is {max_bytes}"
                )
            else:
                process(record, raw, mailbox)
            return record
    except IntegrityError as exc:
        if MailMessage.objects.filter(**where).exists():
            return None  # a concurrent run took it
        return _record_failure(where, institution, raw, size, exc)
    except Exception as exc:
        log.exception("mail intake: message %s/%s/%s failed", mailbox.key, uidvalidity, uid)
        return _record_failure(where, institution, raw, size, exc)


def _record_failure(
    where: dict[str, Any], institution: Institution, raw: bytes, size: int, exc: BaseException
) -> MailMessage:
    with transaction.atomic():  # if even this fails, the run stops and nothing is marked
        record = MailMessage(
            **where,
            institution=institution,
            sha256=hashlib.sha256(raw).hexdigest(),
            size=size,
        )
        _header_facts(record, raw)
        _quarantine(record, raw, parser.ERROR, f"{type(exc).__name__}: {exc}"[:2000])
        return record


def _header_facts(record: MailMessage, raw: bytes) -> None:
    """Message-ID, sender and subject for the listing, read leniently."""
    from email import message_from_bytes

    try:
        msg = message_from_bytes(raw[: parser.MAX_HEADER_BYTES])
        value = {k: parser.raw_value(msg, k) or "" for k in ("Message-ID", "From", "Subject")}
        record.message_id = (parser.MSGID.findall(value["Message-ID"]) or [""])[0]
        record.sender = parser.clean_line(parseaddr(value["From"])[1], 254)
        record.subject = parser.clean_line(parser.decoded(value["Subject"]), 300)
    except Exception:  # quarantine must not fail on what it quarantines
        log.debug("mail intake: unreadable headers of %s", record, exc_info=True)


def _quarantine(record: MailMessage, raw: bytes, reason: str, detail: str) -> None:
    if not record.sender and not record.subject:
        _header_facts(record, raw)
    record.status, record.reason, record.detail, record.raw = (
        Status.QUARANTINED,
        reason,
        detail,
        raw,
    )
    record.save()
    log.warning("mail intake: quarantined %s (%s: %s)", record, reason, detail)


# --- One message -------------------------------------------------------------------------


def process(record: MailMessage, raw: bytes, mailbox: Mailbox) -> None:
    """Turn a recorded message into a ticket or an entry (inside the caller's transaction)."""
    try:
        message = parser.parse(raw, own_domain=domain())
    except parser.Rejected as rejected:
        _quarantine(record, raw, rejected.reason, rejected.detail)
        return
    record.message_id = message.message_id[:300]
    record.sender = message.sender[:254]
    record.subject = message.subject[:300]

    own = parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1].lower()
    if message.automatic or (own and message.sender.lower() == own):
        record.status, record.reason = Status.IGNORED, message.automatic or parser.LOOP
        record.detail = message.automatic_detail or "sent from our own address"
        record.save()
        return

    earlier = _earlier_copy(record)
    if earlier is not None:
        record.status, record.reason = Status.DUPLICATE, "duplicate"
        record.detail = f"same message as #{earlier.pk}"
        record.ticket_id, record.entry_id = earlier.ticket_id, earlier.entry_id
        record.save()
        return

    institution = record.institution
    message_id = message.message_id or f"<{record.sha256[:40]}@intake.invalid>"
    ticket = find_ticket(message, institution)
    entry: TicketEntry | None
    if ticket is not None:
        entry = ops.add_entry(
            actor=None,
            ticket=ticket,
            kind=EntryKind.INCOMING,
            body=_with_notes(parser.strip_quoted(message.text), message, ticket.language),
            message_id=message_id,
            author_label=message.sender_name or message.sender,
        )
    else:
        language = parser.guess_language(f"{message.subject}\n{message.text}")
        with translation.override(language):
            subject = _clean_subject(message.subject) or _("(no subject)")
            description = _with_notes(message.text, message, language)
        ticket = ops.open_ticket(
            actor=None,
            institution=institution,
            kind=mailbox.kind,
            data=ops.TicketData(
                subject=subject,
                description=description,
                channel=Channel.EMAIL,
                language=language,
            ),
            reporter=ops.Reporter(name=message.sender_name, email=message.sender),
            message_id=message_id,
        )
        entry = (
            TicketEntry.objects.filter(
                ticket=ticket, kind=EntryKind.INCOMING, message_id=message_id[:300]
            )
            .order_by("-id")
            .first()
        )
    _attach(ticket, entry, message)
    record.ticket, record.entry = ticket, entry
    if message.dropped:  # the whole message stays here, so nothing the sender sent is lost
        record.reason, record.raw = "attachments", raw
        record.detail = "; ".join(f"{n} ({size} bytes, {why})" for n, size, why in message.dropped)
    record.save()


def _earlier_copy(record: MailMessage) -> MailMessage | None:
    """The same message already taken in: same Message-ID at this institution, or, without
    a Message-ID, the same bytes in this mailbox."""
    others = MailMessage.objects.exclude(pk=record.pk).exclude(status=Status.QUARANTINED)
    if record.message_id:
        match = Q(institution=record.institution, message_id=record.message_id)
    else:
        match = Q(mailbox=record.mailbox, sha256=record.sha256)
    return others.filter(match).order_by("id").first()


def _clean_subject(subject: str) -> str:
    return parser.clean_line(subject, 300)


def _with_notes(text: str, message: parser.Parsed, language: str) -> str:
    """The text, plus a line for each attachment left out (so staff know to ask for it)."""
    limit = int(getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
    notes = []
    with translation.override(language):
        for name, size, why in message.dropped:
            values = {
                "name": name,
                "size": size,
                "limit": limit,
                "count": getattr(settings, "ZINA_MAIL_MAX_ATTACHMENTS", 20),
            }
            if why == parser.TOO_LARGE:
                note = _(
                    "Attachment “%(name)s” (%(size)s bytes) was not kept: "
                    "it is larger than %(limit)s bytes."
                )
            elif why == parser.TOO_MANY:
                note = _(
                    "Attachment “%(name)s” was not kept: at most %(count)s files are kept "
                    "from one message."
                )
            else:
                note = _(
                    "Attachment “%(name)s” was not kept: files of this type, or with content "
                    "that does not match their name, are not accepted."
                )
            notes.append(note % values)
        if not text.strip():
            text = _("(no text)")
    return "\n\n".join([text, *notes]) if notes else text


def _attach(ticket: Ticket, entry: TicketEntry | None, message: parser.Parsed) -> None:
    for attachment in message.attachments:
        checksum = attachment.checksum
        row = TicketAttachment(
            ticket=ticket,
            entry=entry,
            name=attachment.name,
            content_type=attachment.content_type[:120],
            size=len(attachment.data),
            checksum=checksum,
            internal=False,
        )
        row.file.save(attachment.name, ContentFile(attachment.data), save=False)
        row.save()


# --- Threading -----------------------------------------------------------------------------


def find_ticket(message: parser.Parsed, institution: Institution) -> Ticket | None:
    """The ticket a reply belongs to, or None for a new one.

    - A Message-ID of an earlier incoming message (stored on its work-log entry): hard to
      guess, so any sender may add to that ticket.
    - Our own thread ids (``<ticket-12@domain>``, ``<….t12@domain>``) and ``[INC-12]`` in the
      subject are easy to guess: they count only when the sender is the ticket's reporter.
    The ticket must belong to the mailbox's institution (or have been received by it).
    """
    mine = Q(institution=institution) | Q(received_by=institution)
    if message.references:
        entry = (
            TicketEntry.objects.filter(message_id__in=message.references, kind=EntryKind.INCOMING)
            .filter(Q(ticket__institution=institution) | Q(ticket__received_by=institution))
            .select_related("ticket")
            .order_by("-id")
            .first()
        )
        if entry is not None:
            return _followed(entry.ticket)
    ours = re.compile(r"<(?:ticket-(\d+)|[^<>@]*\.t(\d+))@" + re.escape(domain()) + ">", re.I)
    pks = []
    for ref in message.references:
        m = ours.fullmatch(ref)
        if m:
            pks.append(int(m.group(1) or m.group(2)))
    for pk in pks:
        ticket = Ticket.objects.filter(mine, pk=pk).first()
        if ticket is not None and _is_reporter(ticket, message.sender):
            return _followed(ticket)
    for prefix, number in _SUBJECT_REF.findall(message.subject):
        kind = _PREFIX_TO_KIND.get(prefix.upper())
        ticket = Ticket.objects.filter(mine, pk=int(number), kind=kind).first()
        if ticket is not None and _is_reporter(ticket, message.sender):
            return _followed(ticket)
    return None


def _is_reporter(ticket: Ticket, sender: str) -> bool:
    addresses = {ticket.reporter_email.lower()}
    if ticket.reporter_id and ticket.reporter is not None:
        addresses.add((ticket.reporter.email or "").lower())
    return sender.lower() in addresses - {""}


def _followed(ticket: Ticket) -> Ticket:
    """A merged duplicate's replies go to the ticket it was merged into."""
    seen = {ticket.pk}
    while ticket.merged_into_id and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket
