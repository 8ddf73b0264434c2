"""Catalog import and export: CSV (as Latvian Excel writes it) and JSON, in one format.

Reading turns files into records (one per row) without touching the database. Planning
validates every record against the database and the rest of the file and works out what would
change; nothing is written while any record has an error. Applying writes the plan in bulk in
the caller's transaction, with an audit event per created or changed object.
See docs/catalog-import.md for the format.
"""

from .export import export_rows, to_csv, to_json
from .formats import (
    COLUMNS,
    DEPENDENCIES,
    KINDS,
    RESOURCES,
    SERVICES,
    Bundle,
    FormatError,
    Record,
    RowError,
    read_file,
)
from .plan import Plan, Planner, apply

__all__ = [
    "COLUMNS",
    "DEPENDENCIES",
    "KINDS",
    "RESOURCES",
    "SERVICES",
    "Bundle",
    "FormatError",
    "Plan",
    "Planner",
    "Record",
    "RowError",
    "apply",
    "export_rows",
    "read_file",
    "to_csv",
    "to_json",
]
