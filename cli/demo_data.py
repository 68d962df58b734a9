"""`keyuan demo-data`: a demo company with two projects in two cities, their teams and users.
Fixed ids (uuid5), so loading it again updates rather than duplicates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.directory import commands

NAMESPACE = uuid.UUID("6f1c1f5e-6b8e-4c55-9a8e-1d7e2b9a0c11")
DEMO_PASSWORD = "Keyuan@2026"


def demo_id(name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, name)


COMPANY = demo_id("company")
PROJECTS = {"hz": (demo_id("project:hz"), "滨江壹号", "杭州"),
            "sh": (demo_id("project:sh"), "浦东云境", "上海")}


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    city: str | None  # team/project; None = company-wide


USERS = [
    DemoUser("admin", "系统管理员", "admin", None),
    DemoUser("director", "周总监", "director", None),
    DemoUser("mgr.hz", "吴经理", "manager", "hz"),
    DemoUser("hz.chen", "陈晓明", "consultant", "hz"),
    DemoUser("hz.li", "李娜", "consultant", "hz"),
    DemoUser("hz.wang", "王磊", "consultant", "hz"),
    DemoUser("mgr.sh", "郑经理", "manager", "sh"),
    DemoUser("sh.zhao", "赵敏", "consultant", "sh"),
    DemoUser("sh.qian", "钱坤", "consultant", "sh"),
    DemoUser("sh.sun", "孙丽", "consultant", "sh"),
    DemoUser("service", "客服小刘", "service_agent", None),
    DemoUser("agent", "链家张经纪", "channel_agent", None),
    DemoUser("owner", "业主林先生", "homeowner", "hz"),
]


def load(session: Session, password: str = DEMO_PASSWORD) -> list[DemoUser]:
    commands.upsert_company(session, COMPANY, "示范地产集团")
    for key, (project_id, name, city) in PROJECTS.items():
        commands.upsert_project(session, project_id, COMPANY, name, city)
        commands.upsert_team(session, demo_id(f"team:{key}"), COMPANY, f"{name}销售一组",
                             project_id, demo_id("user:mgr." + key))
    every_project = [p[0] for p in PROJECTS.values()]
    for user in USERS:
        projects = [PROJECTS[user.city][0]] if user.city else every_project
        team = demo_id(f"team:{user.city}") if user.city and user.role in (
            "manager", "consultant") else None
        commands.upsert_user(session, demo_id("user:" + user.username), COMPANY, user.username,
                             password, user.name, user.role, team, projects)
    session.commit()
    return USERS
