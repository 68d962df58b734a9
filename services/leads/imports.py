"""Lead lists from .xlsx and .csv, read and judged without I/O.

`read_table` turns the uploaded bytes into a header and numbered rows (the numbers are the
ones Excel shows, so a report line points at the right row); `plan_columns` decides which
column feeds which NewLead field (the client's mapping first, then common headers);
`parse_rows` normalises and validates each row and marks later rows with an already seen
phone as merged into the first. The bulk store (import_store) takes it from there."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import unicodedata
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, StringConstraints, ValidationError

from contracts import leads as c
from contracts.actor import Actor, Role
from contracts.common import Model
from contracts.errors import ValidationFailed, from_pydantic
from contracts.errors import parse as parse_payload
from kit import phones
from services.leads import domain

MAX_FILE_BYTES = 20 * 1024 * 1024
TEXT_EXTENSIONS = ("csv", "txt", "tsv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CREATED, MERGED, REJECTED = "created", "merged", "rejected"
POOL, ROUND_ROBIN = "pool", "round_robin"
IMPORTERS = (Role.consultant, Role.manager, Role.director, Role.admin)

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell


# ---------------------------------------------------------------- the request

class ImportRequest(Model):
    """What start_import takes (the gateway builds it from a multipart upload)."""

    project_id: UUID
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=200)]
    content_b64: str
    content_type: Annotated[str, StringConstraints(max_length=200)] | None = None
    mapping: dict[Annotated[str, StringConstraints(max_length=200)],
                  Annotated[str, StringConstraints(max_length=50)] | None] | None = None
    channel: c.Channel = c.Channel.other
    assign: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=50)] = POOL


class ReportQuery(Model):
    outcome: Literal["created", "merged", "rejected"] | None = None
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=200, ge=1, le=1000)


def validate_request(payload: object) -> ImportRequest:
    if not isinstance(payload, dict):
        raise ValidationFailed("send an object with project_id, filename and content_b64",
                               "body")
    return parse_payload(ImportRequest, payload)


def decode_content(content_b64: str) -> bytes:
    """The file's bytes, refusing anything over MAX_FILE_BYTES before decoding it."""
    if len(content_b64) > (MAX_FILE_BYTES + 2) // 3 * 4 + 4:
        raise too_large()
    try:
        content = base64.b64decode(content_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("the file is not valid base64", "file") from None
    if len(content) > MAX_FILE_BYTES:
        raise too_large()
    if not content:
        raise ValidationFailed("the file is empty", "file")
    return content


def too_large() -> ValidationFailed:
    return ValidationFailed(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; "
                            "split it into several imports", "file")


def may_import(actor: Actor, project_id: UUID) -> bool:
    """Consultants, managers and directors of the project; admins of the company."""
    if actor.role == Role.admin:
        return True
    return actor.role in IMPORTERS and project_id in actor.project_ids


def may_see_job(actor: Actor, company_id: UUID, project_id: UUID, created_by: UUID) -> bool:
    """The importer; admins of the company; managers and directors of the project."""
    if actor.company_id != company_id:
        return False
    if actor.user_id == created_by or actor.role == Role.admin:
        return True
    return actor.role in (Role.manager, Role.director) and project_id in actor.project_ids


def parse_assign(value: str, actor: Actor) -> str:
    """'pool', 'round_robin' or a consultant's user id (as text). A consultant may send the
    list to the pool or keep it; handing leads to colleagues is a manager's call."""
    value = (value or POOL).strip()
    if value not in (POOL, ROUND_ROBIN):
        try:
            value = str(UUID(value))
        except ValueError:
            raise ValidationFailed("assign is 'pool', 'round_robin' or a consultant's user id",
                                   "assign") from None
    if actor.role == Role.consultant and value not in (POOL, str(actor.user_id)):
        raise ValidationFailed("a consultant may import to the pool or to themselves only",
                               "assign")
    return value


# ---------------------------------------------------------------- reading the file

@dataclass
class Table:
    format: str                              # xlsx | csv
    header_row: int                          # as Excel numbers it (1-based)
    headers: list[str]
    rows: Generator[tuple[int, list[Any]]]    # (row number, cell values); blank rows included


def detect_format(content: bytes, filename: str | None = None) -> str:
    name = (filename or "").lower()
    if content[:4] == b"PK\x03\x04":
        return "xlsx"
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.endswith(".xls"):
        raise ValidationFailed("old .xls workbooks are not read: save the file as .xlsx "
                               "or .csv", "file")
    if name.endswith((".xlsx", ".xlsm")):
        raise ValidationFailed("the file is not a readable .xlsx workbook", "file")
    extension = name.rpartition(".")[2] if "." in name else ""
    if extension and extension not in TEXT_EXTENSIONS:
        raise ValidationFailed(f"unknown file format .{extension}: send .xlsx or .csv", "file")
    if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationFailed("unknown file format: send .xlsx or .csv", "file")
    return "csv"


def read_table(content: bytes, filename: str | None = None) -> Table:
    """Header and rows of the first sheet (xlsx) or of the text (csv); the header is the
    first row with anything in it."""
    kind = detect_format(content, filename)
    raw = _xlsx_rows(content) if kind == "xlsx" else _csv_rows(content)
    for number, values in raw:
        if not _blank(values):
            headers = [cell_text(v) or "" for v in values]
            return Table(kind, number, headers, raw)
    raise ValidationFailed("the file has no rows", "file")


def read_headers(content: bytes, filename: str | None = None) -> list[str]:
    """Just the header row (the rest of the file is not read)."""
    table = read_table(content, filename)
    table.rows.close()
    return table.headers


PREVIEW_ROWS = 5


def preview_table(content: bytes, filename: str | None = None,
                  mapping: dict[str, str | None] | None = None,
                  rows: int = PREVIEW_ROWS) -> dict:
    """What an importer checks before starting: every header with the field it is read
    into ("" = ignored; recognised as start_import would, the mapping winning), the
    required fields no column gives, and the first non-blank rows as text."""
    table = read_table(content, filename)
    try:
        plan = recognise_columns(table.headers, mapping)
        sample: list[list[str]] = []
        for _number, values in table.rows:
            if len(sample) >= rows:
                break
            if not _blank(values):
                cells = [cell_text(v) or "" for v in values]
                sample.append((cells + [""] * len(table.headers))[:len(table.headers)])
    finally:
        table.rows.close()
    return {"format": table.format, "header_row": table.header_row,
            "columns": [{"index": i, "header": h, "field": plan.columns.get(i, "")}
                        for i, h in enumerate(table.headers)],
            "missing": missing_targets(plan), "fields": list(TARGETS), "rows": sample}


def _xlsx_rows(content: bytes) -> Generator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # heavy: only when a workbook arrives

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a zip that is not a workbook
        raise ValidationFailed(f"the file is not a readable .xlsx workbook "
                               f"({type(exc).__name__})", "file") from None
    # Some tools write a wrong <dimension>; read every row there is instead of trusting it.
    sheet.reset_dimensions()
    return _numbered(sheet.iter_rows(values_only=True), book)


def _numbered(rows: Iterable[Any], book: Any) -> Generator[tuple[int, list[Any]]]:
    try:
        for number, row in enumerate(rows, start=1):
            yield number, list(row)
    finally:
        book.close()


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")      # Excel's "Unicode text" export
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")     # Excel's CSV on a Chinese Windows
    except UnicodeDecodeError:
        raise ValidationFailed("the file is neither UTF-8 nor GB18030 text: send .xlsx or "
                               ".csv", "file") from None


def sniff_delimiter(text: str) -> str:
    """',' ';' or tab: whichever the first line with any of them uses most."""
    for line in text.splitlines()[:20]:
        counts = {d: line.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            return best
    return ","


def _csv_rows(content: bytes) -> Generator[tuple[int, list[Any]]]:
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise ValidationFailed(f"the CSV cannot be read: {exc}", "file") from None


def cell_text(value: Any) -> str | None:
    """A cell as text: Excel's numeric 13800138000.0 is '13800138000'; blanks are None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _blank(values: list[Any]) -> bool:
    return all(cell_text(v) is None for v in values)


# ---------------------------------------------------------------- which column is what

# NewLead fields an import can fill, plus `budget` and `area`, which take a range.
TARGETS = ("name", "phone", "channel", "sub_source", "note", "city", "district", "budget",
           "budget_min", "budget_max", "layout", "area", "area_min", "area_max", "purpose")
REQUIRED = ("name", "phone")
IGNORE = ("", "ignore", "忽略")

KNOWN_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "客户姓名", "客户名称", "客户名", "名字", "客户", "联系人", "name",
             "customer", "customername", "fullname"),
    "phone": ("电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "联系方式",
              "客户电话", "客户手机", "移动电话", "phone", "mobile", "tel", "telephone",
              "phonenumber", "cellphone"),
    "channel": ("渠道", "来源", "来源渠道", "渠道来源", "客户来源", "channel", "source"),
    "sub_source": ("子来源", "来源明细", "渠道明细", "子渠道", "活动", "活动名称",
                   "subsource", "sub_source", "campaign"),
    "note": ("备注", "说明", "客户备注", "备注信息", "note", "notes", "remark", "remarks",
             "comment"),
    "budget": ("预算", "总价预算", "购房预算", "意向总价", "预算范围", "总价", "budget"),
    "budget_min": ("最低预算", "预算下限", "budgetmin", "budget_min"),
    "budget_max": ("最高预算", "预算上限", "budgetmax", "budget_max"),
    "layout": ("意向户型", "户型", "需求户型", "layout"),
    "district": ("区域", "意向区域", "区县", "行政区", "意向板块", "板块", "district"),
    "city": ("城市", "意向城市", "city"),
    "area": ("面积", "意向面积", "需求面积", "面积段", "面积范围", "area", "size"),
    "area_min": ("最小面积", "面积下限", "areamin", "area_min"),
    "area_max": ("最大面积", "面积上限", "areamax", "area_max"),
    "purpose": ("置业目的", "购房目的", "购房用途", "置业用途", "用途", "目的", "purpose"),
}
_BRACKETS = re.compile(r"[(\[【（].*?[)\]】）]")


def header_key(text: str) -> str:
    """'* 手机号码（必填）' → '手机号码': what a header is matched on."""
    key = unicodedata.normalize("NFKC", text or "").lower()
    key = _BRACKETS.sub("", key)
    return re.sub(r"[\s*:：_\-]+", "", key)


_BY_HEADER = {header_key(alias): target
              for target, aliases in KNOWN_HEADERS.items() for alias in aliases}


def _unit_of(header: str) -> int | None:
    """A budget header that says its unit: 预算（万元） → 10,000."""
    text = unicodedata.normalize("NFKC", header or "")
    if "亿" in text:
        return 100_000_000
    if "万" in text or re.search(r"\bw\b", text.lower()):
        return 10_000
    if "元" in text:
        return 1
    return None


@dataclass
class ColumnPlan:
    columns: dict[int, str]          # column index → target
    headers: list[str]
    ignored: list[str]
    units: dict[int, int | None] = field(default_factory=dict)

    def describe(self) -> dict:
        return {"columns": {self.headers[i]: t for i, t in self.columns.items()},
                "ignored": self.ignored}


def plan_columns(headers: list[str], mapping: dict[str, str | None] | None = None) -> ColumnPlan:
    """The client's mapping {header: field} wins; other columns are recognised by their
    header; what is left is reported as ignored. No phone or name column is refused."""
    plan = recognise_columns(headers, mapping)
    missing = missing_targets(plan)
    if missing:
        raise ValidationFailed(
            f"no column for {' and '.join(missing)} among the headers "
            f"({', '.join(h for h in headers if h) or 'none'}); name it 姓名/电话 or pass a "
            'mapping like {"客户手机": "phone"}', "mapping")
    return plan


def missing_targets(plan: ColumnPlan) -> list[str]:
    return [t for t in REQUIRED if t not in plan.columns.values()]


def recognise_columns(headers: list[str],
                      mapping: dict[str, str | None] | None = None) -> ColumnPlan:
    """plan_columns without the check for name and phone: what a preview shows."""
    columns: dict[int, str] = {}
    explicit: set[int] = set()
    for header, target in (mapping or {}).items():
        index = next((i for i, h in enumerate(headers) if h == header.strip()), None)
        if index is None:
            index = next((i for i, h in enumerate(headers)
                          if header_key(h) == header_key(header)), None)
        if index is None:
            raise ValidationFailed(f"no column {header!r} in the header row "
                                   f"({', '.join(h for h in headers if h)})", "mapping")
        wanted = (target or "").strip()
        explicit.add(index)
        if wanted.lower() in IGNORE:
            continue
        if wanted not in TARGETS:
            raise ValidationFailed(f"{header!r} → {wanted!r} is not a lead field; "
                                   f"one of {', '.join(TARGETS)}", "mapping")
        if wanted in columns.values():
            raise ValidationFailed(f"two columns map to {wanted}", "mapping")
        columns[index] = wanted
    ignored: list[str] = []
    for index, header in enumerate(headers):
        if index in explicit or not header:
            if index in explicit and index not in columns:
                ignored.append(header)
            continue
        target = _BY_HEADER.get(header_key(header))
        if target is None or target in columns.values():
            ignored.append(header)
        else:
            columns[index] = target
    units = {i: _unit_of(headers[i]) for i, t in columns.items() if t.startswith("budget")}
    return ColumnPlan(dict(sorted(columns.items())), headers, ignored, units)


# ---------------------------------------------------------------- one row

BLANK_MARKERS = {"-", "--", "—", "/", "无", "暂无", "不详", "未知", "n/a", "na", "null", "none"}

CHANNEL_WORDS: tuple[tuple[str, c.Channel], ...] = (
    ("抖音", c.Channel.douyin), ("贝壳", c.Channel.beike), ("链家", c.Channel.beike),
    ("小程序", c.Channel.mini_program), ("官网", c.Channel.website),
    ("网站", c.Channel.website), ("中介", c.Channel.agency), ("分销", c.Channel.agency),
    ("经纪", c.Channel.agency), ("老带新", c.Channel.referral), ("推荐", c.Channel.referral),
    ("转介", c.Channel.referral), ("介绍", c.Channel.referral), ("朋友", c.Channel.referral),
    ("到访", c.Channel.walk_in), ("来访", c.Channel.walk_in),
    ("路过", c.Channel.walk_in), ("来电", c.Channel.phone_call),
    ("电话", c.Channel.phone_call), ("其他", c.Channel.other), ("其它", c.Channel.other),
)
PURPOSE_WORDS: tuple[tuple[str, c.Purpose], ...] = (
    ("学区", c.Purpose.school_district), ("投资", c.Purpose.investment),
    ("改善", c.Purpose.upgrade), ("自住", c.Purpose.self_use), ("刚需", c.Purpose.self_use),
    ("首置", c.Purpose.self_use), ("首套", c.Purpose.self_use), ("婚房", c.Purpose.self_use),
    ("selfuse", c.Purpose.self_use), ("school", c.Purpose.school_district),
)
OUTCOME_LABELS = {CREATED: "新建", MERGED: "合并", REJECTED: "拒绝"}


class RowProblem(Exception):
    def __init__(self, reason: str, field: str):
        super().__init__(reason)
        self.reason, self.field = reason, field


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _masked(text: str) -> str:
    """A bad phone quoted in a report without giving the number away: 138****8000."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    hidden = set(digits[3:-4]) if len(digits) >= 8 else set()
    return _shown("".join("*" if i in hidden else ch for i, ch in enumerate(text)))


def phone_of(text: str | None, header: str = "phone") -> str:
    """E.164 from a messy cell: full-width digits, +86, spaces and dashes, landlines."""
    if text is None or _nfkc(text).lower() in BLANK_MARKERS:
        raise RowProblem(f"{header}: a phone number is required", "phone")
    raw = _nfkc(text)
    if re.fullmatch(r"\d+\.0+", raw):            # a number cell that went through text
        raw = raw.split(".")[0]
    if re.fullmatch(r"\d(\.\d+)?e\+?\d+", raw, re.IGNORECASE):
        raise RowProblem(f"{header}: {_masked(text)} was shortened by Excel to scientific "
                         "notation; format the column as text and export again", "phone")
    if len(re.findall(r"\d{7,}", raw)) > 1:
        raise RowProblem(f"{header}: more than one number in {_masked(text)}; keep one per "
                         "row (the other can go in 备注)", "phone")
    try:
        return phones.normalise(raw)
    except ValidationFailed as exc:
        raise RowProblem(f"{header}: {exc.message}: {_masked(text)}", "phone") from None


def channel_of(text: str | None, default: c.Channel) -> tuple[c.Channel, str | None]:
    """(channel, sub-source): '抖音直播' is douyin with sub-source '抖音直播'; a value we do not
    know keeps the job's channel and becomes the sub-source, so nothing is lost."""
    if text is None:
        return default, None
    raw = _nfkc(text)
    if raw.lower() in c.Channel.__members__:
        return c.Channel(raw.lower()), None
    for word, channel in CHANNEL_WORDS:
        if word in raw:
            return channel, (raw[:100] if raw != word else None)
    return default, raw[:100]


def purpose_of(text: str, header: str) -> c.Purpose:
    raw = _nfkc(text).lower().replace("_", "").replace("-", "").replace(" ", "")
    if raw in {p.value.replace("_", "") for p in c.Purpose}:
        return next(p for p in c.Purpose if p.value.replace("_", "") == raw)
    for word, purpose in PURPOSE_WORDS:
        if word in raw:
            return purpose
    raise RowProblem(f"{header}: {_shown(text)} is not one of 自住/投资/学区/改善", "purpose")


_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)(亿|万|w|千|k)?")
_UNITS = {"亿": 100_000_000, "万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000}
_RANGE = re.compile(r"[-~至到—]+")


def _range_parts(text: str, strip: tuple[str, ...]) -> tuple[list[str], str | None]:
    raw = _nfkc(text).lower().replace(",", "").replace(" ", "")
    for word in strip:
        raw = raw.replace(word, "")
    bound = None
    for suffix, kind in (("以上", "min"), ("起", "min"), ("以下", "max"), ("以内", "max"),
                         ("之内", "max")):
        if raw.endswith(suffix):
            raw, bound = raw[: -len(suffix)], kind
            break
    return [p for p in _RANGE.split(raw)], bound


def _bounded(values: list[int], bound: str | None) -> tuple[int | None, int | None]:
    if len(values) == 2:
        return values[0], values[1]
    if bound == "min":
        return values[0], None
    if bound == "max":
        return None, values[0]
    return values[0], values[0]


def money_range(text: str, header: str, unit: int | None = None,
                field: str = "budget") -> tuple[int | None, int | None]:
    """Yuan from '300万', '200-300万', '2.5亿', '300万以上', '3000000'. A bare number under
    10,000 is in 万 (nobody's home budget is 300 yuan), unless the header says its unit."""
    parts, bound = _range_parts(text, ("人民币", "rmb", "¥", "元", "左右", "约"))
    matches = [m for m in (_AMOUNT.fullmatch(p) for p in parts) if m is not None]
    if not 1 <= len(parts) <= 2 or len(matches) != len(parts):
        raise RowProblem(f"{header}: {_shown(text)} is not an amount like 300万 or 200-300万",
                         field)
    shared = next((m.group(2) for m in reversed(matches) if m.group(2)), None)
    values = []
    for m in matches:
        number = float(m.group(1))
        suffix = m.group(2) or shared
        if suffix:
            number *= _UNITS[suffix]
        elif unit:
            number *= unit
        elif number < 10_000:
            number *= 10_000
        values.append(round(number))
    return _bounded(values, bound)


def area_range(text: str, header: str, field: str = "area") -> tuple[int | None, int | None]:
    """Square metres from '89-120㎡', '90平', '100平米以上', '95.5'."""
    parts, bound = _range_parts(text, ("平方米", "平米", "平方", "平", "m2", "sqm", "㎡",
                                       "m²", "左右", "约"))
    if not 1 <= len(parts) <= 2 or not all(re.fullmatch(r"\d+(\.\d+)?", p) for p in parts):
        raise RowProblem(f"{header}: {_shown(text)} is not an area like 90 or 89-120㎡", field)
    return _bounded([max(1, round(float(p))) for p in parts], bound)


def _lead_fields(cells: dict[str, tuple[str, str]], plan_units: dict[str, int | None],
                 project_id: UUID, channel: c.Channel) -> dict:
    """NewLead's input from one row's cells {target: (header, text)}."""
    text = {t: v for t, (_, v) in cells.items()}
    header = {t: h for t, (h, _) in cells.items()}
    fields: dict[str, Any] = {"project_id": project_id}
    fields["phone"] = phone_of(text.get("phone"), header.get("phone", "phone"))
    fields["name"] = text.get("name")
    if fields["name"] is None:
        raise RowProblem(f"{header['name']}: a name is required", "name")
    lead_channel, sub_source = channel_of(text.get("channel"), channel)
    fields["channel"] = lead_channel
    fields["sub_source"] = text.get("sub_source") or sub_source
    for target in ("note", "city", "district", "layout", "budget_min", "budget_max",
                   "area_min", "area_max"):
        if text.get(target) is not None:
            fields[target] = text[target]
    for target in ("budget_min", "budget_max"):
        if target in fields:
            low, high = money_range(fields[target], header[target], plan_units.get(target),
                                    target)
            fields[target] = low if target == "budget_min" else high
            if fields[target] is None:
                fields[target] = high if target == "budget_min" else low
    if text.get("budget") is not None:
        low, high = money_range(text["budget"], header["budget"], plan_units.get("budget"))
        fields.setdefault("budget_min", low)
        fields.setdefault("budget_max", high)
    for target in ("area_min", "area_max"):
        if target in fields:
            low, high = area_range(fields[target], header[target], target)
            fields[target] = (low if target == "area_min" else high) or low or high
    if text.get("area") is not None:
        low, high = area_range(text["area"], header["area"])
        fields.setdefault("area_min", low)
        fields.setdefault("area_max", high)
    if text.get("purpose") is not None:
        fields["purpose"] = purpose_of(text["purpose"], header["purpose"])
    return fields


def validate_row(values: list[Any], plan: ColumnPlan, project_id: UUID,
                 channel: c.Channel) -> tuple[c.NewLead, str]:
    """The row as a NewLead and its E.164 phone, or RowProblem naming the field."""
    cells: dict[str, tuple[str, str]] = {}
    for index, target in plan.columns.items():
        text = cell_text(values[index]) if index < len(values) else None
        if text is not None and (target == "phone" or _nfkc(text).lower() not in BLANK_MARKERS):
            cells[target] = (plan.headers[index], text)
        elif target in REQUIRED:
            cells[target] = (plan.headers[index], None)  # type: ignore[assignment]
    units = {plan.columns[i]: u for i, u in plan.units.items()}
    fields = _lead_fields(cells, units, project_id, channel)
    e164 = fields["phone"]
    try:
        return c.NewLead.model_validate(fields), e164
    except ValidationError as exc:
        problem = from_pydantic(exc)
        name = problem.field or "row"
        source = next((h for t, (h, _) in cells.items() if t == name or (
            name.startswith(t) and t in ("budget", "area"))), name)
        raise RowProblem(f"{source}: {problem.message.split(': ', 1)[-1]}", name) from None


LEAD_FIELDS = tuple(c.NewLead.model_fields)


@dataclass(slots=True)
class ParsedRow:
    """One judged row. Lists run to hundreds of thousands of rows, so a valid row keeps its
    NewLead's values as a tuple and `lead` rebuilds the (already validated) model."""

    number: int
    outcome: str                    # created (valid, first of its phone) | merged | rejected
    values: tuple | None = None     # the NewLead's field values in LEAD_FIELDS order
    e164: str | None = None
    reason: str | None = None
    field: str | None = None
    first_row: int | None = None    # merged: the earlier row with the same phone
    grade: str | None = None        # by the project's grading rules
    grade_reason: str | None = None

    @property
    def lead(self) -> c.NewLead | None:
        if self.values is None:
            return None
        return c.NewLead.model_construct(**dict(zip(LEAD_FIELDS, self.values, strict=True)))


def parse_rows(rows: Iterable[tuple[int, list[Any]]], plan: ColumnPlan, project_id: UUID,
               channel: c.Channel = c.Channel.other,
               pause: Callable[[], object] | None = None, every: int = 500,
               rules: c.ProjectLeadSettings | None = None) -> Iterator[ParsedRow]:
    """Judge each data row; blank rows are skipped (not rejected). A later row with a phone
    already seen in the file is merged into the first. The project's `rules` make fields
    required and grade each lead, as for leads entered one by one. `pause` is called every
    `every` rows (a service passes eventlet.sleep so a long file does not starve others)."""
    rules = rules or c.ProjectLeadSettings()
    first: dict[str, int] = {}
    for count, (number, values) in enumerate(rows, start=1):
        if pause is not None and count % every == 0:
            pause()
        if _blank(values):
            continue
        try:
            lead, e164 = validate_row(values, plan, project_id, channel)
            missing = domain.missing_required(lead, rules)
            if missing:
                raise RowProblem(f"{missing} is required for this project", missing)
        except RowProblem as problem:
            yield ParsedRow(number, REJECTED, reason=problem.reason, field=problem.field)
            continue
        grade, grade_reason = domain.grade(lead, rules)
        stored = tuple(getattr(lead, name) for name in LEAD_FIELDS)
        if e164 in first:
            yield ParsedRow(number, MERGED, stored, e164, field="phone", first_row=first[e164],
                            reason=f"same phone as row {first[e164]} (与第{first[e164]}行重复)",
                            grade=grade, grade_reason=grade_reason)
        else:
            first[e164] = number
            yield ParsedRow(number, CREATED, stored, e164, grade=grade,
                            grade_reason=grade_reason)


@dataclass
class Parsed:
    table: Table
    plan: ColumnPlan
    rows: list[ParsedRow]


def parse(content: bytes, filename: str | None, project_id: UUID,
          mapping: dict[str, str | None] | None = None, channel: c.Channel = c.Channel.other,
          pause: Callable[[], object] | None = None,
          rules: c.ProjectLeadSettings | None = None) -> Parsed:
    """The whole file judged: read, plan the columns, validate and dedupe every row."""
    table = read_table(content, filename)
    plan = plan_columns(table.headers, mapping)
    return Parsed(table, plan, list(parse_rows(table.rows, plan, project_id, channel, pause,
                                               rules=rules)))


def parse_all(content: bytes, filename: str | None, project_id: UUID,
              mapping: dict[str, str | None] | None, channel: c.Channel,
              rules: c.ProjectLeadSettings | None) -> tuple[ColumnPlan, list[ParsedRow]]:
    """parse() without the table, for running in a thread of its own."""
    parsed = parse(content, filename, project_id, mapping, channel, rules=rules)
    return parsed.plan, parsed.rows


# ---------------------------------------------------------------- who gets new customers

def owners(assign: str, count: int, candidates: list[UUID], last: UUID | None,
           chosen_active: bool = True) -> tuple[list[domain.Assignment], UUID | None]:
    """Owners for `count` new customers of an import, and the rotation's new cursor.

    pool: nobody (an old list should not flood consultants with first-contact tasks);
    round_robin: the project's on-duty consultants in turn; a user id: that consultant."""
    if assign == POOL:
        return [domain.Assignment(None, "pool", "imported list: sent to the project's pool")
                ] * count, last
    if assign == ROUND_ROBIN:
        if not candidates:
            return [domain.Assignment(None, "pool", "imported; no consultant of the project "
                                      "is on duty: sent to pool")] * count, last
        chosen = []
        for _ in range(count):
            last = domain.next_in_rotation(candidates, last)
            chosen.append(domain.Assignment(
                last, "round_robin",
                f"imported; round-robin among {len(candidates)} on-duty consultants"))
        return chosen, last
    if not chosen_active:
        return [domain.Assignment(None, "pool", "imported for a consultant who is no longer "
                                  "active: sent to pool")] * count, last
    return [domain.Assignment(UUID(assign), "import", "imported and assigned by the importer")
            ] * count, last


# ---------------------------------------------------------------- the report as .xlsx

REPORT_HEADERS = ("行号", "结果", "原因", "字段", "客户ID")


@dataclass(frozen=True)
class ReportRow:
    row: int
    outcome: str
    reason: str | None
    field: str | None
    customer_id: uuid.UUID | str | None


def report_xlsx(rows: Iterable[ReportRow], summary: dict[str, Any] | None = None) -> bytes:
    """The per-row report as a workbook (first sheet), with a summary sheet after it.
    Text is written as text: a reason quoting '=cmd|...' never becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("导入结果")
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (8, 8, 60, 12, 38), strict=True):
        sheet.column_dimensions[letter].width = width

    def text(value: object) -> Cell | None:
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.data_type = "s"
        return cell

    sheet.append(list(REPORT_HEADERS))
    for line in rows:
        sheet.append([line.row, OUTCOME_LABELS.get(line.outcome, line.outcome),
                      text(line.reason), text(line.field), text(line.customer_id)])
    if summary:
        totals = book.create_sheet("汇总")
        for key, value in summary.items():
            totals.append([key, text(value) if isinstance(value, str) else value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
