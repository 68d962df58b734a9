"""The 今日 screen on an emulated slow-4G phone: time until it is usable, and the gzipped
JavaScript it loads. Prints JSON; run against a running suite (make up):

    .venv/bin/python -m bench.web_today --url http://127.0.0.1:8000 --user hz.chen

Slow 4G as Lighthouse emulates it: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, and
the CPU slowed 4× (Chrome DevTools Protocol through Playwright, Debian's Chromium). The page
is opened signed in with an empty cache; "usable" is when 今日's task and lead sections have
rendered from the API's answers."""

from __future__ import annotations

import argparse
import json
import time

from playwright.sync_api import sync_playwright

SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
           "uploadThroughput": 750_000 / 8}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="hz.chen")
    parser.add_argument("--password", default="Keyuan@2026")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        for _ in range(args.runs):
            context = browser.new_context(viewport={"width": 375, "height": 812},
                                          locale="zh-CN", timezone_id="Asia/Shanghai")
            signed = context.request.post(f"{args.url}/api/web/session", data={
                "username": args.user, "password": args.password})
            assert signed.ok, signed.text()
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", SLOW_4G)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            started = time.perf_counter()
            page.goto(f"{args.url}/today", wait_until="commit")
            page.get_by_text("待办任务").wait_for(timeout=60_000)
            page.locator("[data-test=fresh-leads]").or_(page.get_by_text("暂无新线索")) \
                .first.wait_for(timeout=60_000)
            usable = time.perf_counter() - started
            scripts = page.evaluate("""() => performance.getEntriesByType('resource')
                .filter(e => e.name.endsWith('.js'))
                .map(e => ({name: e.name.split('/').pop(), bytes: e.encodedBodySize}))""")
            results.append({"usable_s": round(usable, 2),
                            "js_gzip_bytes": sum(s["bytes"] for s in scripts),
                            "js_files": len(scripts)})
            context.close()
        browser.close()
    print(json.dumps({"conditions": "slow 4G (150 ms RTT, 1.6 Mbit/s down) and 4x CPU",
                      "runs": results,
                      "usable_s_median": sorted(r["usable_s"] for r in results)[len(results) // 2],
                      "today_js_gzip_kb": round(results[0]["js_gzip_bytes"] / 1024, 1),
                      "scripts": scripts}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
