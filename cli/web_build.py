"""Build the web app (web/ → web/dist) when its sources changed: `npm ci` when the lock file
changed or node_modules is missing, then `npm run build`. Needs Node.js ≥ 20.19."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
SOURCES = ("package.json", "package-lock.json", "index.html", "docs.html", "vite.config.ts",
           "tsconfig.json", "src", "public")
NODE_MIN = (20, 19)
GET_NODE = ("install Node.js 20.19 or newer with npm: `apt-get install nodejs npm` on Debian 13 "
            "or Ubuntu 24.04+, otherwise from https://nodejs.org (or `nvm install 20`)")


class WebBuildFailed(RuntimeError):
    pass


def digest(paths: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for name in paths:
        top = WEB / name
        files = sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top]
        for path in files:
            if path.is_file():
                h.update(str(path.relative_to(WEB)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def node_version() -> tuple[int, ...] | None:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    try:
        return tuple(int(x) for x in out.stdout.strip().lstrip("v").split(".")[:2])
    except ValueError:
        return None


def check_node() -> None:
    version = node_version()
    if version is None:
        raise WebBuildFailed(f"Node.js with npm is not installed; {GET_NODE}")
    if version < NODE_MIN:
        raise WebBuildFailed(f"Node.js {'.'.join(map(str, version))} is too old for the web app "
                             f"(Vite 8 needs ≥ {'.'.join(map(str, NODE_MIN))}); {GET_NODE}")


def _run(*args: str) -> None:
    done = subprocess.run(args, cwd=WEB, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise WebBuildFailed(f"`{' '.join(args)}` failed:\n{(done.stdout + done.stderr)[-3000:]}")


def ensure_installed() -> bool:
    """`npm ci` when node_modules is missing or older than the lock file; True if it ran."""
    check_node()
    stamp = WEB / "node_modules" / ".keyuan-lock"
    lock = digest(("package-lock.json",))
    if stamp.is_file() and stamp.read_text() == lock:
        return False
    _run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
    stamp.write_text(lock)
    return True


def ensure_built(force: bool = False) -> bool:
    """Build web/dist unless it was built from these very sources; True if it built."""
    ensure_installed()
    stamp = WEB / "dist" / ".keyuan-sources"
    sources = digest(SOURCES)
    if not force and stamp.is_file() and stamp.read_text() == sources:
        return False
    _run("npm", "run", "build", "--silent")
    stamp.write_text(sources)
    return True
