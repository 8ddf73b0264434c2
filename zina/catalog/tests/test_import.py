"""Catalog import and export: reading CSV/JSON, all-or-nothing planning, the CLI, round trips."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable, Sequence
from datetime import time
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext

from zina.accounts import operations as account_ops
from zina.accounts.choices import Responsibility, Role
from zina.accounts.models import Institution, Membership, RoleAssignment, User
from zina.catalog import operations as ops
from zina.catalog import transfer
from zina.catalog.models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
)
from zina.catalog.tests.conftest import db_counts
from zina.catalog.transfer.formats import fold
from zina.core.models import AuditEvent

Make = Callable[..., Any]

SERVICE_HEADER = [
    "institution",
    "identifier",
    "name",
    "recipients",
    "channels",
    "status",
    "public",
]
RESOURCE_HEADER = ["institution", "identifier", "name", "type", "criticality"]
DEPENDENCY_HEADER = [
    "from_type",
    "from_institution",
    "from_identifier",
    "to_institution",
    "to_identifier",
]


def csv_bytes(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    sep: str = ";",
    eol: str = "\r\n",
    bom: bool = True,
    encoding: str = "utf-8",
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator=eol)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def bundle_of(*files: tuple[str, bytes]) -> transfer.Bundle:
    bundle = transfer.Bundle()
    for name, data in files:
        bundle.extend(transfer.read_file(name, data))
    return bundle


def run_import(actor: User, *files: tuple[str, bytes], dry_run: bool = False) -> Any:
    return ops.import_catalog(actor=actor, bundle=bundle_of(*files), dry_run=dry_run)


def messages(report: Any) -> list[str]:
    return [str(e) for e in report.errors]


def nothing_changed(report: Any) -> bool:
    return all(n["created"] == 0 and n["updated"] == 0 for n in report.counts.values()) and not any(
        report.summary.values()
    )


def simple_files(prefix: str = "S") -> list[tuple[str, bytes]]:
    """Two services, three resources, and dependencies between them (codes, no labels)."""
    return [
        (
            "services.csv",
            csv_bytes(
                SERVICE_HEADER,
                [
                    [
                        "vra",
                        f"{prefix}-1",
                        "Pirmais",
                        "residents|businesses",
                        "e_service",
                        "active",
                        "yes",
                    ],
                    ["vra", f"{prefix}-2", "Otrais", "", "phone", "planned", "no"],
                ],
            ),
        ),
        (
            "resources.csv",
            csv_bytes(
                RESOURCE_HEADER,
                [
                    ["vra", "APP", "Lietotne", "application", "high"],
                    ["vra", "HOST", "Serveris", "server", "medium"],
                    ["vra", "SAN", "Krātuve", "storage", "critical"],
                ],
            ),
        ),
        (
            "dependencies.csv",
            csv_bytes(
                DEPENDENCY_HEADER,
                [
                    ["service", "vra", f"{prefix}-1", "vra", "APP"],
                    ["service", "vra", f"{prefix}-2", "vra", "HOST"],
                    ["resource", "vra", "APP", "vra", "HOST"],
                    ["resource", "vra", "HOST", "vra", "SAN"],
                ],
            ),
        ),
    ]


# --- Reading CSV ---------------------------------------------------------------------------------


def test_excel_csv_with_bom_semicolons_and_crlf(superuser: User, institution: Institution) -> None:
    data = csv_bytes(
        [*SERVICE_HEADER, "description", "availability_target", "p1_response", "p1_resolution"],
        [
            [
                "vra",
                "URN:IVIS:100001:EP.SRV-0101",
                "Deklarēšana; tiešsaistē",  # a semicolon inside a quoted cell
                "residents",
                "e_service|phone",
                "active",
                "yes",
                "Pirmā rinda\r\notrā rinda",  # a line break inside a cell
                "99,5",
                "30",
                "240",
            ],
            ["vra", "VRA-2", "Otrais", "", "", "active", "no", "", "", "", ""],
        ],
    )
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    bundle = transfer.read_file("services.csv", data)
    assert not bundle.errors
    records = bundle.records["services"]
    assert [r.line for r in records] == [3, 4]  # the quoted line break spans two lines
    assert records[0].values["institution"] == "vra"  # the BOM is not part of the first column
    report = ops.import_catalog(actor=superuser, bundle=bundle)
    assert report.applied, messages(report)
    assert report.counts["services"] == {"created": 2, "updated": 0, "unchanged": 0}
    service = Service.objects.get(identifier="URN:IVIS:100001:EP.SRV-0101")
    assert service.name == "Deklarēšana; tiešsaistē"
    assert service.channels == ["e_service", "phone"]
    assert service.description.splitlines() == ["Pirmā rinda", "otrā rinda"]
    level = ServiceLevel.objects.get(service=service)
    assert level.availability_target == Decimal("99.5")
    assert level.targets_by_priority()["P1"].resolution_minutes == 240
    assert Service.objects.get(identifier="VRA-2").is_public is False


@pytest.mark.parametrize(
    ("sep", "eol", "recipients"),
    [
        (",", "\n", "residents|businesses"),
        (",", "\r\n", "residents,businesses"),  # a quoted list with commas
        ("\t", "\n", "residents|businesses"),
        ("\t", "\r\n", "residents, businesses"),
    ],
    ids=["comma", "comma-quoted-list", "tab", "tab-comma-list"],
)
def test_comma_and_tab_separated_csv(
    superuser: User, institution: Institution, sep: str, eol: str, recipients: str
) -> None:
    data = csv_bytes(
        SERVICE_HEADER,
        [["vra", "SRV-1", "Pakalpojums, ar komatu", recipients, "email", "active", "1"]],
        sep=sep,
        eol=eol,
        bom=False,
    )
    report = run_import(superuser, ("services.csv", data))
    assert report.applied, messages(report)
    service = Service.objects.get(identifier="SRV-1")
    assert service.name == "Pakalpojums, ar komatu"
    assert service.recipients == ["residents", "businesses"]
    assert service.channels == ["email"]


def test_kinds_are_recognised_from_the_columns() -> None:
    files = dict(simple_files())
    assert len(transfer.read_file("a.csv", files["services.csv"]).records["services"]) == 2
    assert len(transfer.read_file("b.csv", files["resources.csv"]).records["resources"]) == 3
    bundle = transfer.read_file("c.csv", files["dependencies.csv"])
    assert len(bundle.records["dependencies"]) == 4
    with pytest.raises(transfer.FormatError, match="cannot tell"):
        transfer.read_file("x.csv", b"foo;bar\r\n1;2\r\n")
    with pytest.raises(transfer.FormatError, match="empty"):
        transfer.read_file("x.csv", b"\xef\xbb\xbf")


@pytest.mark.parametrize("encoding", ["cp1257", "cp1252"])
def test_non_utf8_file_is_refused_with_a_clear_message(
    superuser: User, institution: Institution, encoding: str, tmp_path: Path
) -> None:
    name = "Dzīvesvieta" if encoding == "cp1257" else "Café société"
    data = csv_bytes(
        SERVICE_HEADER,
        [["vra", "SRV-1", name, "", "", "active", "yes"]],
        bom=False,
        encoding=encoding,
    )
    with pytest.raises(transfer.FormatError) as exc:
        transfer.read_file("services.csv", data)
    message = str(exc.value)
    assert "services.csv is not in UTF-8" in message
    assert "CSV UTF-8" in message  # says how to save it

    path = tmp_path / "services.csv"
    path.write_bytes(data)
    before = db_counts()
    with pytest.raises(CommandError, match="not in UTF-8"):
        call_command("import-catalog", str(path), "--as", "root", stdout=StringIO())
    assert db_counts() == before


def test_missing_and_unknown_columns_are_line_1_errors(
    superuser: User, institution: Institution
) -> None:
    missing = csv_bytes(["institution", "identifier", "recipients"], [["vra", "S", "residents"]])
    bundle = transfer.read_file("services.csv", missing)
    assert [str(e) for e in bundle.errors] == ["services.csv:1: Missing columns: name."]
    assert bundle.records["services"] == []

    unknown = csv_bytes([*SERVICE_HEADER, "colour", "size"], [["vra", "S", "N", *[""] * 6]])
    bundle = transfer.read_file("services.csv", unknown)
    assert [str(e) for e in bundle.errors] == ["services.csv:1: Unknown columns: colour, size."]

    resources = csv_bytes(["institution", "identifier", "name", "criticality"], [])
    [error] = transfer.read_file("resources.csv", resources).errors
    assert (error.line, error.message) == (1, "Missing columns: type.")

    before = db_counts()
    report = run_import(
        superuser,
        ("services.csv", missing),
        ("resources.csv", dict(simple_files())["resources.csv"]),
    )
    assert not report.ok
    assert db_counts() == before


def test_too_many_cells_is_a_row_error(superuser: User, institution: Institution) -> None:
    data = csv_bytes(RESOURCE_HEADER, [["vra", "R", "N", "server", "low", "extra"]])
    [error] = transfer.read_file("resources.csv", data).errors
    assert error.line == 2
    assert "6 cells" in error.message


def test_duplicate_identifiers_within_a_file_name_both_lines(
    superuser: User, institution: Institution
) -> None:
    data = csv_bytes(
        SERVICE_HEADER,
        [
            ["vra", "SRV-1", "Pirmais", "", "", "active", "yes"],
            ["vra", "SRV-2", "Otrais", "", "", "active", "yes"],
            ["vra", "SRV-1", "Atkārtots", "", "", "active", "yes"],
        ],
    )
    before = db_counts()
    report = run_import(superuser, ("services.csv", data))
    [error] = report.errors
    assert (error.source, error.line, error.column) == ("services.csv", 4, "identifier")
    assert "services.csv:2" in error.message
    assert "SRV-1" in error.message
    assert db_counts() == before


def test_duplicates_across_two_files_name_both_files(
    superuser: User, institution: Institution
) -> None:
    first = csv_bytes(SERVICE_HEADER, [["vra", "SRV-1", "A", "", "", "active", "yes"]])
    second = csv_bytes(
        SERVICE_HEADER,
        [
            ["vra", "x", "B", "", "", "active", "yes"],
            ["vra", "SRV-1", "C", "", "", "active", "yes"],
        ],
    )
    report = run_import(superuser, ("one.csv", first), ("two.csv", second))
    [error] = report.errors
    assert str(error).startswith("two.csv:3: identifier:")
    assert "one.csv:2" in error.message


def test_same_identifier_in_two_institutions_is_not_a_duplicate(
    superuser: User, institution: Institution, other_institution: Institution
) -> None:
    data = csv_bytes(
        SERVICE_HEADER,
        [
            ["vra", "SRV-1", "A", "", "", "active", "yes"],
            ["spa", "SRV-1", "B", "", "", "active", "yes"],
        ],
    )
    report = run_import(superuser, ("services.csv", data))
    assert report.applied, messages(report)
    assert Service.objects.filter(identifier="SRV-1").count() == 2


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (["vra", "SRV 1", "A", "", "", "active", "yes"], "identifier", "no spaces"),
        (["vra", "", "A", "", "", "active", "yes"], "identifier", "no spaces"),
        (
            ["xyz", "SRV-1", "A", "", "", "active", "yes"],
            "institution",
            "Unknown institution “xyz”",
        ),
        (["vra", "SRV-1", "", "", "", "active", "yes"], "name", "required"),
        (
            ["vra", "SRV-1", "A", "tourists", "", "active", "yes"],
            "recipients",
            "Unknown value “tourists”",
        ),
        (["vra", "SRV-1", "A", "", "fax", "active", "yes"], "channels", "Unknown value “fax”"),
        (["vra", "SRV-1", "A", "", "", "deleted", "yes"], "status", "Unknown value"),
        (["vra", "SRV-1", "A", "", "", "active", "maybe"], "public", "yes or no"),
    ],
    ids=[
        "identifier-space",
        "identifier-empty",
        "institution",
        "name",
        "recipient",
        "channel",
        "status",
        "public",
    ],
)
def test_row_errors_name_line_and_column(
    superuser: User,
    institution: Institution,
    row: list[str],
    column: str,
    fragment: str,
) -> None:
    data = csv_bytes(SERVICE_HEADER, [["vra", "OK-1", "Labs", "", "", "active", "yes"], row])
    before = db_counts()
    report = run_import(superuser, ("services.csv", data))
    assert [(e.line, e.column) for e in report.errors] == [(3, column)], messages(report)
    assert fragment in report.errors[0].message
    assert db_counts() == before


def test_blank_public_cell_of_a_new_service_means_the_default_yes(
    superuser: User, institution: Institution
) -> None:
    """docs/catalog-import.md: public “yes/no (default yes)”. Excel users leave optional cells
    blank; a blank ``public`` cell must not silently make a new service internal (hidden from
    the portal)."""
    data = csv_bytes(
        ["institution", "identifier", "name", "public"],
        [["vra", "FILLED", "Aizpildīts", "yes"], ["vra", "BLANK", "Tukšs", ""]],
    )
    report = run_import(superuser, ("services.csv", data))
    assert report.applied, messages(report)
    assert Service.objects.get(identifier="BLANK").is_public is True


def test_blank_status_cell_of_a_new_service_means_the_default_active(
    superuser: User, institution: Institution
) -> None:
    """docs/catalog-import.md: status “planned, active (default), retired”; a blank cell is
    refused today with “Unknown value “””."""
    data = csv_bytes(
        ["institution", "identifier", "name", "status"],
        [["vra", "FILLED", "Aizpildīts", "active"], ["vra", "BLANK", "Tukšs", ""]],
    )
    report = run_import(superuser, ("services.csv", data))
    assert report.applied, messages(report)
    assert Service.objects.get(identifier="BLANK").status == "active"


def test_blank_criticality_of_a_new_resource_takes_the_default(
    superuser: User, institution: Institution
) -> None:
    """docs/catalog-import.md: criticality “medium (default)”."""
    data = csv_bytes(RESOURCE_HEADER, [["vra", "R1", "Serveris", "server", ""]])
    report = run_import(superuser, ("resources.csv", data))
    assert report.applied, messages(report)
    assert Resource.objects.get(identifier="R1").criticality == "medium"


def test_unknown_owner_is_a_row_error(superuser: User, institution: Institution) -> None:
    data = csv_bytes(
        [*SERVICE_HEADER, "owner", "providers"],
        [["vra", "SRV-1", "A", "", "", "active", "yes", "nav-tada", "ari-nav"]],
    )
    report = run_import(superuser, ("services.csv", data))
    assert [(e.column, e.message) for e in report.errors] == [
        ("owner", "Unknown or blocked user “nav-tada”."),
        ("providers", "Unknown or blocked user “ari-nav”."),
    ]
    assert not Service.objects.exists()


def test_blocked_owner_is_a_row_error(
    superuser: User, institution: Institution, make_user: Make
) -> None:
    user = make_user("aizgajis", institution)
    account_ops.set_user_active(actor=superuser, user=user, active=False)
    data = csv_bytes(
        [*RESOURCE_HEADER, "owner"], [["vra", "R", "N", "server", "medium", "aizgajis"]]
    )
    report = run_import(superuser, ("resources.csv", data))
    assert [e.column for e in report.errors] == ["owner"]


def test_dependency_rows_are_checked(
    superuser: User, institution: Institution, make_resource: Make
) -> None:
    make_resource(institution, "HOST")
    data = csv_bytes(
        DEPENDENCY_HEADER,
        [
            ["thing", "vra", "X", "vra", "HOST"],
            ["service", "vra", "NO-SUCH", "vra", "HOST"],
            ["resource", "vra", "HOST", "vra", "MISSING"],
            ["resource", "vra", "HOST", "vra", "HOST"],
            ["resource", "nowhere", "HOST", "vra", "HOST"],
        ],
    )
    report = run_import(superuser, ("dependencies.csv", data))
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "from_type"),
        (3, "from_identifier"),
        (4, "to_identifier"),
        (5, "to_identifier"),
        (6, "from_institution"),
    ]
    assert "MISSING" in report.errors[2].message
    assert not ResourceDependency.objects.exists()


# --- Cycles --------------------------------------------------------------------------------------


def test_cycle_inside_the_file_is_named(superuser: User, institution: Institution) -> None:
    resources = csv_bytes(
        RESOURCE_HEADER,
        [["vra", x, x, "server", "medium"] for x in ("A", "B", "C", "D")],
    )
    deps = csv_bytes(
        DEPENDENCY_HEADER,
        [
            ["resource", "vra", "D", "vra", "A"],
            ["resource", "vra", "A", "vra", "B"],
            ["resource", "vra", "B", "vra", "C"],
            ["resource", "vra", "C", "vra", "A"],
        ],
    )
    before = db_counts()
    report = run_import(superuser, ("resources.csv", resources), ("dependencies.csv", deps))
    [error] = report.errors
    assert error.message.startswith("The dependencies form a cycle: ")
    names = error.message.removeprefix("The dependencies form a cycle: ").rstrip(".").split(" → ")
    assert names[0] == names[-1]
    assert sorted(names[:-1]) == ["vra:A", "vra:B", "vra:C"]
    # Consecutive names are edges of the file.
    edges = {("vra:A", "vra:B"), ("vra:B", "vra:C"), ("vra:C", "vra:A")}
    assert all(pair in edges for pair in itertools.pairwise(names))
    assert db_counts() == before


def test_cycle_with_existing_edges_is_named(
    superuser: User,
    institution: Institution,
    other_institution: Institution,
    make_resource: Make,
    depend: Make,
) -> None:
    a = make_resource(institution, "A")
    x = make_resource(other_institution, "X")
    depend(a, x)
    deps = csv_bytes(DEPENDENCY_HEADER, [["resource", "spa", "X", "vra", "A"]])
    before = db_counts()
    report = run_import(superuser, ("dependencies.csv", deps))
    [error] = report.errors
    assert "vra:A" in error.message
    assert "spa:X" in error.message
    assert error.message.startswith("The dependencies form a cycle:")
    assert db_counts() == before


def test_self_dependency_in_a_file_is_refused(superuser: User, institution: Institution) -> None:
    resources = csv_bytes(RESOURCE_HEADER, [["vra", "A", "A", "server", "medium"]])
    deps = csv_bytes(DEPENDENCY_HEADER, [["resurss", "vra", "A", "vra", "A"]])
    report = run_import(superuser, ("r.csv", resources), ("d.csv", deps))
    assert [e.message for e in report.errors] == ["A resource cannot depend on itself."]
    assert not Resource.objects.exists()


# --- All or nothing ------------------------------------------------------------------------------


def test_one_bad_row_among_hundreds_writes_nothing(
    superuser: User, institution: Institution, make_resource: Make
) -> None:
    make_resource(institution, "EXISTING")
    services = [
        ["vra", f"SRV-{i:03d}", f"Pakalpojums {i}", "residents", "e_service", "active", "yes"]
        for i in range(200)
    ]
    resources = [["vra", f"RES-{i:03d}", f"Resurss {i}", "server", "low"] for i in range(100)]
    deps = [["service", "vra", f"SRV-{i:03d}", "vra", f"RES-{i % 100:03d}"] for i in range(200)]
    deps += [["resource", "vra", f"RES-{i:03d}", "vra", "EXISTING"] for i in range(100)]
    resources.append(["vra", "RES-BAD", "Slikts", "mainframe", "low"])  # the one bad row
    files = [
        ("services.csv", csv_bytes(SERVICE_HEADER, services)),
        ("resources.csv", csv_bytes(RESOURCE_HEADER, resources)),
        ("dependencies.csv", csv_bytes(DEPENDENCY_HEADER, deps)),
    ]
    before = db_counts()
    report = run_import(superuser, *files)
    assert [(e.source, e.line, e.column) for e in report.errors] == [("resources.csv", 102, "type")]
    assert report.counts["services"]["created"] == 200  # what would have happened
    assert db_counts() == before

    # Without the bad row everything goes in, with one audit event per object and edge source.
    resources.pop()
    files[1] = ("resources.csv", csv_bytes(RESOURCE_HEADER, resources))
    report = run_import(superuser, *files)
    assert report.applied, messages(report)
    after = db_counts()
    assert after["services"] == before["services"] + 200
    assert after["resources"] == before["resources"] + 100
    assert after["service_edges"] == 200
    assert after["resource_edges"] == 100
    assert AuditEvent.objects.filter(verb="service.created").count() == 200
    assert AuditEvent.objects.filter(verb="resource.created").count() == 101
    assert AuditEvent.objects.filter(verb="service.dependencies_added").count() == 200
    assert AuditEvent.objects.filter(verb="catalog.imported").count() == 1
    created = AuditEvent.objects.filter(verb="service.created", object_repr="Pakalpojums 7").get()
    assert created.actor == superuser
    assert created.after["identifier"] == "SRV-007"
    assert created.object_id == str(Service.objects.get(identifier="SRV-007").pk)


def test_dry_run_reports_and_writes_nothing(superuser: User, institution: Institution) -> None:
    before = db_counts()
    report = run_import(superuser, *simple_files(), dry_run=True)
    assert report.ok
    assert not report.applied
    assert report.counts == {
        "services": {"created": 2, "updated": 0, "unchanged": 0},
        "resources": {"created": 3, "updated": 0, "unchanged": 0},
        "dependencies": {"created": 4, "updated": 0, "unchanged": 0},
    }
    assert db_counts() == before


def test_reimporting_the_same_files_is_a_no_op(superuser: User, institution: Institution) -> None:
    first = run_import(superuser, *simple_files())
    assert first.applied, messages(first)
    assert ServiceDependency.objects.count() == 2
    assert ResourceDependency.objects.count() == 2
    before = db_counts()
    again = run_import(superuser, *simple_files())
    assert again.ok
    assert nothing_changed(again)
    assert again.counts["services"]["unchanged"] == 2
    assert again.counts["resources"]["unchanged"] == 3
    assert again.counts["dependencies"]["unchanged"] == 4
    assert db_counts() == before


def test_import_updates_only_the_columns_present(
    superuser: User, institution: Institution, make_service: Make
) -> None:
    service = make_service(
        institution, "SRV-1", name="Vecais", category="Reģistri", fee="5 EUR", channels=["post"]
    )
    data = csv_bytes(["institution", "identifier", "name"], [["vra", "SRV-1", "Jaunais"]])
    report = run_import(superuser, ("services.csv", data))
    assert report.counts["services"] == {"created": 0, "updated": 1, "unchanged": 0}
    service.refresh_from_db()
    assert (service.name, service.category, service.fee, service.channels) == (
        "Jaunais",
        "Reģistri",
        "5 EUR",
        ["post"],
    )
    [event] = AuditEvent.objects.for_object(service).filter(verb="service.updated")
    assert (event.before["name"], event.after["name"]) == ("Vecais", "Jaunais")
    assert event.actor == superuser


def test_import_update_moves_updated_at(
    superuser: User, institution: Institution, make_service: Make
) -> None:
    """An import that changes a service is a change like any other: ``updated_at`` moves."""
    service = make_service(institution, "SRV-1", name="Vecais")
    Service.objects.filter(pk=service.pk).update(updated_at=service.updated_at.replace(year=2020))
    data = csv_bytes(["institution", "identifier", "name"], [["vra", "SRV-1", "Jaunais"]])
    assert run_import(superuser, ("services.csv", data)).applied
    service.refresh_from_db()
    assert service.name == "Jaunais"
    assert service.updated_at.year > 2020


# --- Permissions ---------------------------------------------------------------------------------


def test_rows_of_an_institution_without_rights_are_errors(
    make_user: Make, institution: Institution, other_institution: Institution
) -> None:
    user = make_user("resursi", institution, Role.RESOURCE_PORTFOLIO_OWNER)
    files = simple_files()
    before = db_counts()
    report = run_import(user, *files)
    # Resources are theirs; services are not, nor service → resource dependencies.
    assert [(e.source, e.line, e.column) for e in report.errors] == [
        ("services.csv", 2, "institution"),
        ("services.csv", 3, "institution"),
        ("dependencies.csv", 2, "from_institution"),
        ("dependencies.csv", 3, "from_institution"),
    ]
    assert report.errors[0].message == "You may not change the catalog of vra."
    assert db_counts() == before

    foreign = csv_bytes(RESOURCE_HEADER, [["spa", "R", "N", "server", "medium"]])
    report = run_import(user, ("resources.csv", foreign))
    assert [e.message for e in report.errors] == ["You may not change the catalog of spa."]
    assert db_counts() == before

    # The resources alone are fine.
    report = run_import(user, files[1])
    assert report.applied, messages(report)


def test_staff_without_catalog_rights_import_nothing(
    make_user: Make, institution: Institution
) -> None:
    user = make_user("atbalsts", institution, Role.SUPPORT_SPECIALIST)
    before = db_counts()
    report = run_import(user, *simple_files())
    assert len(report.errors) == 2 + 3 + 4
    assert db_counts() == before


# --- Owners, providers, related services, service levels -----------------------------------------


def test_owners_providers_related_and_service_levels(
    superuser: User, institution: Institution, make_user: Make
) -> None:
    owner = make_user("pakalpojums", institution)
    provider1 = make_user("sniedzejs", institution)
    provider2 = make_user("sniedzeja", institution)
    res_owner = make_user("resurss", institution)
    services = csv_bytes(
        [
            "institution",
            "identifier",
            "name",
            "related",
            "owner",
            "providers",
            "around_the_clock",
            "support_start",
            "support_end",
            "support_days",
            "availability_target",
            "p1_response",
            "p1_resolution",
            "p4_response",
            "p4_resolution",
        ],
        [
            [
                "vra",
                "A",
                "A",
                "B|C",
                "pakalpojums",
                "sniedzejs|sniedzeja",
                "no",
                "09:00",
                "16:30",
                "1,2,3,4",
                "99,9",
                "15",
                "120",
                "480",
                "2400",
            ],
            ["vra", "B", "B", "A", "", "", "jā", "", "", "", "", "", "", "", ""],
            ["vra", "C", "C", "A", "", "", "", "", "", "", "", "", "", "", ""],
        ],
    )
    resources = csv_bytes(
        [*RESOURCE_HEADER, "owner"], [["vra", "R", "R", "server", "medium", "resurss"]]
    )
    report = run_import(superuser, ("services.csv", services), ("resources.csv", resources))
    assert report.applied, messages(report)
    assert report.summary == {"service_levels": 2, "owners": 2, "providers": 2, "related": 3}
    a = Service.objects.get(identifier="A")
    assert ops.accountable_owner(a).user == owner
    assert ops.accountable_owner(Resource.objects.get(identifier="R")).user == res_owner
    providers = RoleAssignment.objects.filter(scope_id=a.pk, role=Role.SERVICE_PROVIDER)
    assert {p.user for p in providers} == {provider1, provider2}
    assert all(p.responsibility == Responsibility.CO_RESPONSIBLE for p in providers)
    assert {s.identifier for s in a.related.all()} == {"B", "C"}
    level = ServiceLevel.objects.get(service=a)
    assert (level.support_start, level.support_end, level.support_days) == (
        time(9, 0),
        time(16, 30),
        "1234",
    )
    assert level.availability_target == Decimal("99.9")
    targets = level.targets_by_priority()
    assert sorted(targets) == ["P1", "P4"]
    assert (targets["P4"].response_minutes, targets["P4"].resolution_minutes) == (480, 2400)
    b_level = ServiceLevel.objects.get(service__identifier="B")
    assert b_level.around_the_clock
    assert not ServiceLevel.objects.filter(service__identifier="C").exists()
    assert AuditEvent.objects.filter(verb="service.level_set").count() == 2

    # A new owner replaces the old one: still exactly one accountable owner.
    newcomer = make_user("jaunais", institution)
    change = csv_bytes(
        ["institution", "identifier", "name", "owner"], [["vra", "A", "A", "jaunais"]]
    )
    report = run_import(superuser, ("services.csv", change))
    assert report.summary["owners"] == 1
    owners = RoleAssignment.objects.filter(
        scope_id=a.pk, role=Role.SERVICE_OWNER, responsibility="A"
    )
    assert [o.user for o in owners] == [newcomer]


@pytest.mark.parametrize(
    ("columns", "fragment"),
    [
        ({"p1_response": "30"}, "P1: give both"),
        ({"p1_response": "300", "p1_resolution": "30"}, "P1: resolution cannot be due before"),
        ({"p2_response": "-5", "p2_resolution": "30"}, "whole number"),
        ({"p2_response": "1,5", "p2_resolution": "30"}, "whole number"),
        ({"support_start": "8.30"}, "HH:MM"),
        ({"support_start": "25:00"}, "HH:MM"),
        ({"support_start": "17:00", "support_end": "08:00"}, "Support must end after it starts"),
        ({"support_days": "1238"}, "Days as digits"),
        ({"availability_target": "101"}, "between 0 and 100"),
        ({"availability_target": "deviņdesmit"}, "Write a number"),
        ({"around_the_clock": "dažreiz"}, "yes or no"),
    ],
)
def test_service_level_cells_are_checked(
    superuser: User, institution: Institution, columns: dict[str, str], fragment: str
) -> None:
    header = ["institution", "identifier", "name", *columns]
    data = csv_bytes(header, [["vra", "SRV-1", "A", *columns.values()]])
    report = run_import(superuser, ("services.csv", data))
    [error] = report.errors
    assert fragment in error.message
    assert error.line == 2
    assert not Service.objects.exists()


def test_around_the_clock_ignores_the_hours(superuser: User, institution: Institution) -> None:
    data = csv_bytes(
        ["institution", "identifier", "name", "around_the_clock", "support_start", "support_end"],
        [["vra", "SRV-1", "A", "yes", "17:00", "08:00"]],
    )
    assert run_import(superuser, ("services.csv", data)).applied
    assert ServiceLevel.objects.get().around_the_clock


def test_not_a_number_availability_target_is_a_row_error(
    superuser: User, institution: Institution
) -> None:
    """“NaN” parses as a Decimal, and comparing it raises ``decimal.InvalidOperation``: the
    import must answer with a row error, not crash."""
    data = csv_bytes(
        ["institution", "identifier", "name", "availability_target"],
        [["vra", "SRV-1", "A", "NaN"]],
    )
    before = db_counts()
    report = run_import(superuser, ("services.csv", data))
    [error] = report.errors
    assert error.line == 2
    assert db_counts() == before


def test_minutes_beyond_the_database_integer_range_are_a_row_error(
    superuser: User, institution: Institution
) -> None:
    """Targets are ``PositiveIntegerField`` (at most 2,147,483,647): the operations refuse
    larger values through ``full_clean``, the importer must refuse them as a row error too
    (PostgreSQL would otherwise fail the whole import with a DataError)."""
    data = csv_bytes(
        ["institution", "identifier", "name", "p1_response", "p1_resolution"],
        [["vra", "SRV-1", "A", "3000000000", "3000000000"]],
    )
    before = db_counts()
    report = run_import(superuser, ("services.csv", data))
    assert [e.line for e in report.errors] == [2]
    assert db_counts() == before


def test_owner_who_is_a_partner_member_is_a_row_error_not_a_crash(
    superuser: User, institution: Institution, make_user: Make
) -> None:
    """A partner member cannot hold the staff role of service owner. Planning accepted the row,
    and applying then raised ``ValidationError`` out of ``import_catalog`` (a 500 on the
    web page's confirm step, after its dry run had said all was well)."""
    make_user("partneris", institution, kind="partner")
    data = csv_bytes(
        ["institution", "identifier", "name", "owner"], [["vra", "SRV-1", "A", "partneris"]]
    )
    dry = run_import(superuser, ("services.csv", data), dry_run=True)
    before = db_counts()
    report = run_import(superuser, ("services.csv", data))
    assert [e.column for e in report.errors] == ["owner"]
    assert [e.column for e in dry.errors] == ["owner"]
    assert db_counts() == before


def test_owner_from_another_institution_gains_no_membership(
    make_user: Make, institution: Institution, other_institution: Institution
) -> None:
    """The service portfolio owner may not add members to the institution (that is the
    administrator's right), and the web page only offers the institution's members as owners.
    Naming someone else's employee as owner in an import must not make them VRA staff (who
    would then see every internal VRA service and resource)."""
    portfolio = make_user("portfelis", institution, Role.SERVICE_PORTFOLIO_OWNER)
    outsider = make_user("spa-darbinieks", other_institution)
    data = csv_bytes(
        ["institution", "identifier", "name", "owner"], [["vra", "SRV-1", "A", "spa-darbinieks"]]
    )
    report = run_import(portfolio, ("services.csv", data))
    assert not Membership.objects.filter(user=outsider, institution=institution).exists()
    assert [e.column for e in report.errors] == ["owner"]


def test_related_listed_on_one_side_only_reimports_as_a_no_op(
    superuser: User, institution: Institution
) -> None:
    """Related services are symmetric. A file that lists the relation on A's row only (B's
    cell empty) must give the same result every time it is imported."""
    data = csv_bytes(
        ["institution", "identifier", "name", "related"],
        [["vra", "A", "A", "B"], ["vra", "B", "B", ""]],
    )
    first = run_import(superuser, ("services.csv", data))
    assert first.applied, messages(first)
    related_after_first = set(Service.objects.get(identifier="A").related.all())
    before = db_counts()
    again = run_import(superuser, ("services.csv", data))
    assert nothing_changed(again), (again.counts, again.summary)
    assert set(Service.objects.get(identifier="A").related.all()) == related_after_first
    assert db_counts() == before


def test_related_must_be_known_services_of_the_institution(
    superuser: User, institution: Institution
) -> None:
    data = csv_bytes(
        ["institution", "identifier", "name", "related"],
        [["vra", "A", "A", "A"], ["vra", "B", "B", "NOPE"]],
    )
    report = run_import(superuser, ("services.csv", data))
    assert sorted((e.line, e.column, e.message) for e in report.errors) == [
        (2, "related", "A service cannot be related to itself."),
        (3, "related", "Unknown related service “NOPE”."),
    ]


# --- Labels: English always, Latvian once translated --------------------------------------------


def test_english_labels_and_codes_are_accepted(superuser: User, institution: Institution) -> None:
    services = csv_bytes(
        SERVICE_HEADER,
        [
            [
                "vra",
                "S1",
                "A",
                "Residents|BUSINESSES",
                "Visitor service desk|E-mail",
                "Planned",
                "Yes",
            ],
            ["vra", "S2", "B", "institutions", "video|Post", "retired", "FALSE"],
        ],
    )
    resources = csv_bytes(
        RESOURCE_HEADER,
        [
            ["vra", "R1", "R", "Information system", "Critical"],
            ["vra", "R2", "R", "External or partner service", "low"],
        ],
    )
    report = run_import(superuser, ("s.csv", services), ("r.csv", resources))
    assert report.applied, messages(report)
    s1 = Service.objects.get(identifier="S1")
    assert (s1.recipients, s1.channels, s1.status, s1.is_public) == (
        ["residents", "businesses"],
        ["visitor_desk", "email"],
        "planned",
        True,
    )
    s2 = Service.objects.get(identifier="S2")
    assert (s2.channels, s2.status, s2.is_public) == (["video", "post"], "retired", False)
    r1 = Resource.objects.get(identifier="R1")
    assert (r1.type, r1.criticality) == ("information_system", "critical")
    assert Resource.objects.get(identifier="R2").type == "external_service"


def test_latvian_yes_no_and_decimal_comma(superuser: User, institution: Institution) -> None:
    """These do not depend on the translation catalogue."""
    data = csv_bytes(
        ["institution", "identifier", "name", "public", "around_the_clock", "availability_target"],
        [
            ["vra", "S1", "A", "jā", "nē", "99,5"],
            ["vra", "S2", "B", "nē", "JĀ", "97,25 %"],
            ["vra", "S3", "C", "ja", "ne", "99.125"],
        ],
    )
    report = run_import(superuser, ("services.csv", data))
    assert report.applied, messages(report)
    s1, s2, s3 = (Service.objects.get(identifier=i) for i in ("S1", "S2", "S3"))
    assert (s1.is_public, s2.is_public, s3.is_public) == (True, False, True)
    assert ServiceLevel.objects.get(service=s1).availability_target == Decimal("99.5")
    assert ServiceLevel.objects.get(service=s2).availability_target == Decimal("97.25")
    assert ServiceLevel.objects.get(service=s2).around_the_clock
    assert ServiceLevel.objects.get(service=s3).availability_target == Decimal("99.125")


def latvian(english: str) -> str:
    """The Latvian label of ``english``, or skip: labels resolve only once translated."""
    with translation.override("lv"):
        text = gettext(english)
    if text == english:
        pytest.skip(f"the compiled Latvian catalogue does not translate “{english}” yet")
    return text


def test_latvian_recipient_labels_with_and_without_diacritics(
    superuser: User, institution: Institution
) -> None:
    residents = latvian("Residents")  # e.g. “Iedzīvotāji”
    businesses = latvian("Businesses")
    data = csv_bytes(
        ["institution", "identifier", "name", "recipients"],
        [
            ["vra", "S1", "A", residents.lower()],  # iedzīvotāji
            ["vra", "S2", "B", fold(residents)],  # iedzivotaji
            ["vra", "S3", "C", f"{residents.upper()}|{fold(businesses)}"],
        ],
    )
    report = run_import(superuser, ("services.csv", data))
    assert report.applied, messages(report)
    assert Service.objects.get(identifier="S1").recipients == ["residents"]
    assert Service.objects.get(identifier="S2").recipients == ["residents"]
    assert Service.objects.get(identifier="S3").recipients == ["residents", "businesses"]


def test_latvian_channel_and_criticality_labels(superuser: User, institution: Institution) -> None:
    phone = latvian("Phone")  # “Tālrunis”
    critical = latvian("Critical")  # “Kritiska”
    server = latvian("Server")
    services = csv_bytes(
        ["institution", "identifier", "name", "channels"],
        [["vra", "S1", "A", phone], ["vra", "S2", "B", fold(phone)]],
    )
    resources = csv_bytes(
        RESOURCE_HEADER,
        [
            ["vra", "R1", "A", server, critical.lower()],
            ["vra", "R2", "B", fold(server), fold(critical)],
        ],
    )
    report = run_import(superuser, ("s.csv", services), ("r.csv", resources))
    assert report.applied, messages(report)
    assert {tuple(s.channels) for s in Service.objects.all()} == {("phone",)}
    assert {(r.type, r.criticality) for r in Resource.objects.all()} == {("server", "critical")}


def test_documented_latvian_examples(superuser: User, institution: Institution) -> None:
    """The literal values of the documentation: “iedzīvotāji”, “iedzivotaji”, “Tālrunis”,
    “kritiska”."""
    for english in ("Residents", "Phone", "Critical", "Server", "Visitor service desk"):
        latvian(english)
    data = csv_bytes(
        ["institution", "identifier", "name", "recipients", "channels", "public"],
        [
            ["vra", "S1", "A", "iedzīvotāji", "Tālrunis", "jā"],
            ["vra", "S2", "B", "iedzivotaji", "talrunis", "ne"],
        ],
    )
    resources = csv_bytes(RESOURCE_HEADER, [["vra", "R1", "A", "serveris", "kritiska"]])
    report = run_import(superuser, ("s.csv", data), ("r.csv", resources))
    assert report.applied, messages(report)
    assert {tuple(s.recipients) for s in Service.objects.all()} == {("residents",)}
    assert {tuple(s.channels) for s in Service.objects.all()} == {("phone",)}
    assert Resource.objects.get().criticality == "critical"


# --- JSON ----------------------------------------------------------------------------------------


def test_json_import(superuser: User, institution: Institution, make_user: Make) -> None:
    make_user("pakalpojums", institution)
    document = {
        "format": "zina-catalog",
        "version": 1,
        "services": [
            {
                "institution": "vra",
                "identifier": "S1",
                "name": "JSON pakalpojums",
                "recipients": ["residents"],
                "channels": ["e_service", "phone"],
                "public": False,
                "owner": "pakalpojums",
                "availability_target": 99.5,
                "p1_response": 30,
                "p1_resolution": 240,
            }
        ],
        "resources": [{"institution": "vra", "identifier": "R1", "name": "R", "type": "server"}],
        "dependencies": [
            {
                "from_type": "service",
                "from_institution": "vra",
                "from_identifier": "S1",
                "to_institution": "vra",
                "to_identifier": "R1",
            }
        ],
    }
    report = run_import(superuser, ("catalog.json", json.dumps(document).encode()))
    assert report.applied, messages(report)
    service = Service.objects.get(identifier="S1")
    assert (service.channels, service.is_public) == (["e_service", "phone"], False)
    assert ServiceLevel.objects.get(service=service).availability_target == Decimal("99.5")
    assert list(service.resources.all()) == [Resource.objects.get(identifier="R1")]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"services": [', "is not valid JSON"),
        ("[1, 2, 3]", "expected an object"),
        ('{"things": []}', "expected an object"),
        ('"services"', "expected an object"),
    ],
    ids=["invalid", "list", "no-known-key", "string"],
)
def test_json_format_errors(
    superuser: User, institution: Institution, text: str, fragment: str, tmp_path: Path
) -> None:
    with pytest.raises(transfer.FormatError, match=fragment):
        transfer.read_file("catalog.json", text.encode())
    path = tmp_path / "catalog.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=fragment):
        call_command("import-catalog", str(path), "--as", "root", stdout=StringIO())


def test_json_entry_errors(superuser: User, institution: Institution) -> None:
    document = {
        "services": [
            {"institution": "vra", "identifier": "OK", "name": "Labs"},
            "not an object",
            {"institution": "vra", "identifier": "S3", "colour": "red"},
            {"institution": "vra", "identifier": "S4", "name": "X", "status": "gone"},
        ],
        "resources": {"institution": "vra"},
    }
    bundle = transfer.read_file("catalog.json", json.dumps(document).encode())
    assert [str(e) for e in bundle.errors] == [
        "catalog.json services[2]: Each entry must be an object.",
        "catalog.json services[3]: Missing columns: name. Unknown columns: colour.",
        "catalog.json: “resources” must be a list.",
    ]
    before = db_counts()
    report = ops.import_catalog(actor=superuser, bundle=bundle)
    assert "catalog.json services[4]: status: Unknown value “gone”." in messages(report)[-1]
    assert db_counts() == before


# --- The command line ---------------------------------------------------------------------------


def write_files(tmp_path: Path, files: list[tuple[str, bytes]]) -> list[str]:
    paths = []
    for name, data in files:
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_cli_dry_run_then_import_then_again(
    superuser: User, institution: Institution, tmp_path: Path
) -> None:
    paths = write_files(tmp_path, simple_files())
    before = db_counts()
    out = StringIO()
    call_command("import-catalog", *paths, "--as", "root", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "services: 2 new, 0 changed, 0 unchanged" in text
    assert "resources: 3 new, 0 changed, 0 unchanged" in text
    assert "dependencies: 4 new, 0 changed, 0 unchanged" in text
    assert "Dry run: nothing was written." in text
    assert db_counts() == before

    out = StringIO()
    call_command("import-catalog", *paths, "--as", "root", stdout=out)
    assert "Imported." in out.getvalue()
    assert Service.objects.count() == 2
    assert Resource.objects.count() == 3

    after = db_counts()
    out = StringIO()
    call_command("import-catalog", *paths, "--as", "root", stdout=out)
    assert "services: 0 new, 0 changed, 2 unchanged" in out.getvalue()
    assert "dependencies: 0 new, 0 changed, 4 unchanged" in out.getvalue()
    assert db_counts() == after


def test_cli_errors_write_nothing_and_name_the_rows(
    superuser: User, institution: Institution, tmp_path: Path
) -> None:
    files = simple_files()
    files[1] = (
        "resources.csv",
        csv_bytes(
            RESOURCE_HEADER, [["vra", "APP", "A", "application", "medium"], ["vra", "HOST", "H"]]
        ),
    )
    paths = write_files(tmp_path, files)
    before = db_counts()
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import-catalog", *paths, "--as", "root", stdout=StringIO(), stderr=err)
    assert "resources.csv:3: type: This value is required." in err.getvalue()
    assert db_counts() == before


def test_cli_kind_option_and_unknown_user(
    superuser: User, institution: Institution, tmp_path: Path
) -> None:
    # Only institution, identifier and name: recognised as services; --kind says resources,
    # which then lacks its required type column.
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes(["institution", "identifier", "name"], [["vra", "X", "X"]]))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import-catalog",
            str(path),
            "--as",
            "root",
            "--kind",
            "resources",
            stdout=StringIO(),
            stderr=err,
        )
    assert "Missing columns: type." in err.getvalue()
    with pytest.raises(CommandError, match="No active user"):
        call_command("import-catalog", str(path), "--as", "nobody", stdout=StringIO())
    with pytest.raises(CommandError, match=r"missing\.csv"):
        call_command("import-catalog", str(tmp_path / "missing.csv"), "--as", "root")
    assert not Service.objects.exists()
    assert not Resource.objects.exists()


# --- Export and round trips ---------------------------------------------------------------------


@pytest.fixture
def rich_catalog(
    superuser: User,
    institution: Institution,
    other_institution: Institution,
    make_user: Make,
    make_service: Make,
    make_resource: Make,
    depend: Make,
) -> dict[str, Any]:
    """Two institutions: service levels, owners, providers, related services, and edges that
    cross from one institution to the other."""
    s1 = make_service(
        institution,
        "URN:IVIS:100001:EP.SRV-0101",
        name="Dzīvesvietas deklarēšana",
        name_en="Declaration of residence",
        description="Apraksts ar “pēdiņām”; semikolu\nun jaunu rindu",
        category="Dzīvesvieta",
        recipients=["residents", "businesses"],
        channels=["e_service", "visitor_desk"],
        fee="Bez maksas",
        legal_basis="Dzīvesvietas deklarēšanas likums",
    )
    s2 = make_service(
        institution, "VRA-PAK-002", name="Iekšējais", is_public=False, status="planned"
    )
    s3 = make_service(institution, "VRA-PAK-003", name="Vēsturisks", status="retired")
    t1 = make_service(other_institution, "SPA-PAK-001", name="Pabalsts", channels=["post"])
    ops.set_related_services(actor=superuser, service=s1, related=[s2, s3])
    ops.set_service_level(
        actor=superuser,
        service=s1,
        data=ops.ServiceLevelData(
            support_start=time(8, 0),
            support_end=time(17, 30),
            support_days="12345",
            availability_target=Decimal("99.5"),
            targets={"P1": ops.TargetData(30, 240), "P3": ops.TargetData(240, 1440)},
        ),
    )
    ops.set_service_level(
        actor=superuser,
        service=s2,
        data=ops.ServiceLevelData(around_the_clock=True, availability_target=Decimal("99.95")),
    )
    ops.set_service_level(
        actor=superuser,
        service=t1,
        data=ops.ServiceLevelData(availability_target=Decimal("100")),
    )
    app = make_resource(
        institution, "VRA-IS-001", type="information_system", criticality="critical"
    )
    host = make_resource(institution, "VRA-SRV-01", type="server", name="Serveris")
    spa_net = make_resource(other_institution, "SPA-NET", type="network", criticality="high")
    spa_app = make_resource(other_institution, "SPA-APP", type="application")
    depend(s1, app)
    depend(s2, spa_net)  # service → another institution's resource
    depend(t1, spa_app)
    depend(t1, host)
    depend(app, host)
    depend(host, spa_net)  # resource → another institution's resource
    depend(spa_app, host)
    owner = make_user("pakalpojums", institution)
    res_owner = make_user("resurss", institution)
    spa_owner = make_user("spa-ipasnieks", other_institution)
    ops.set_accountable_owner(actor=superuser, obj=s1, user=owner)
    ops.set_accountable_owner(actor=superuser, obj=app, user=res_owner)
    ops.set_accountable_owner(actor=superuser, obj=t1, user=spa_owner)
    for username in ("sniedzejs", "sniedzeja"):
        account_ops.assign_role(
            actor=superuser,
            user=make_user(username, institution),
            institution=institution,
            role=Role.SERVICE_PROVIDER,
            scope=s1,
        )
    return {"s1": s1, "s2": s2, "s3": s3, "t1": t1, "app": app, "host": host}


def export_all() -> dict[str, list[dict[str, Any]]]:
    root = User.objects.get(username="root")  # the superuser fixture: sees everything
    return transfer.export_rows(
        root,
        Service.objects.select_related("institution").order_by("institution__code", "identifier"),
        Resource.objects.select_related("institution").order_by("institution__code", "identifier"),
    )


def test_export_rows_carry_everything(rich_catalog: dict[str, Any]) -> None:
    rows = export_all()
    by_id = {r["identifier"]: r for r in rows["services"]}
    s1 = by_id["URN:IVIS:100001:EP.SRV-0101"]
    assert s1["owner"] == "pakalpojums"
    assert s1["providers"] == ["sniedzeja", "sniedzejs"]
    assert sorted(s1["related"]) == ["VRA-PAK-002", "VRA-PAK-003"]
    assert (s1["support_start"], s1["support_end"], s1["availability_target"]) == (
        "08:00",
        "17:30",
        "99.5",
    )
    assert (s1["p1_response"], s1["p1_resolution"], s1["p2_response"]) == (30, 240, "")
    assert by_id["VRA-PAK-003"]["support_start"] == ""
    assert by_id["VRA-PAK-002"]["around_the_clock"] is True
    deps = {
        (d["from_identifier"], d["to_institution"], d["to_identifier"])
        for d in rows["dependencies"]
    }
    assert ("VRA-PAK-002", "spa", "SPA-NET") in deps
    assert ("VRA-SRV-01", "spa", "SPA-NET") in deps
    assert ("SPA-PAK-001", "vra", "VRA-SRV-01") in deps
    assert len(rows["dependencies"]) == 7


def test_export_writes_availability_as_plain_numbers(rich_catalog: dict[str, Any]) -> None:
    """A 100 % (or 90 %) target must not come out as “1E+2” (“9E+1”) in the Excel file."""
    rows = export_all()
    by_id = {r["identifier"]: r for r in rows["services"]}
    assert by_id["SPA-PAK-001"]["availability_target"] == "100"
    csv_text = transfer.to_csv("services", rows["services"])
    assert "E+" not in csv_text


def test_csv_export_is_excel_friendly(rich_catalog: dict[str, Any]) -> None:
    rows = export_all()
    text = transfer.to_csv("services", rows["services"])
    assert text.startswith("\ufeffinstitution;identifier;name;")
    assert "\r\n" in text
    assert ";yes;" in text or ";no;" in text
    assert "residents|businesses" in text
    assert "\ninstitution" not in text
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))
    assert len(parsed) == 1 + 4
    assert all(len(r) == len(transfer.COLUMNS["services"]) for r in parsed)


def test_csv_round_trip_changes_nothing(rich_catalog: dict[str, Any], superuser: User) -> None:
    rows = export_all()
    files = [(f"{k}.csv", transfer.to_csv(k, rows[k]).encode("utf-8")) for k in transfer.KINDS]
    before = db_counts()
    report = run_import(superuser, *files)
    assert report.ok, messages(report)
    assert nothing_changed(report), (report.counts, report.summary)
    assert report.counts["services"]["unchanged"] == 4
    assert report.counts["resources"]["unchanged"] == 4
    assert report.counts["dependencies"]["unchanged"] == 7
    assert db_counts() == before
    assert export_all() == rows


def test_json_round_trip_changes_nothing(rich_catalog: dict[str, Any], superuser: User) -> None:
    rows = export_all()
    text = transfer.to_json(rows)
    assert json.loads(text)["format"] == "zina-catalog"
    before = db_counts()
    report = run_import(superuser, ("catalog.json", text.encode("utf-8")))
    assert report.ok, messages(report)
    assert nothing_changed(report), (report.counts, report.summary)
    assert db_counts() == before
    assert export_all() == rows


def test_cli_export_import_round_trip(
    rich_catalog: dict[str, Any], superuser: User, tmp_path: Path
) -> None:
    call_command(
        "export-catalog", "--as", "root", "--out", str(tmp_path / "csv"), stdout=StringIO()
    )
    call_command(
        "export-catalog",
        "--as",
        "root",
        "--format",
        "json",
        "--out",
        str(tmp_path / "catalog.json"),
        stdout=StringIO(),
    )
    csv_paths = sorted(str(p) for p in (tmp_path / "csv").iterdir())
    assert [Path(p).name for p in csv_paths] == [
        "dependencies.csv",
        "resources.csv",
        "services.csv",
    ]
    assert (tmp_path / "csv" / "services.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    before = db_counts()
    for paths in (csv_paths, [str(tmp_path / "catalog.json")]):
        out = StringIO()
        call_command("import-catalog", *paths, "--as", "root", stdout=out)
        text = out.getvalue()
        assert "services: 0 new, 0 changed, 4 unchanged" in text, text
        assert "resources: 0 new, 0 changed, 4 unchanged" in text
        assert "dependencies: 0 new, 0 changed, 7 unchanged" in text
        assert "also:" not in text
    assert db_counts() == before


def test_cli_export_of_one_institution_as_its_staff(
    rich_catalog: dict[str, Any], make_user: Make, other_institution: Institution, tmp_path: Path
) -> None:
    make_user("spa-staff", other_institution, Role.SUPPORT_SPECIALIST)
    out = tmp_path / "spa.json"
    call_command(
        "export-catalog",
        "--as",
        "spa-staff",
        "--format",
        "json",
        "--out",
        str(out),
        stdout=StringIO(),
    )
    document = json.loads(out.read_text(encoding="utf-8"))
    services = {s["identifier"] for s in document["services"]}
    # SPA's own, and VRA's public active/retired ones; never VRA's internal planned service.
    assert services == {
        "SPA-PAK-001",
        "URN:IVIS:100001:EP.SRV-0101",
        "VRA-PAK-003",
    }
    assert {r["identifier"] for r in document["resources"]} == {"SPA-NET", "SPA-APP"}
    call_command(
        "export-catalog",
        "--as",
        "spa-staff",
        "--format",
        "json",
        "--institution",
        "spa",
        "--out",
        str(out),
        stdout=StringIO(),
    )
    document = json.loads(out.read_text(encoding="utf-8"))
    assert {s["institution"] for s in document["services"]} == {"spa"}


# --- The demo catalog ---------------------------------------------------------------------------


def test_demo_catalog_loads_and_round_trips(db: None, tmp_path: Path) -> None:
    from zina.core.demo import load_demo

    logins = load_demo()
    assert ("sistema", logins[0][1]) == logins[0]
    assert Service.objects.count() >= 30
    assert Resource.objects.count() >= 40
    assert ResourceDependency.objects.exists()
    assert ServiceDependency.objects.exists()
    assert ServiceLevel.objects.exists()
    # Cross-institution dependencies are part of the demo.
    assert ResourceDependency.objects.exclude(
        resource__institution=F("depends_on__institution")
    ).exists()
    partner = User.objects.get(username="partneris")
    assert {r.identifier for r in Resource.objects.visible_to(partner)} == {
        "VRA-EXT-001",
        "VRA-WS-001",
    }

    before = db_counts()
    load_demo()  # idempotent
    assert db_counts() == before

    for fmt, target in (("json", tmp_path / "demo.json"), ("csv", tmp_path / "csv")):
        call_command(
            "export-catalog",
            "--as",
            "sistema",
            "--format",
            fmt,
            "--out",
            str(target),
            stdout=StringIO(),
        )
        paths = [str(target)] if fmt == "json" else sorted(str(p) for p in target.iterdir())
        out = StringIO()
        call_command("import-catalog", *paths, "--as", "sistema", stdout=out)
        assert " 0 new, 0 changed" in out.getvalue()
        assert "new, 0 changed" in out.getvalue()
        assert all(
            " 0 new, 0 changed," in line for line in out.getvalue().splitlines() if "new," in line
        ), out.getvalue()
        assert db_counts() == before


def test_importer_cannot_probe_resources_of_another_institution(
    make_user: Callable[..., User],
    institution: Institution,
    other_institution: Institution,
    make_service: Callable[..., Service],
    make_resource: Callable[..., Resource],
) -> None:
    """A dependency on a resource the importer may not see gets the same message as one on a
    resource that does not exist, so an import cannot be used to discover other institutions'
    resource identifiers."""
    owner = make_user("portfelis", institution, Role.SERVICE_PORTFOLIO_OWNER)
    make_service(institution, "S1")
    make_resource(other_institution, "SECRET-DB")
    header = ["from_type", "from_institution", "from_identifier", "to_institution", "to_identifier"]
    report = run_import(
        owner,
        (
            "dependencies.csv",
            csv_bytes(
                header,
                [
                    ["service", institution.code, "S1", other_institution.code, "SECRET-DB"],
                    ["service", institution.code, "S1", other_institution.code, "NO-SUCH"],
                ],
            ),
        ),
    )
    assert [e.message for e in report.errors] == [
        "Unknown resource “SECRET-DB”.",
        "Unknown resource “NO-SUCH”.",
    ]
