"""A lead list uploaded over HTTP, followed until done, its report downloaded."""

from __future__ import annotations

import io
import time
import uuid
from urllib.parse import unquote

import pytest
from openpyxl import Workbook, load_workbook

from cli.demo_data import PROJECTS

pytestmark = pytest.mark.e2e

HZ = str(PROJECTS["hz"][0])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def phone() -> str:
    return f"136{uuid.uuid4().int % 10**8:08d}"


def workbook(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机", "渠道", "备注", "录入人"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def until_done(suite, job_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = suite.get(f"/api/imports/{job_id}", "mgr.hz")
        assert status.status_code == 200, status.text
        if status.json()["status"] in ("done", "failed"):
            return status.json()
        time.sleep(0.3)
    pytest.fail(f"import {job_id} not done within {timeout}s")


def test_an_uploaded_list_is_imported_and_its_report_downloaded(suite):
    first = phone()
    content = workbook([
        ["王先生", first, "抖音", "", "小王"],
        ["王先生", f"+86 {first[:3]} {first[3:7]} {first[7:]}", "贝壳", "同一个人", ""],
        [None, None, None, None, None],
        ["李女士", "12345", "", "号码不对", ""],
        ["刘女士", phone(), "官网", "", ""],
    ])
    answer = suite.post("/api/imports", "mgr.hz",
                        files={"file": ("客户名单.xlsx", content, XLSX)},
                        data={"project_id": HZ, "channel": "other"})
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    assert answer.headers["Location"].endswith(f"/api/imports/{job_id}")
    assert answer.json()["ignored_columns"] == ["录入人"]

    status = until_done(suite, job_id)
    assert status["status"] == "done", status
    assert (status["total"], status["created"], status["merged"], status["rejected"]) == \
        (4, 2, 1, 1)

    report = suite.get(f"/api/imports/{job_id}/report.xlsx", "mgr.hz")
    assert report.status_code == 200
    assert report.headers["Content-Type"] == XLSX
    disposition = report.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "导入报告-客户名单.xlsx"
    sheet = load_workbook(io.BytesIO(report.content)).worksheets[0]
    lines = [[c.value for c in row] for row in sheet.iter_rows()]
    assert lines[0] == ["行号", "结果", "原因", "字段", "客户ID"]
    assert [line[:2] for line in lines[1:]] == [[2, "新建"], [3, "合并"], [5, "拒绝"],
                                                [6, "新建"]]
    assert lines[3][3] == "phone" and "手机" in lines[3][2]
    assert lines[2][4] == lines[1][4]          # merged into the first row's customer

    rejected = suite.get(f"/api/imports/{job_id}/report", "mgr.hz",
                         params={"outcome": "rejected"}).json()
    assert [r["row"] for r in rejected["rows"]] == [5]


def test_imports_are_refused_naming_the_field_and_hidden_outside_scope(suite):
    not_multipart = suite.post("/api/imports", "mgr.hz", json={"project_id": HZ})
    assert not_multipart.status_code == 422
    assert not_multipart.json()["error"]["field"] == "file"
    no_phone = suite.post("/api/imports", "mgr.hz", data={"project_id": HZ},
                          files={"file": ("a.csv", "姓名,备注\n甲,x\n".encode(), "text/csv")})
    assert no_phone.status_code == 422 and no_phone.json()["error"]["field"] == "mapping"
    too_big = suite.post("/api/imports", "mgr.hz", data={"project_id": HZ},
                         files={"file": ("a.csv", b"x" * (20 * 1024 * 1024 + 1), "text/csv")})
    assert too_big.status_code == 413 and too_big.json()["error"]["field"] == "file"

    job = suite.post("/api/imports", "mgr.hz", data={"project_id": HZ},
                     files={"file": ("a.csv", f"姓名,电话\n甲,{phone()}\n".encode(),
                                     "text/csv")}).json()["job_id"]
    assert suite.get(f"/api/imports/{job}", "mgr.sh").status_code == 404
    assert suite.get(f"/api/imports/{job}/report.xlsx", "hz.chen").status_code == 404
    assert suite.get(f"/api/imports/{uuid.uuid4()}", "mgr.hz").status_code == 404
    assert until_done(suite, job)["created"] == 1
