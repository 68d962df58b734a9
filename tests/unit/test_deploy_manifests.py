"""The deployment files: Dockerfile, docker-compose.yml and deploy/k8s (kustomize).

No cluster, no container engine, no network. `render()` below is a small kustomize: it
resolves `resources:`, `namespace:`, `replicas:`, `configMapGenerator:` literals and
strategic-merge `patches:` (the features deploy/k8s uses; it fails loudly on any
other), and the checks run on what it renders. Where kubectl is installed, one more
test compares that rendering with `kubectl kustomize`.
"""

from __future__ import annotations

import copy
import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(p.parent for p in (K8S / "overlays").glob("*/kustomization.yaml"))
KUSTOMIZATIONS = [BASE, *OVERLAYS]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

SERVICES = {"directory", "leads", "customers", "tasks", "service_desk", "analytics"}
PROCESSES = SERVICES | {"gateway", "migrate"}
# Every setting a process reads from its environment (pydantic-settings, KEYUAN_ prefix),
# except the optional per-service KEYUAN_<SERVICE>_DATABASE_URL overrides.
SETTINGS = {
    "KEYUAN_ENV",
    "KEYUAN_AMQP_URI",
    "KEYUAN_DATABASE_URL",
    "KEYUAN_SECRET_KEY",
    "KEYUAN_DATA_KEY",
    "KEYUAN_INDEX_KEY",
    "KEYUAN_METRICS_HOST",
    "KEYUAN_STORAGE_DIR",
    "KEYUAN_METRICS_PORT",
    "KEYUAN_GATEWAY_BIND",
}
SERVICE_DB_URL = re.compile(
    r"^KEYUAN_(" + "|".join(s.upper() for s in SERVICES) + r")_DATABASE_URL$"
)
CONFIG_NAME = "keyuan-config"
SECRET_NAME = "keyuan-secrets"
IMAGE = "keyuan"
METRICS_PORT = 9100
GATEWAY_PORT = 8000

Obj = dict[str, Any]


def process_name(name: str) -> str:
    """Kubernetes and compose names use '-', the `keyuan service` command '_'."""
    return name.replace("-", "_")


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(K8S)) for p in paths]


# --------------------------------------------------------------------------- loading


@functools.cache
def load_docs(path: Path) -> tuple[Obj, ...]:
    with path.open(encoding="utf-8") as f:
        return tuple(d for d in yaml.safe_load_all(f) if d is not None)


def load_kustomization(directory: Path) -> Obj:
    (doc,) = load_docs(directory / "kustomization.yaml")
    return doc


def referenced_files(directory: Path) -> list[Path]:
    """Every file a kustomization (and the ones it includes) points at."""
    kust = load_kustomization(directory)
    files = [directory / "kustomization.yaml"]
    for ref in kust.get("resources", []):
        target = (directory / ref).resolve()
        files.extend(referenced_files(target) if target.is_dir() else [target])
    files.extend((directory / p["path"]).resolve() for p in kust.get("patches", []))
    return files


SUPPORTED_KEYS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "labels",
    "replicas",
    "patches",
    "configMapGenerator",
    "images",
}


def find(objs: list[Obj], kind: str, name: str) -> Obj:
    found = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def strategic_merge(target: Any, patch: Any) -> Any:
    """Maps merge recursively; lists of named maps merge by name; other lists replace."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = dict(target)
        for key, value in patch.items():
            merged[key] = strategic_merge(target[key], value) if key in target else value
        return merged
    if (
        isinstance(target, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in target + patch)
    ):
        merged_list = list(target)
        names = [i["name"] for i in merged_list]
        for item in patch:
            if item["name"] in names:
                at = names.index(item["name"])
                merged_list[at] = strategic_merge(merged_list[at], item)
            else:
                merged_list.append(item)
        return merged_list
    return copy.deepcopy(patch)


@functools.cache
def _render(directory: Path) -> tuple[Obj, ...]:
    kust = load_kustomization(directory)
    unsupported = set(kust) - SUPPORTED_KEYS
    assert not unsupported, f"{directory}: teach render() {sorted(unsupported)} first"
    objs: list[Obj] = []
    for ref in kust.get("resources", []):
        target = (directory / ref).resolve()
        docs = _render(target) if target.is_dir() else load_docs(target)
        objs.extend(copy.deepcopy(list(docs)))

    for gen in kust.get("configMapGenerator", []):
        assert set(gen) <= {"name", "literals", "behavior"}, gen
        data = dict(lit.split("=", 1) for lit in gen.get("literals", []))
        if gen.get("behavior", "create") == "create":
            objs.append(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": gen["name"]},
                    "data": data,
                }
            )
        else:
            existing = find(objs, "ConfigMap", gen["name"])
            existing["data"] = {**existing["data"], **data} if gen["behavior"] == "merge" else data

    for patch in kust.get("patches", []):
        assert set(patch) == {"path"}, "only strategic-merge patch files are rendered here"
        for doc in load_docs(directory / patch["path"]):
            target = find(objs, doc["kind"], doc["metadata"]["name"])
            objs[objs.index(target)] = strategic_merge(target, doc)

    for rep in kust.get("replicas", []):
        find(objs, "Deployment", rep["name"])["spec"]["replicas"] = rep["count"]

    if "namespace" in kust:
        for obj in objs:
            if obj["kind"] == "Namespace":
                obj["metadata"]["name"] = kust["namespace"]
            else:
                obj["metadata"]["namespace"] = kust["namespace"]
    return tuple(objs)


def render(directory: Path) -> list[Obj]:
    return copy.deepcopy(list(_render(directory)))


def of_kind(objs: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objs if o["kind"] == kind]


def workloads(objs: list[Obj]) -> list[Obj]:
    return of_kind(objs, "Deployment") + of_kind(objs, "Job")


def effective_security(pod_spec: Obj, container: Obj) -> Obj:
    """A container's securityContext over its pod's, as the kubelet applies them."""
    return {**pod_spec.get("securityContext", {}), **container.get("securityContext", {})}


def secret_examples() -> dict[str, set[str]]:
    """Secret name -> keys, from every *.example.yaml under deploy/k8s."""
    found: dict[str, set[str]] = {}
    for path in K8S.rglob("*.example.yaml"):
        for doc in load_docs(path):
            if doc["kind"] == "Secret":
                keys = set(doc.get("stringData", {})) | set(doc.get("data", {}))
                found.setdefault(doc["metadata"]["name"], set()).update(keys)
    return found


@functools.cache
def load_compose() -> Obj:
    (doc,) = load_docs(COMPOSE)  # safe_load resolves the `<<: *anchor` merge keys
    return doc


def keyuan_compose_services() -> dict[str, Obj]:
    return {
        name: svc
        for name, svc in load_compose()["services"].items()
        if name not in {"postgres", "rabbitmq"}
    }


# ------------------------------------------------------------------- kustomize files


def test_overlays_exist() -> None:
    assert {p.name for p in OVERLAYS} >= {"shanghai", "hangzhou"}


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=_ids(KUSTOMIZATIONS))
def test_every_referenced_file_exists_and_parses(directory: Path) -> None:
    for path in referenced_files(directory):
        assert path.is_file(), f"{directory}: {path} is referenced but missing"
        assert load_docs(path), f"{path} is empty"
        for doc in load_docs(path):
            assert {"apiVersion", "kind"} <= set(doc), f"{path}: not a Kubernetes object"


def test_every_yaml_file_under_deploy_parses() -> None:
    paths = sorted(K8S.rglob("*.yaml"))
    assert paths
    for path in paths:
        load_docs(path)


def test_secret_examples_are_not_rendered() -> None:
    """Secret values never go through kustomize; the pods only name the Secrets."""
    for directory in KUSTOMIZATIONS:
        assert not of_kind(render(directory), "Secret"), directory
        for path in referenced_files(directory):
            assert not path.name.endswith(".example.yaml"), path


def test_base_has_one_manifest_per_process() -> None:
    objs = render(BASE)
    deployments = {process_name(d["metadata"]["name"]) for d in of_kind(objs, "Deployment")}
    jobs = {process_name(j["metadata"]["name"]) for j in of_kind(objs, "Job")}
    assert deployments == SERVICES | {"gateway"}
    assert jobs == {"migrate"}
    for name in SERVICES | {"gateway"}:
        path = BASE / f"{name.replace('_', '-')}.yaml"
        kinds = {d["kind"] for d in load_docs(path)}
        assert {"Deployment", "Service"} <= kinds, path
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget"} <= {
        d["kind"] for d in load_docs(BASE / "gateway.yaml")
    }


# ----------------------------------------------------------------- rendered workloads


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=_ids(KUSTOMIZATIONS))
def test_containers_are_hardened_and_sized(directory: Path) -> None:
    for wl in workloads(render(directory)):
        pod = wl["spec"]["template"]["spec"]
        where = f"{directory.name}: {wl['kind']}/{wl['metadata']['name']}"
        assert pod.get("automountServiceAccountToken") is False, where
        tmp_volumes = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        for c in pod.get("initContainers", []) + pod["containers"]:
            sec = effective_security(pod, c)
            assert sec.get("runAsNonRoot") is True, where
            assert sec.get("runAsUser") == 10001, where
            assert sec.get("readOnlyRootFilesystem") is True, where
            assert sec.get("allowPrivilegeEscalation") is False, where
            assert sec.get("capabilities", {}).get("drop") == ["ALL"], where
            assert sec.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
            assert "privileged" not in sec or sec["privileged"] is False, where
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c.get("resources", {}).get(bound, {})), (
                    f"{where}: {bound}"
                )
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            assert mounts.get("/tmp") in tmp_volumes, f"{where}: /tmp must be an emptyDir"
            assert c["image"] == IMAGE, f"{where}: every process runs the one image"


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=_ids(KUSTOMIZATIONS))
def test_commands_probes_and_scrape_annotations(directory: Path) -> None:
    objs = render(directory)
    for wl in workloads(objs):
        name = process_name(wl["metadata"]["name"])
        template = wl["spec"]["template"]
        (c,) = template["spec"]["containers"]
        where = f"{directory.name}: {name}"
        expected_args = ["service", name] if name in SERVICES else [name]
        assert c["args"] == expected_args, where
        assert "command" not in c, f"{where}: keep the image's entrypoint (tini, keyuan)"
        if wl["kind"] == "Job":
            assert "livenessProbe" not in c, where
            continue
        port = METRICS_PORT if name in SERVICES else GATEWAY_PORT
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert port in ports.values(), where
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            http = c[probe]["httpGet"]
            assert http["path"] in {"/healthz", "/metrics"}, f"{where}: {probe}"
            assert ports.get(http["port"], http["port"]) == port, f"{where}: {probe}"
        # A service is ready when its consumers run and its database answers (/healthz);
        # liveness asks only whether the process answers (/metrics), so an outage of a
        # shared dependency does not restart every pod. The gateway's /healthz reports
        # the whole suite, which is why no gateway probe uses it.
        paths = {p: c[p]["httpGet"]["path"] for p in ("readinessProbe", "livenessProbe")}
        expected = "/healthz" if name in SERVICES else "/metrics"
        assert paths == {"readinessProbe": expected, "livenessProbe": "/metrics"}, where
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", where
        assert annotations["prometheus.io/port"] == str(port), where
        assert annotations["prometheus.io/path"] == "/metrics", where


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=_ids(KUSTOMIZATIONS))
def test_settings_come_from_the_configmap_and_the_secrets(directory: Path) -> None:
    objs = render(directory)
    config = find(objs, "ConfigMap", CONFIG_NAME)["data"]
    examples = secret_examples()
    assert int(config["KEYUAN_METRICS_PORT"]) == METRICS_PORT
    assert config["KEYUAN_METRICS_HOST"] == "0.0.0.0", "probes and scrapes use the pod IP"
    assert config["KEYUAN_GATEWAY_BIND"] == f"0.0.0.0:{GATEWAY_PORT}"
    for wl in workloads(objs):
        for c in wl["spec"]["template"]["spec"]["containers"]:
            where = f"{directory.name}: {wl['metadata']['name']}"
            refs = {(kind, src[kind]["name"]) for src in c["envFrom"] for kind in src}
            assert refs == {("configMapRef", CONFIG_NAME), ("secretRef", SECRET_NAME)}, where
            for var in c.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in examples.get(ref["name"], set()), (
                        f"{where}: Secret {ref['name']} needs an *.example.yaml with {ref['key']}"
                    )
                assert "value" not in var or not var["name"].startswith("KEYUAN_"), (
                    f"{where}: KEYUAN_* settings belong in the ConfigMap or a Secret"
                )


def test_settings_are_split_between_configmap_and_secret() -> None:
    config = set(find(render(BASE), "ConfigMap", CONFIG_NAME)["data"])
    secret = secret_examples()[SECRET_NAME]
    assert not config & secret
    assert config | secret == SETTINGS
    # Anything holding a password or a key is a secret.
    assert {"KEYUAN_DATABASE_URL", "KEYUAN_AMQP_URI"} <= secret
    assert not {k for k in config if k.endswith(("_KEY", "_URL", "_URI"))}


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=_ids(KUSTOMIZATIONS))
def test_migrate_sees_every_database_override(directory: Path) -> None:
    """A schema moved to its own server is migrated there too."""
    objs = render(directory)

    def overrides(wl: Obj) -> set[str]:
        (c,) = wl["spec"]["template"]["spec"]["containers"]
        return {v["name"] for v in c.get("env", []) if SERVICE_DB_URL.match(v["name"])}

    migrate = overrides(find(objs, "Job", "migrate"))
    for deployment in of_kind(objs, "Deployment"):
        assert overrides(deployment) <= migrate, deployment["metadata"]["name"]


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=_ids(KUSTOMIZATIONS))
def test_selectors_match_and_gateway_scales(directory: Path) -> None:
    objs = render(directory)
    pods = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in of_kind(objs, "Deployment")
    }
    for d in of_kind(objs, "Deployment"):
        selector = d["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pods[d["metadata"]["name"]].items()
    for svc in of_kind(objs, "Service"):
        matching = [
            n for n, labels in pods.items() if svc["spec"]["selector"].items() <= labels.items()
        ]
        assert matching == [svc["metadata"]["name"]], svc["metadata"]["name"]
    for pdb in of_kind(objs, "PodDisruptionBudget"):
        assert pdb["spec"]["selector"]["matchLabels"].items() <= pods["gateway"].items()

    gateway = find(objs, "Deployment", "gateway")
    assert "replicas" not in gateway["spec"], "the HorizontalPodAutoscaler owns the count"
    hpa = find(objs, "HorizontalPodAutoscaler", "gateway")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "gateway",
    }
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert (
        find(objs, "PodDisruptionBudget", "gateway")["spec"]["minAvailable"]
        < hpa["spec"]["minReplicas"]
    ), "a node drain must be able to evict a gateway pod"


def test_overlays_differ_by_city() -> None:
    base_ns = find(render(BASE), "Namespace", "keyuan")["metadata"]["name"]
    namespaces = {base_ns}
    for directory in OVERLAYS:
        objs = render(directory)
        (ns,) = {o["metadata"].get("namespace") for o in objs if o["kind"] != "Namespace"}
        assert [n["metadata"]["name"] for n in of_kind(objs, "Namespace")] == [ns]
        assert ns not in namespaces, f"{directory.name} shares namespace {ns}"
        namespaces.add(ns)

    def replicas(directory: Path, name: str) -> int:
        return find(render(directory), "Deployment", name)["spec"]["replicas"]

    shanghai = K8S / "overlays" / "shanghai"
    assert replicas(shanghai, "leads") > replicas(BASE, "leads")
    leads = find(render(shanghai), "Deployment", "leads")["spec"]["template"]["spec"]
    env = {v["name"] for v in leads["containers"][0].get("env", [])}
    assert "KEYUAN_LEADS_DATABASE_URL" in env


@functools.cache
def kubectl_renders() -> dict[Path, list[Obj]]:
    """`kubectl kustomize` of every kustomization, run side by side (~0.1 s each)."""
    procs = {
        d: subprocess.Popen(
            ["kubectl", "kustomize", str(d)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for d in KUSTOMIZATIONS
    }
    renders = {}
    for directory, proc in procs.items():
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, f"kubectl kustomize {directory}: {err}"
        renders[directory] = [d for d in yaml.safe_load_all(out) if d]
    return renders


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=_ids(KUSTOMIZATIONS))
def test_render_agrees_with_kubectl_kustomize(directory: Path) -> None:
    theirs = kubectl_renders()[directory]
    ours = render(directory)

    def summary(objs: list[Obj]) -> dict[tuple[str, str], Any]:
        result: dict[tuple[str, str], Any] = {}
        for o in objs:
            name = o["metadata"]["name"]
            if o["kind"] == "ConfigMap":  # kustomize appends a content hash
                name = re.sub(r"-[a-z0-9]{10}$", "", name)
            spec = o.get("spec", {})
            containers = spec.get("template", {}).get("spec", {}).get("containers", [])
            result[(o["kind"], name)] = (
                o["metadata"].get("namespace"),
                spec.get("replicas"),
                spec.get("minReplicas"),
                o.get("data"),
                [
                    (
                        c["name"],
                        c["args"],
                        sorted(v["name"] for v in c.get("env", [])),
                        c["resources"],
                    )
                    for c in containers
                ],
            )
        return result

    assert summary(ours) == summary(theirs)


# --------------------------------------------------------------------- docker-compose


def test_compose_has_the_whole_suite() -> None:
    services = load_compose()["services"]
    assert {process_name(n) for n in services} == PROCESSES | {"postgres", "rabbitmq"}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["rabbitmq"]["image"] == "rabbitmq:3.10-management"
    for name in ("postgres", "rabbitmq"):
        assert services[name]["healthcheck"]["test"], name
        assert services[name]["volumes"], name
    assert set(load_compose()["volumes"]) >= {"postgres-data", "rabbitmq-data"}


def test_compose_processes() -> None:
    services = keyuan_compose_services()
    images = {svc["image"] for svc in services.values()}
    assert len(images) == 1, "one image for every process"
    for name, svc in services.items():
        process = process_name(name)
        expected = ["service", process] if process in SERVICES else [process]
        assert svc["command"] == expected, name
        assert "container_name" not in svc, f"{name}: a fixed name prevents --scale"
        assert svc["read_only"] is True and "/tmp" in svc["tmpfs"], name
        assert svc["user"] == "10001:10001", name
        assert svc["cap_drop"] == ["ALL"], name
        if process == "migrate":
            assert svc["restart"] == "no"
            assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
            continue
        assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert svc["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
        port = METRICS_PORT if process in SERVICES else GATEWAY_PORT
        assert f"127.0.0.1:{port}/healthz" in " ".join(svc["healthcheck"]["test"]), name
        if process == "gateway":
            assert [p.rsplit(":", 1)[1] for p in svc["ports"]] == [str(GATEWAY_PORT)]
        else:
            assert "ports" not in svc, f"{name}: a host port prevents --scale"


def test_compose_settings_match_the_kubernetes_ones() -> None:
    config = set(find(render(BASE), "ConfigMap", CONFIG_NAME)["data"])
    known = config | secret_examples()[SECRET_NAME]
    for name, svc in keyuan_compose_services().items():
        env = svc["environment"]
        keyuan_vars = {k for k in env if k.startswith("KEYUAN_")}
        assert keyuan_vars - known == set(), name
        assert keyuan_vars >= SETTINGS, name
        # Secrets are interpolated from the environment or .env, and required.
        for key in known - config:
            assert re.search(r"\$\{[A-Z_]+:\?[^}]+\}", env[key]), f"{name}: {key}"
        assert env["KEYUAN_METRICS_PORT"] == str(METRICS_PORT)
        assert env["KEYUAN_METRICS_HOST"] == "0.0.0.0"
        assert env["KEYUAN_GATEWAY_BIND"] == f"0.0.0.0:{GATEWAY_PORT}"


# ------------------------------------------------------------------------ Dockerfile


def dockerfile_instructions() -> list[tuple[str, str]]:
    # Comment lines go first: Docker drops them even inside a continued instruction.
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    text = "\n".join(ln for ln in lines if not ln.lstrip().startswith("#"))
    joined = [ln.strip() for ln in text.replace("\\\n", " ").splitlines()]
    pairs = [ln.split(None, 1) for ln in joined if ln]
    return [(p[0].upper(), p[1] if len(p) > 1 else "") for p in pairs]


def test_dockerfile_runs_keyuan_as_uid_10001() -> None:
    instructions = dockerfile_instructions()
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in instructions
    last_stage = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    users = [arg for op, arg in instructions[last_stage:] if op == "USER"]
    assert users == ["10001:10001"]
    entrypoint = [arg for op, arg in instructions if op == "ENTRYPOINT"]
    assert entrypoint and entrypoint[-1].endswith('"keyuan"]')
    env = " ".join(arg for op, arg in instructions[last_stage:] if op == "ENV")
    assert f"KEYUAN_METRICS_PORT={METRICS_PORT}" in env
    assert "KEYUAN_METRICS_HOST=0.0.0.0" in env
    assert f"KEYUAN_GATEWAY_BIND=0.0.0.0:{GATEWAY_PORT}" in env
    assert "HOME=/tmp" in env, "the only writable directory under a read-only root"


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = {
        ln.strip()
        for ln in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    }
    assert {".git", ".venv", ".env", ".env.*"} <= ignored
    assert not {"pyproject.toml", "README.md"} & ignored, "pip install . needs them"


def test_the_image_carries_the_web_apps_build_where_the_gateway_serves_it() -> None:
    instructions = dockerfile_instructions()
    stages = [arg.split() for op, arg in instructions if op == "FROM"]
    assert ["${NODE_IMAGE}", "AS", "web"] in stages
    web = instructions[[op for op, _ in instructions].index("FROM") + 1:]
    assert any(op == "RUN" and "npm ci" in arg for op, arg in web)
    assert any(op == "RUN" and "npm run build" in arg for op, arg in web)
    last_stage = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    copies = [arg for op, arg in instructions[last_stage:] if op == "COPY"]
    assert "--from=web /web/dist /opt/keyuan/web/dist" in copies
    env = " ".join(arg for op, arg in instructions[last_stage:] if op == "ENV")
    assert "KEYUAN_WEB_DIST_DIR=/opt/keyuan/web/dist" in env
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "**/node_modules" in ignored and "**/dist" in ignored
    assert "web" not in ignored, "the web stage copies web/"
