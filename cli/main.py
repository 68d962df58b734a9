"""`keyuan`: up, migrate, demo-data, service, gateway, import, user.

Imports stay inside the commands: `keyuan service` must let eventlet patch the standard
library before anything else loads."""

from __future__ import annotations

import argparse
import signal
import sys

import kit  # noqa: F401  (light: environment and warning filters only; no eventlet, no I/O)


def cmd_migrate(args) -> int:
    from kit.migrate import upgrade
    from kit.settings import get_settings

    done = upgrade(get_settings())
    print(f"migrated: {', '.join(done)}")
    return 0


def _directory_session():
    from sqlalchemy.orm import Session

    from kit.db import make_engine
    from kit.settings import get_settings

    engine = make_engine(get_settings().database_url_for("directory"), pool_size=1)
    return Session(engine)


def cmd_demo_data(args) -> int:
    from cli import demo_data
    from kit.settings import get_settings

    if get_settings().env == "prod" and not args.force:
        print("refusing to load demo users with KEYUAN_ENV=prod (use --force)", file=sys.stderr)
        return 2
    with _directory_session() as session:
        users = demo_data.load(session)
    print(f"demo data loaded: {len(users)} users, password {demo_data.DEMO_PASSWORD}")
    return 0


def cmd_user_create(args) -> int:
    import uuid

    from cli import demo_data
    from contracts.actor import Role
    from services.directory import commands, password_policy

    role = Role(args.role)
    problem = password_policy.problem(args.password, args.username)
    if problem is not None:
        print(f"keyuan user create: --password: {problem} ({password_policy.STATEMENT})",
              file=sys.stderr)
        return 2
    with _directory_session() as session:
        commands.upsert_company(session, uuid.UUID(args.company), args.company_name) \
            if args.company_name else None
        user = commands.upsert_user(
            session, uuid.uuid5(demo_data.NAMESPACE, "user:" + args.username),
            uuid.UUID(args.company), args.username, args.password, args.name, role.value,
            uuid.UUID(args.team) if args.team else None,
            [uuid.UUID(p) for p in args.project or []])
        session.commit()
        print(f"user {user.username} ({role.value}) id {user.id}")
    return 0


def cmd_service(args) -> int:
    from kit.runner import main as run_service

    return run_service(args.name)


def cmd_gateway(args) -> int:
    from gateway.server import main as run_gateway

    return run_gateway()


def _build_web() -> None:
    """The web app, rebuilt when web/ changed; without Node.js the API still runs."""
    from cli.web_build import WebBuildFailed, ensure_built

    try:
        print("web app built" if ensure_built() else "web app up to date", flush=True)
    except WebBuildFailed as exc:
        print(f"keyuan up: the web app is not built: {exc}", file=sys.stderr, flush=True)


def cmd_web_build(args) -> int:
    from cli.web_build import WebBuildFailed, ensure_built

    try:
        print("web app built" if ensure_built(force=args.force) else "web app up to date")
    except WebBuildFailed as exc:
        print(f"keyuan web-build: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_up(args) -> int:
    import os

    from cli import demo_data, local_secrets
    from cli.checks import NotReady, check_all
    from cli.settle import wait_settled
    from cli.supervisor import Supervisor
    from kit.migrate import upgrade
    from kit.settings import get_settings, secrets_file

    # This installation's own keys, before any settings are read: no process runs on the
    # keys published in the repository (dev and prod refuse them).
    path = secrets_file()
    done = local_secrets.ensure(path)
    if done != "reused":
        print(f"secrets {done}: {path} (only you can read it; keep it out of git)")
    settings = get_settings()
    try:
        check_all(settings)
    except NotReady as exc:
        print(f"keyuan up: {exc}", file=sys.stderr)
        return 1
    upgrade(settings)
    print("migrations applied")
    if not args.no_web:
        _build_web()
    if not args.no_demo:
        cmd_demo_data(argparse.Namespace(force=False))
    supervisor = Supervisor(env=dict(os.environ))

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    url = f"http://{settings.gateway_bind}"
    try:
        supervisor.start()
        supervisor.wait_healthy(url)
        if not wait_settled(settings):
            print("keyuan up: events are still being delivered; read copies may lag",
                  file=sys.stderr)
        print(f"\nKeyuan 客源 is up: {url}  (API docs {url}/api/docs, health {url}/healthz)")
        if not args.no_demo:
            print(f"log in with POST {url}/api/auth/login as admin, director, mgr.hz, hz.chen, "
                  f"... password {demo_data.DEMO_PASSWORD} (see README)")
        print("Ctrl-C stops everything.", flush=True)
        supervisor.watch()
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
    except RuntimeError as exc:
        print(f"keyuan up: {exc}", file=sys.stderr)
        supervisor.stop()
        return 1
    supervisor.stop()
    print("stopped")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="keyuan", description="Keyuan 客源 CRM")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="check, migrate, load demo data, run everything")
    up.add_argument("--no-demo", action="store_true", help="do not load demo data")
    up.add_argument("--no-web", action="store_true", help="do not build the web app")
    up.set_defaults(func=cmd_up)

    web = sub.add_parser("web-build", help="build the web app (web/dist) if web/ changed")
    web.add_argument("--force", action="store_true", help="build even if nothing changed")
    web.set_defaults(func=cmd_web_build)

    sub.add_parser("migrate", help="apply every service's migrations").set_defaults(
        func=cmd_migrate)

    demo = sub.add_parser("demo-data", help="load the demo company and users")
    demo.add_argument("--force", action="store_true")
    demo.set_defaults(func=cmd_demo_data)

    service = sub.add_parser("service", help="run one service")
    service.add_argument("name", choices=["directory", "leads", "customers", "tasks",
                                          "service_desk", "analytics"])
    service.set_defaults(func=cmd_service)

    sub.add_parser("gateway", help="run the HTTP gateway under gunicorn").set_defaults(
        func=cmd_gateway)

    from cli import import_file

    import_file.add_parser(sub)

    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser(
        "create", help="create or update a user (the first admin of a fresh installation; "
        "everyone else through the API)")
    create.add_argument("username")
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True)
    create.add_argument("--company", required=True, help="company id (UUID)")
    create.add_argument("--company-name", help="create the company with this name too")
    create.add_argument("--team")
    create.add_argument("--project", action="append")
    create.set_defaults(func=cmd_user_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:
        # Settings that refuse to run (a published key, a bad value): say which and why,
        # without a traceback. (pydantic is imported lazily, after eventlet's patching.)
        if type(exc).__name__ != "ValidationError" or getattr(exc, "title", "") != "Settings":
            raise
        for error in exc.errors():
            print(f"keyuan: {error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
