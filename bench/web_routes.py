"""The gzipped JavaScript each route of the web app loads, from the build's manifest (no
suite needed): the app's entry, then the route's layout and page with every chunk they
import statically (lazy imports of other routes excluded). Prints JSON:

    (cd web && npx vite build) && .venv/bin/python -m bench.web_routes

A route is named by the source files it opens (layout, page), or by a chunk the build puts
them in (`chunk:today`: vite.config.ts gathers 今日's modules into one file); `--route
name=a.vue,b.vue` adds one. The figures are the .gz copies the build writes (what the
gateway sends)."""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"

# A desk route opens the desk's route table (added on the first visit) and its layout.
DESK = ["src/areas/desk/routes.ts", "src/areas/desk/DeskLayout.vue"]

ROUTES = {
    "today (今日)": ["chunk:today"],
    "desk: team customers (团队客户)": [*DESK,
                                     "src/areas/desk/TeamCustomersPage.vue"],
    "desk: team tasks (团队任务)": [*DESK,
                                  "src/areas/desk/TeamTasksPage.vue"],
    "desk: pool (公海分配)": [*DESK,
                          "src/areas/desk/PoolAssignPage.vue"],
    "desk: departures (离职交接)": [*DESK,
                                "src/areas/desk/DeparturesPage.vue"],
    "admin: users (用户)": [*DESK, "src/areas/admin/UsersPage.vue"],
    "admin: teams (团队)": [*DESK, "src/areas/admin/TeamsPage.vue"],
    "admin: projects (项目)": [*DESK,
                             "src/areas/admin/ProjectsPage.vue"],
    "desk: completeness (信息完善率)": [*DESK, "src/areas/desk/CompletenessPage.vue"],
    "desk: reception (接待轮岗)": [*DESK, "src/areas/desk/reception/ReceptionLinePage.vue"],
    "desk: lead rules (线索规则)": [*DESK, "src/areas/desk/settings/LeadRulesPage.vue"],
    "desk: SOP (SOP 模板)": [*DESK, "src/areas/desk/settings/SopPage.vue"],
    "desk: funnel (阶段与字段)": [*DESK, "src/areas/desk/settings/FunnelFieldsPage.vue"],
    "desk: imports (导入客户)": [*DESK, "src/areas/desk/growth/ImportPage.vue"],
    "desk: segments (客群与活动)": [*DESK, "src/areas/desk/growth/SegmentsPage.vue"],
    "admin: channels (渠道)": [*DESK, "src/areas/admin/ChannelsPage.vue"],
    "admin: notifications (通知)": [*DESK, "src/areas/admin/NotificationsPage.vue"],
    "admin: privacy (隐私与审计)": [*DESK, "src/areas/admin/PrivacyPage.vue"],
}


def manifest_key(manifest: dict, source: str) -> str | None:
    """The manifest entry of a source file, or of a named chunk (`chunk:<name>`)."""
    if not source.startswith("chunk:"):
        return source if source in manifest else None
    name = source.removeprefix("chunk:")
    return next((key for key, entry in manifest.items()
                 if entry.get("name") == name and entry["file"].endswith(".js")), None)


def gz_size(file: str) -> int:
    path = DIST / file
    zipped = path.with_name(path.name + ".gz")
    return zipped.stat().st_size if zipped.is_file() else len(gzip.compress(
        path.read_bytes(), 9))


def closure(manifest: dict, keys: list[str]) -> set[str]:
    """The JS files of these manifest entries and everything they import statically."""
    seen: set[str] = set()
    files: set[str] = set()
    todo = list(keys)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        entry = manifest[key]
        if entry["file"].endswith(".js"):
            files.add(entry["file"])
        todo += entry.get("imports", [])
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--route", action="append", default=[],
                        help="name=src/a.vue,src/b.vue")
    args = parser.parse_args()
    routes = dict(ROUTES)
    for spec in args.route:
        name, _, sources = spec.partition("=")
        routes[name] = sources.split(",")
    manifest = json.loads((DIST / ".vite" / "manifest.json").read_text())
    entry = closure(manifest, ["index.html"])
    answer = {"app_entry_kb": round(sum(map(gz_size, entry)) / 1024, 1), "routes": {}}
    for name, sources in routes.items():
        keys = {s: manifest_key(manifest, s) for s in sources}
        missing = [s for s, key in keys.items() if key is None]
        if missing:
            answer["routes"][name] = f"not in this build: {', '.join(missing)}"
            continue
        files = closure(manifest, ["index.html", *keys.values()])
        answer["routes"][name] = {
            "js_gzip_kb": round(sum(map(gz_size, files)) / 1024, 1),
            "beyond_entry_kb": round(sum(map(gz_size, files - entry)) / 1024, 1),
            "files": len(files)}
    print(json.dumps(answer, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
