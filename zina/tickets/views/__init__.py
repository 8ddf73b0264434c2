"""Pages of the request management system: the queue, the new-ticket form, the ticket page
and its actions. Every write goes through zina.tickets.operations."""

from .actions import action
from .create import new
from .detail import detail
from .files import attach, download
from .queue import bulk, queue
from .teams import team_form, teams

__all__ = ["action", "attach", "bulk", "detail", "download", "new", "queue", "team_form", "teams"]
