"""What each user's home page shows: their roles with duties, and what they can open."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zina.accounts.models import Membership, RoleAssignment
from zina.accounts.roles import ROLE_DUTIES

from .navigation import NavItem, nav_for


@dataclass
class InstitutionSection:
    institution: Any
    kind: str
    assignments: list[RoleAssignment] = field(default_factory=list)

    @property
    def duties(self) -> list[Any]:
        seen: list[Any] = []
        for a in self.assignments:
            for duty in ROLE_DUTIES.get(a.role, []):
                if duty not in seen:
                    seen.append(duty)
        return seen


@dataclass
class HomeSections:
    institutions: list[InstitutionSection]
    actions: list[NavItem]


def home_sections(user: Any) -> HomeSections:
    if not user.is_authenticated:
        return HomeSections([], [])
    sections: dict[int, InstitutionSection] = {}
    for m in Membership.objects.filter(user=user).select_related("institution"):
        sections[m.institution_id] = InstitutionSection(m.institution, m.get_kind_display())
    for a in (
        RoleAssignment.objects.filter(user=user)
        .select_related("institution", "scope_type")
        .order_by("role")
    ):
        section = sections.setdefault(a.institution_id, InstitutionSection(a.institution, ""))
        section.assignments.append(a)
    actions = [i for i in nav_for(user) if i.key != "home"]
    return HomeSections(list(sections.values()), actions)
