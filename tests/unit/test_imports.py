"""Lead lists read and judged without I/O: messy .xlsx and .csv files made here."""

import base64
import io
import uuid

import pytest
from openpyxl import Workbook, load_workbook

from contracts.actor import Actor, Role
from contracts.errors import ValidationFailed
from contracts.leads import (
    Channel,
    GradeCondition,
    GradeRule,
    ProjectLeadSettings,
    Purpose,
)
from services.leads import imports
from services.leads.imports import CREATED, MERGED, REJECTED

PROJECT = uuid.uuid4()
A, B, C = sorted(uuid.uuid4() for _ in range(3))

HEADER = ["序号", "客户姓名", "手机号", "来源", "预算（万元）", "意向面积", "置业目的", "录入人"]
# (row as written, expected outcome, expected field) — row numbers follow the header (row 1).
MESSY = [
    (["1", "张三", "138 0013 8000", "抖音直播", "200-300", "89-120㎡", "自住", "小王"],
     CREATED, None),
    (["2", "李四", "+86 139-0013-9000", "贝壳", "300", "90平", "投资", ""], CREATED, None),
    ([None] * 8, None, None),                                   # blank line: skipped
    (["3", "王五", "１３８００１３８０００", "", "", "", "", ""], MERGED, "phone"),  # = row 2
    (["4", "赵六", "0571-8888 8888", "朋友介绍", "", "", "学区", ""], CREATED, None),
    (["5", "钱七", "1380013800", "", "", "", "", ""], REJECTED, "phone"),     # 10 digits
    (["6", "孙八", "8613700137000", "", "", "", "", ""], CREATED, None),
    (["7", "周九", "+86 137 0013 7000", "", "", "", "", ""], MERGED, "phone"),  # = row 8
    (["8", "吴十", "微信同号", "", "", "", "", ""], REJECTED, "phone"),
    (["9", "", "13600136000", "", "", "", "", ""], REJECTED, "name"),
    (["10", "郑一", "13500135000", "", "abc", "", "", ""], REJECTED, "budget"),
    (["11", "冯二", "13400134000", "", "", "", "躺平", ""], REJECTED, "purpose"),
    (["   ", "", " ", "", "", "", "", ""], None, None),             # whitespace only: blank
]


def expected() -> dict[int, tuple[str, str | None]]:
    return {number: (outcome, field) for number, (_, outcome, field) in
            enumerate(MESSY, start=2) if outcome is not None}


def outcomes(parsed: imports.Parsed) -> dict[int, tuple[str, str | None]]:
    return {r.number: (r.outcome, r.field) for r in parsed.rows}


def csv_bytes(rows, delimiter=",", encoding="utf-8-sig") -> bytes:
    lines = [delimiter.join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, above: int = 0) -> bytes:
    book = Workbook()
    sheet = book.active
    for _ in range(above):
        sheet.append([])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parse(content: bytes, filename: str, mapping=None, channel=Channel.other):
    return imports.parse(content, filename, PROJECT, mapping, channel)


# ---------------------------------------------------------------- messy files

def test_a_messy_csv_is_normalised_deduped_and_judged_row_by_row():
    parsed = parse(csv_bytes([HEADER] + [row for row, _, _ in MESSY]), "客户.csv")
    assert outcomes(parsed) == expected()
    rows = {r.number: r for r in parsed.rows}
    assert rows[2].e164 == "+8613800138000" and rows[5].e164 == "+8613800138000"
    assert rows[5].first_row == 2 and "row 2" in rows[5].reason
    assert rows[6].e164 == "+8657188888888"                      # a Hangzhou landline
    assert rows[9].first_row == 8
    assert "1380013800" not in rows[7].reason and "138***3800" in rows[7].reason
    assert "钱七" not in rows[7].reason and rows[7].reason.startswith("手机号:")
    assert rows[11].reason.startswith("客户姓名:")
    first = rows[2].lead
    assert (first.name, first.channel, first.sub_source) == ("张三", Channel.douyin, "抖音直播")
    assert (first.budget_min, first.budget_max) == (2_000_000, 3_000_000)
    assert (first.area_min, first.area_max, first.purpose) == (89, 120, Purpose.self_use)
    assert rows[3].lead.budget_min == rows[3].lead.budget_max == 3_000_000
    assert rows[6].lead.channel == Channel.referral
    assert parsed.plan.ignored == ["序号", "录入人"]


def test_the_same_list_as_a_workbook_with_number_cells_and_rows_above_the_header():
    rows = [row[:] for row, _, _ in MESSY]
    rows[0][2] = 13800138000.0        # Excel number cells, as openpyxl hands them over
    rows[1][2] = 13900139000
    parsed = parse(xlsx_bytes([HEADER, *rows], above=2), "客户.xlsx")
    assert parsed.table.header_row == 3
    assert outcomes(parsed) == {n + 2: v for n, v in expected().items()}
    assert parsed.rows[0].e164 == "+8613800138000"


def test_gb18030_with_semicolons_and_utf16_with_tabs_are_read():
    rows = [HEADER] + [row for row, _, _ in MESSY]
    for content in (csv_bytes(rows, ";", "gb18030"), csv_bytes(rows, "\t", "utf-16")):
        parsed = parse(content, "list.csv")
        assert outcomes(parsed) == expected()
        assert parsed.rows[0].lead.name == "张三"


def test_excel_number_text_and_scientific_notation():
    assert imports.cell_text(13800138000.0) == "13800138000"
    assert imports.phone_of("13800138000.0") == "+8613800138000"
    with pytest.raises(imports.RowProblem, match="scientific") as caught:
        imports.phone_of("1.38001E+10")
    assert caught.value.field == "phone"
    with pytest.raises(imports.RowProblem, match="more than one"):
        imports.phone_of("13800138000/13900139000")


@pytest.mark.parametrize(("text", "expected"), [
    ("300万", (3_000_000, 3_000_000)), ("200-300万", (2_000_000, 3_000_000)),
    ("200万～300万", (2_000_000, 3_000_000)), ("2.5亿", (250_000_000, 250_000_000)),
    ("500万以上", (5_000_000, None)), ("300万以内", (None, 3_000_000)),
    ("3,000,000元", (3_000_000, 3_000_000)), ("300", (3_000_000, 3_000_000)),
])
def test_budgets_in_the_ways_people_write_them(text, expected):
    assert imports.money_range(text, "预算") == expected


def test_a_budget_column_that_says_its_unit():
    assert imports.money_range("300", "预算(元)", unit=1) == (300, 300)


@pytest.mark.parametrize(("text", "expected"), [
    ("89-120㎡", (89, 120)), ("90平", (90, 90)), ("140平米以上", (140, None)),
    ("95.5", (96, 96)), ("70～89m²", (70, 89)),
])
def test_areas(text, expected):
    assert imports.area_range(text, "面积") == expected


@pytest.mark.parametrize(("text", "channel", "sub_source"), [
    ("douyin", Channel.douyin, None), ("抖音", Channel.douyin, None),
    ("链家门店", Channel.beike, "链家门店"), ("自然到访", Channel.walk_in, "自然到访"),
    ("2024秋季房展会", Channel.website, "2024秋季房展会"), (None, Channel.website, None),
])
def test_channels_are_recognised_and_unknown_ones_kept_as_sub_source(text, channel,
                                                                      sub_source):
    assert imports.channel_of(text, Channel.website) == (channel, sub_source)


def test_a_reversed_budget_range_names_the_column_and_the_field():
    parsed = parse(csv_bytes([["姓名", "电话", "预算"], ["甲", "13800138000", "300-200万"]]),
                   "a.csv")
    [row] = parsed.rows
    assert (row.outcome, row.field) == (REJECTED, "budget_max")
    assert row.reason.startswith("预算:")


def test_a_name_too_long_is_rejected_naming_name():
    parsed = parse(csv_bytes([["姓名", "电话"], ["张" * 51, "13800138000"]]), "a.csv")
    assert (parsed.rows[0].outcome, parsed.rows[0].field) == (REJECTED, "name")


def test_rows_without_a_channel_take_the_jobs_channel():
    parsed = parse(csv_bytes([["姓名", "电话"], ["甲", "13800138000"]]), "a.csv",
                   channel=Channel.agency)
    assert parsed.rows[0].lead.channel == Channel.agency


def test_the_projects_required_fields_and_grading_apply_to_every_row():
    rules = ProjectLeadSettings(
        required_fields=["budget_min"],
        grading=[GradeRule(grade="A", label="big budget", when=[
            GradeCondition(field="budget_min", op="gte", value=5_000_000)])],
        default_grade="C")
    rows = [["姓名", "电话", "预算"], ["甲", "13800138000", "600万"],
            ["乙", "13900139000", "200万"], ["丙", "13700137000", ""]]
    parsed = imports.parse(csv_bytes(rows), "a.csv", PROJECT, rules=rules)
    assert [(r.outcome, r.grade, r.field) for r in parsed.rows] == [
        (CREATED, "A", None), (CREATED, "C", None), (REJECTED, None, "budget_min")]
    assert parsed.rows[0].grade_reason == "rule 1: big budget"
    assert "required for this project" in parsed.rows[2].reason


# ---------------------------------------------------------------- columns

def test_a_mapping_names_unusual_headers_and_can_ignore_a_column():
    rows = [["顾客", "Mobile No.", "渠道", "说明"], ["甲", "13800138000", "抖音", "x"]]
    parsed = parse(csv_bytes(rows), "a.csv",
                   mapping={"顾客": "name", "Mobile No.": "phone", "说明": None})
    assert parsed.plan.describe() == {
        "columns": {"顾客": "name", "Mobile No.": "phone", "渠道": "channel"},
        "ignored": ["说明"]}
    assert parsed.rows[0].outcome == CREATED


def test_headers_are_matched_with_marks_units_and_case_ignored():
    plan = imports.plan_columns(["* 手机号码（必填）", "Name", "预算(万)", "电话"])
    assert plan.columns == {0: "phone", 1: "name", 2: "budget"}
    assert plan.units == {2: 10_000}
    assert plan.ignored == ["电话"]       # a second phone column: the first one is used
    chosen = imports.plan_columns(["姓名", "手机", "备用电话"], {"备用电话": "phone"})
    assert chosen.columns == {0: "name", 2: "phone"} and chosen.ignored == ["手机"]


@pytest.mark.parametrize(("headers", "mapping", "words"), [
    (["姓名", "备注"], None, "no column for phone"),
    (["手机"], None, "no column for name"),
    (["姓名", "手机"], {"客户电话": "phone"}, "no column '客户电话'"),
    (["姓名", "手机", "x"], {"x": "salary"}, "not a lead field"),
    (["姓名", "手机", "x"], {"x": "phone", "手机": "phone"}, "two columns map to phone"),
])
def test_a_header_we_cannot_use_is_refused_naming_mapping(headers, mapping, words):
    with pytest.raises(ValidationFailed, match=words) as caught:
        imports.plan_columns(headers, mapping)
    assert caught.value.field == "mapping"


def test_a_preview_shows_each_header_with_its_field_and_the_first_rows():
    for content, filename in ((csv_bytes([HEADER] + [r for r, _, _ in MESSY]), "a.csv"),
                              (xlsx_bytes([HEADER] + [r for r, _, _ in MESSY], above=2),
                               "a.xlsx")):
        preview = imports.preview_table(content, filename, rows=3)
        assert [(c["header"], c["field"]) for c in preview["columns"]] == [
            ("序号", ""), ("客户姓名", "name"), ("手机号", "phone"), ("来源", "channel"),
            ("预算（万元）", "budget"), ("意向面积", "area"), ("置业目的", "purpose"),
            ("录入人", "")]
        assert preview["missing"] == [] and "sub_source" in preview["fields"]
        # The blank line is skipped; every row has one text per header.
        assert [row[1] for row in preview["rows"]] == ["张三", "李四", "王五"]
        assert all(len(row) == len(HEADER) for row in preview["rows"])


def test_a_preview_of_unusual_headers_names_what_is_missing_and_takes_a_mapping():
    content = csv_bytes([["顾客", "Mobile No.", "说明"], ["甲", "13800138000", "x"]])
    assert imports.preview_table(content, "a.csv")["missing"] == ["name", "phone"]
    mapped = imports.preview_table(content, "a.csv", {"顾客": "name", "Mobile No.": "phone"})
    assert mapped["missing"] == []
    assert [c["field"] for c in mapped["columns"]] == ["name", "phone", "note"]
    with pytest.raises(ValidationFailed) as caught:
        imports.preview_table(content, "a.csv", {"顾客": "salary"})
    assert caught.value.field == "mapping"


# ---------------------------------------------------------------- the file itself

@pytest.mark.parametrize(("content", "filename", "words"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", ".xls"),
    (b"%PDF-1.4 ...", "list.pdf", "unknown file format"),
    (b"PK\x03\x04not really a zip", "a.xlsx", "not a readable .xlsx"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "a", "unknown file format"),
    (b"\r\n,,\r\n", "a.csv", "no rows"),
])
def test_files_we_cannot_read_are_refused_naming_file(content, filename, words):
    with pytest.raises(ValidationFailed, match=words) as caught:
        imports.read_table(content, filename)
    assert caught.value.field == "file"


def test_the_upload_is_refused_when_empty_not_base64_or_too_large():
    for bad, words in (("", "empty"), ("###", "base64"),
                       ("A" * (imports.MAX_FILE_BYTES // 3 * 4 + 100), "20 MB")):
        with pytest.raises(ValidationFailed, match=words) as caught:
            imports.decode_content(bad)
        assert caught.value.field == "file"
    assert imports.decode_content(base64.b64encode(b"a,b").decode()) == b"a,b"


@pytest.mark.parametrize(("change", "field"), [
    ({"project_id": "hz"}, "project_id"), ({"filename": ""}, "filename"),
    ({"channel": "carrier_pigeon"}, "channel"), ({"mapping": ["phone"]}, "mapping"),
    ({"surprise": 1}, "surprise"),
])
def test_a_bad_request_names_the_field(change, field):
    good = {"project_id": str(PROJECT), "filename": "a.csv", "content_b64": "YSxi"}
    assert imports.validate_request(good).channel == Channel.other
    with pytest.raises(ValidationFailed) as caught:
        imports.validate_request({**good, **change})
    assert caught.value.field == field


# ---------------------------------------------------------------- who may, who gets

def actor(role: Role, projects=(PROJECT,), user=None) -> Actor:
    return Actor(user_id=user or uuid.uuid4(), company_id=COMPANY, role=role,
                 project_ids=tuple(projects))


COMPANY = uuid.uuid4()


def test_who_may_import_and_who_may_follow_a_job():
    assert imports.may_import(actor(Role.consultant), PROJECT)
    assert imports.may_import(actor(Role.admin, projects=()), PROJECT)
    assert not imports.may_import(actor(Role.manager, projects=()), PROJECT)
    assert not imports.may_import(actor(Role.channel_agent), PROJECT)
    creator = uuid.uuid4()
    assert imports.may_see_job(actor(Role.consultant, user=creator), COMPANY, PROJECT, creator)
    assert not imports.may_see_job(actor(Role.consultant), COMPANY, PROJECT, creator)
    assert imports.may_see_job(actor(Role.manager), COMPANY, PROJECT, creator)
    assert not imports.may_see_job(actor(Role.manager, projects=()), COMPANY, PROJECT, creator)
    assert not imports.may_see_job(actor(Role.admin), uuid.uuid4(), PROJECT, creator)


def test_a_consultant_imports_to_the_pool_or_to_themselves_only():
    me = actor(Role.consultant)
    assert imports.parse_assign("pool", me) == "pool"
    assert imports.parse_assign(str(me.user_id), me) == str(me.user_id)
    for other in ("round_robin", str(uuid.uuid4())):
        with pytest.raises(ValidationFailed) as caught:
            imports.parse_assign(other, me)
        assert caught.value.field == "assign"
    assert imports.parse_assign("round_robin", actor(Role.manager)) == "round_robin"
    with pytest.raises(ValidationFailed):
        imports.parse_assign("everyone", actor(Role.manager))


def test_owners_of_new_customers_by_option():
    pooled, last = imports.owners("pool", 2, [A, B], None)
    assert [a.owner_id for a in pooled] == [None, None] and last is None
    turns, last = imports.owners("round_robin", 4, [C, A, B], A)
    assert [a.owner_id for a in turns] == [B, C, A, B] and last == B
    nobody, _ = imports.owners("round_robin", 1, [], None)
    assert nobody[0].owner_id is None and nobody[0].strategy == "pool"
    chosen, _ = imports.owners(str(A), 2, [], None)
    assert [a.owner_id for a in chosen] == [A, A]
    gone, _ = imports.owners(str(A), 1, [], None, chosen_active=False)
    assert gone[0].owner_id is None


# ---------------------------------------------------------------- the report

def test_the_report_opens_and_never_turns_text_into_formulas():
    customer = uuid.uuid4()
    content = imports.report_xlsx([
        imports.ReportRow(2, CREATED, None, None, customer),
        imports.ReportRow(3, REJECTED, "=HYPERLINK(\"http://x\")", "phone", None)],
        summary={"新建": 1, "文件": "=1+1"})
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == list(imports.REPORT_HEADERS)
    assert rows[1] == [2, "新建", None, None, str(customer)]
    assert rows[2] == [3, "拒绝", "=HYPERLINK(\"http://x\")", "phone", None]
    assert sheet.cell(3, 3).data_type == "s"
    assert book.worksheets[1].cell(2, 2).data_type == "s"
