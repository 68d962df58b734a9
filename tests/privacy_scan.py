"""Search a whole database for a phone number: in plain text (every way people write it), as
a ciphertext that decrypts to it, and as its blind index. Used by the privacy tests (after
an erasure, and at the end of a suite: no plaintext phone at rest)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from kit.crypto import Vault

# Column types that can hold text: scanned as their text form.
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")
TEXT_ARRAYS = ("_text", "_varchar", "_bpchar")
# Anything that reads as a Chinese mobile in any usual writing, standing on its own (not a
# run of digits inside a UUID, a ciphertext or a hex index).
MOBILE = (r"(^|[^0-9A-Za-z])(\+?86[ -]?)?1[3-9][0-9]([ -]?[0-9]{4}){2}([^0-9A-Za-z]|$)")
CIPHERTEXT = r"v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_=-]{20,}"


@dataclass(frozen=True)
class Column:
    schema: str
    table: str
    name: str
    bytea: bool = False

    @property
    def qualified(self) -> str:
        return f'"{self.schema}"."{self.table}"."{self.name}"'

    @property
    def table_sql(self) -> str:
        return f'"{self.schema}"."{self.table}"'

    @property
    def as_text(self) -> str:
        if self.bytea:
            return f"encode(\"{self.name}\", 'escape')"
        return f'CAST("{self.name}" AS text)'


def phone_forms(e164: str) -> list[str]:
    """+8613800138000 → every way it may have been written down."""
    national = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    forms = [e164, e164.lstrip("+"), national]
    if len(national) == 11:
        forms += [f"{national[:3]} {national[3:7]} {national[7:]}",
                  f"{national[:3]}-{national[3:7]}-{national[7:]}",
                  f"+86 {national}", f"+86 {national[:3]} {national[3:7]} {national[7:]}"]
    return list(dict.fromkeys(forms))


def columns(conn: Connection, exclude: tuple[str, ...] = ()) -> list[Column]:
    """Every text-like (and bytea) column of every table of every schema but the system's."""
    rows = conn.execute(text(
        "SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.udt_name "
        "FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE t.table_type = 'BASE TABLE' "
        "AND c.table_schema NOT IN ('pg_catalog', 'information_schema') "
        "AND c.table_schema NOT LIKE 'pg_toast%' "
        "ORDER BY 1, 2, 3")).all()
    found = []
    for schema, table, name, data_type, udt in rows:
        column = Column(schema, table, name, bytea=data_type == "bytea")
        if f"{schema}.{table}.{name}" in exclude:
            continue
        if data_type in TEXT_TYPES or udt in TEXT_ARRAYS or column.bytea:
            found.append(column)
    return found


def matches(conn: Connection, pattern: str, exclude: tuple[str, ...] = (),
            sample: int = 3) -> dict[str, list[str]]:
    """{column: a few of its values matching the POSIX regex} over the whole database."""
    hits: dict[str, list[str]] = {}
    for column in columns(conn, exclude):
        values = conn.execute(text(
            f"SELECT substring({column.as_text} for 300) FROM {column.table_sql} "
            f"WHERE {column.as_text} ~ :pattern LIMIT {sample}"), {"pattern": pattern}
        ).scalars().all()
        if values:
            hits[column.qualified] = values
    return hits


def plaintext(conn: Connection, e164_numbers: list[str],
              exclude: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Where any of these phones is stored in plain text, in any of its written forms."""
    forms = [f for n in e164_numbers for f in phone_forms(n)]
    if not forms:
        return {}
    return matches(conn, "|".join(re.escape(f) for f in forms), exclude)


def any_mobile(conn: Connection, exclude: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Anything at all that reads as a Chinese mobile number."""
    return matches(conn, MOBILE, exclude)


def sealed(conn: Connection, vault: Vault, e164_numbers: list[str]) -> dict[str, int]:
    """Where a ciphertext that decrypts to one of these phones is stored: {column: count}."""
    wanted = set(e164_numbers)
    hits: dict[str, int] = {}
    for column in columns(conn):
        tokens = conn.execute(text(
            f"SELECT (regexp_matches({column.as_text}, :pattern, 'g'))[1] "
            f"FROM {column.table_sql} WHERE {column.as_text} ~ :pattern"),
            {"pattern": f"({CIPHERTEXT})"}).scalars().all()
        for token in tokens:
            try:
                opened = vault.decrypt(token, "phone")
            except Exception:  # another context (a secret, a file, a wechat id) or junk
                continue
            if opened in wanted:
                hits[column.qualified] = hits.get(column.qualified, 0) + 1
    return hits


def blind_indexes(conn: Connection, vault: Vault, e164_numbers: list[str]
                  ) -> dict[str, list[str]]:
    """Where the blind index of one of these phones is stored."""
    indexes = [vault.blind_index(n) for n in e164_numbers]
    return matches(conn, "|".join(indexes), ()) if indexes else {}
