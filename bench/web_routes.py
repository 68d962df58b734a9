"""The gzipped JavaScript each route of the web app loads, from the build's manifest (no
suite needed): the app's entry, then the route's layout and page with every chunk they
import statically (lazy imports of other routes excluded). Prints JSON:

    (cd web && npx vite build) && .venv/bin/python -m bench.web_routes

A route is named by the source files it opens (layout, page); `--route name=a.vue,b.vue`
adds one. The figures are the .gz copies the build writes (what the gateway sends)."""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"

# A desk route opens the desk's route table (added on the first visit) and its layout.
DESK = ["src/areas/desk/routes.ts", "src/areas/desk/DeskLayout.vue"]

ROUTES = {
    "today (今日)": ["src/areas/consultant/ConsultantLayout.vue",
                   "src/areas/consultant/TodayPage.vue"],
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
}


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
        missing = [s for s in sources if s not in manifest]
        if missing:
            answer["routes"][name] = f"not in this build: {', '.join(missing)}"
            continue
        files = closure(manifest, ["index.html", *sources])
        answer["routes"][name] = {
            "js_gzip_kb": round(sum(map(gz_size, files)) / 1024, 1),
            "beyond_entry_kb": round(sum(map(gz_size, files - entry)) / 1024, 1),
            "files": len(files)}
    print(json.dumps(answer, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
