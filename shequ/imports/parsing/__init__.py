"""The file-parsing layer of imports: tables, column mapping, cell values, addresses, error reports.

Pure Python, no Django: the import pipeline (models, services, tasks) is built on these."""

from .address import AddressError, AddressMatch, PlaceIndex, normalize_address
from .errors_report import write_error_report
from .mapping import FIELD_LABELS, FIELDS, apply_mapping, normalize_header, suggest_mapping
from .reader import FileFormatError, SourceRow, Table, TableReader, cell_text, open_table, read_table
from .values import (
    ETHNIC_GROUPS,
    ParseError,
    PartialDateError,
    parse_date,
    parse_ethnicity,
    parse_id_number,
    parse_name,
    parse_phones,
    parse_role,
    parse_sex,
    validate_person_row,
)

__all__ = [
    "ETHNIC_GROUPS",
    "FIELDS",
    "FIELD_LABELS",
    "AddressError",
    "AddressMatch",
    "FileFormatError",
    "ParseError",
    "PartialDateError",
    "PlaceIndex",
    "SourceRow",
    "Table",
    "TableReader",
    "apply_mapping",
    "cell_text",
    "normalize_address",
    "normalize_header",
    "open_table",
    "parse_date",
    "parse_ethnicity",
    "parse_id_number",
    "parse_name",
    "parse_phones",
    "parse_role",
    "parse_sex",
    "read_table",
    "suggest_mapping",
    "validate_person_row",
    "write_error_report",
]
