"""The Herbert Protocol tool: carers record what police need to find a missing person fast."""

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from herbert import database
from herbert.config import load_config
from herbert.extensions import csrf, db, limiter, migrate
from herbert.jobs.runner import init_jobs
from herbert.mail import init_mail
from herbert.records.sweep import sweep_at_start_up
from herbert.trusted_hosts import TrustedHostGuard

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: config layers, extensions, blueprints, error pages, headers, CLI."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("HERBERT_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # The instance folder holds the database, keys and blobs: only its owner may enter it.
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    with contextlib.suppress(PermissionError):  # e.g. a folder from a git checkout, created 0755
        os.chmod(app.instance_path, 0o700)
    load_config(app, test_config)

    app.jinja_loader = ChoiceLoader(
        [
            app.jinja_loader,
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    # TRUSTED_HOSTS is set from PUBLIC_URL in production; the guard sits inside ProxyFix so it sees X-Forwarded-Host.
    if app.config.get("TRUSTED_HOSTS"):
        app.wsgi_app = TrustedHostGuard(app.wsgi_app, app.config["TRUSTED_HOSTS"])  # type: ignore[method-assign]
    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    db.init_app(app)
    database.init_database(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    init_mail(app)
    declare_jobs()
    init_jobs(app)
    sweep_at_start_up(app)  # remove what a crash left behind: temp files, orphan blobs, unfinished erasures

    from herbert.auth.sessions import ServerSessionInterface

    app.session_interface = ServerSessionInterface()

    from herbert.resources import load_resources

    app.extensions["herbert.resources"] = load_resources(app.instance_path, app.config["RESOURCES_FILE"])

    from herbert.url_converters import BoundedIntegerConverter

    app.url_map.converters["int"] = BoundedIntegerConverter  # before any route is added: huge ids are a 404
    register_blueprints(app)
    register_request_hooks(app)

    from herbert.cli import register_commands

    register_commands(app)
    return app


def declare_jobs() -> None:
    """Import every module that declares a job (herbert.jobs.registry.job), before the runner binds them."""
    from herbert.jobs import housekeeping  # noqa: F401
    from herbert.mail import account_tokens, delivery, reminders  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from herbert import health, pages
    from herbert.auth import account
    from herbert.auth import views as auth_views
    from herbert.care import organisation_views
    from herbert.care import views as care_views
    from herbert.documents import views as document_views
    from herbert.handover import found
    from herbert.handover.missing import views as missing_views
    from herbert.handover.police import views as police_views
    from herbert.handover.shares import views as share_views
    from herbert.handover.transfer import views as transfer_views
    from herbert.mail import account_views as mail_account_views
    from herbert.people import views as people_views
    from herbert.photos import views as photo_views
    from herbert.questions import views as question_views

    for module in (
        health,
        pages,
        auth_views,
        account,
        people_views,
        question_views,
        photo_views,
        document_views,
        missing_views,
        share_views,
        police_views,
        transfer_views,
        found,
        mail_account_views,
        care_views,
        organisation_views,
    ):
        app.register_blueprint(module.bp)


def register_request_hooks(app: Flask) -> None:
    from herbert.access import init_access
    from herbert.auth.guard import load_signed_in_user
    from herbert.errors import init_error_pages
    from herbert.security_headers import init_security_headers
    from herbert.template_helpers import init_template_helpers

    init_security_headers(app)
    app.before_request(load_signed_in_user)
    init_error_pages(app)
    init_access(app)
    init_template_helpers(app)

    @app.context_processor
    def layout_context() -> dict[str, Any]:
        return {
            "csp_nonce": g.get("csp_nonce", ""),
            "current_user": g.get("user"),
            "resources": app.extensions["herbert.resources"],
            "service_name": app.config["SERVICE_NAME"],
        }
