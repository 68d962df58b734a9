# syntax=docker/dockerfile:1
#
# One image for every Keyuan process; the command picks the role:
#   keyuan migrate             one-shot, applies every service's migrations
#   keyuan service <name>      a Nameko service (directory, leads, customers, tasks,
#                              service_desk, analytics); /metrics and /healthz on :9100
#   keyuan gateway             the Flask gateway under gunicorn on :8000, serving the web
#                              app (built in the `web` stage) at /
#
# Build:  docker build -t keyuan:dev .
# The image runs as uid 10001 and works with a read-only root filesystem as long as
# /tmp is writable (emptyDir in Kubernetes, tmpfs in docker-compose.yml).

ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20-slim

# ---------------------------------------------------------------------------
# web: the web app's build (web/dist), which the gateway serves at /
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS web

WORKDIR /web
# The lock file first, so that a page change does not reinstall the packages.
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---------------------------------------------------------------------------
# build: a virtualenv with the dependencies and the keyuan distribution in it
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN python -m venv /opt/keyuan
ENV PATH=/opt/keyuan/bin:$PATH

WORKDIR /src

# Dependencies first, from pyproject.toml alone, so that a code change does not
# reinstall them. (tomllib is in the 3.11 standard library.)
COPY pyproject.toml ./
RUN python - <<'EOF'
import tomllib
with open("pyproject.toml", "rb") as f:
    deps = tomllib.load(f).get("project", {}).get("dependencies", [])
with open("/tmp/requirements.txt", "w") as f:
    f.write("\n".join(deps) + "\n")
EOF
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -r /tmp/requirements.txt

# Then the project itself (what .dockerignore lets through). A regular, not editable,
# install: the code runs from site-packages, compiled to .pyc here, because the root
# filesystem is read-only at run time.
COPY . .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps . \
 && keyuan --help >/dev/null

# ---------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# tini as PID 1: forwards SIGTERM to keyuan (which drains Nameko workers or gunicorn
# gracefully) and reaps zombies. Python as PID 1 would ignore SIGTERM without a handler.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

# Fixed numeric ids so Kubernetes' runAsNonRoot can verify them and volumes can be
# chowned to a known owner. No home directory: HOME points at /tmp below.
RUN groupadd --system --gid 10001 keyuan \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
            --home-dir /nonexistent --shell /usr/sbin/nologin keyuan

COPY --from=build /opt/keyuan /opt/keyuan
COPY --from=web /web/dist /opt/keyuan/web/dist

ENV PATH=/opt/keyuan/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    # The only writable place under a read-only root filesystem. gunicorn puts its
    # control socket under $HOME/.gunicorn, other libraries their caches under $HOME.
    HOME=/tmp \
    TMPDIR=/tmp \
    # Container defaults; the settings' own defaults (127.0.0.1) suit a laptop only.
    KEYUAN_METRICS_HOST=0.0.0.0 \
    KEYUAN_METRICS_PORT=9100 \
    KEYUAN_GATEWAY_BIND=0.0.0.0:8000 \
    KEYUAN_WEB_DIST_DIR=/opt/keyuan/web/dist

WORKDIR /tmp
USER 10001:10001

# 8000: gateway HTTP. 9100: a service's /metrics and /healthz.
EXPOSE 8000 9100

# No HEALTHCHECK here: the port differs by role, so docker-compose.yml and the
# Kubernetes probes define it per process.
ENTRYPOINT ["/usr/bin/tini", "--", "keyuan"]
CMD ["--help"]
