"""Each kind's workflow: which action moves a ticket from which states to which state.

The operations layer is the only writer of ``Ticket.state`` and checks every move here, so a
view, the API, mail intake and the worker cannot take a ticket where its kind does not go.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .choices import Kind, State

S = State


@dataclass(frozen=True)
class Move:
    action: str
    sources: frozenset[str]
    target: str
    label: Promise


def _move(action: str, sources: set[State] | set[str], target: str, label: Promise) -> Move:
    return Move(action, frozenset(sources), target, label)


_WORKING = {S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING}
_START = _move("start", {S.NEW, S.ASSIGNED, S.WAITING}, S.IN_PROGRESS, _("Start work"))
_WAIT = _move("wait", {S.NEW, S.ASSIGNED, S.IN_PROGRESS}, S.WAITING, _("Wait"))
_RESUME = _move("resume", {S.WAITING}, S.IN_PROGRESS, _("Resume"))
_RESOLVE = _move("resolve", _WORKING, S.RESOLVED, _("Resolve"))
_CLOSE = _move("close", {S.RESOLVED}, S.CLOSED, _("Close"))
_REOPEN = _move("reopen", {S.RESOLVED, S.CLOSED}, S.IN_PROGRESS, _("Reopen"))
_CANCEL = _move("cancel", _WORKING, S.CANCELLED, _("Cancel"))

WORKFLOWS: dict[str, tuple[Move, ...]] = {
    Kind.INCIDENT: (_START, _WAIT, _RESUME, _RESOLVE, _CLOSE, _REOPEN, _CANCEL),
    Kind.REQUEST: (_START, _WAIT, _RESUME, _RESOLVE, _CLOSE, _REOPEN, _CANCEL),
    Kind.COMPLAINT: (_START, _WAIT, _RESUME, _RESOLVE, _CLOSE, _REOPEN, _CANCEL),
    Kind.SUGGESTION: (_START, _WAIT, _RESUME, _RESOLVE, _CLOSE, _REOPEN, _CANCEL),
    Kind.PROBLEM: (
        _move("start", {S.NEW, S.ASSIGNED}, S.IN_PROGRESS, _("Start investigation")),
        _move("known_error", {S.IN_PROGRESS}, S.KNOWN_ERROR, _("Record known error")),
        _move("resolve", {S.IN_PROGRESS, S.KNOWN_ERROR}, S.RESOLVED, _("Cause removed")),
        _move("close", {S.RESOLVED}, S.CLOSED, _("Close")),
        _move("reopen", {S.RESOLVED, S.CLOSED}, S.IN_PROGRESS, _("Reopen")),
        _move("cancel", {S.NEW, S.ASSIGNED, S.IN_PROGRESS}, S.CANCELLED, _("Cancel")),
    ),
    Kind.CHANGE: (
        _move(
            "submit", {S.NEW, S.ASSIGNED, S.REJECTED}, S.AWAITING_APPROVAL, _("Submit for approval")
        ),
        _move("approve", {S.AWAITING_APPROVAL}, S.APPROVED, _("Approve")),
        _move("reject", {S.AWAITING_APPROVAL}, S.REJECTED, _("Reject")),
        _move("start", {S.APPROVED}, S.IN_PROGRESS, _("Start implementation")),
        _move("resolve", {S.IN_PROGRESS}, S.RESOLVED, _("Implemented")),
        _move("close", {S.RESOLVED}, S.CLOSED, _("Verified and closed")),
        _move("reopen", {S.RESOLVED}, S.IN_PROGRESS, _("Reopen")),
        _move(
            "cancel",
            {S.NEW, S.ASSIGNED, S.AWAITING_APPROVAL, S.APPROVED, S.REJECTED},
            S.CANCELLED,
            _("Cancel"),
        ),
    ),
}


def moves(kind: str, state: str) -> list[Move]:
    """The actions open to a ticket of ``kind`` in ``state``."""
    return [m for m in WORKFLOWS[kind] if state in m.sources]


def find(kind: str, state: str, action: str) -> Move | None:
    return next((m for m in moves(kind, state) if m.action == action), None)
