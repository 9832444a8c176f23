"""The application factory: it wires the app together and does no work of its own."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

from flask import Flask
from flask import current_app
from flask import request
from flask import url_for
from flask_login import current_user
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import BytecodeCache
from jinja2 import ChoiceLoader
from jinja2 import FileSystemLoader
from jinja2 import PackageLoader
from jinja2 import PrefixLoader
from jinja2.bccache import Bucket
from werkzeug.middleware.proxy_fix import ProxyFix

from app.database import db
from app.database import register_reading_engine
from app.errors import register_error_handlers
from app.extensions import csrf
from app.extensions import limiter
from app.extensions import login_manager
from app.extensions import migrate
from app.headers import TrustedHostsOnly
from app.headers import register_security_headers
from app.jobs import register_jobs
from app.keys.store import KeyStore
from app.routing import register_routing
from app.security import Permission
from app.security import has_permission
from app.security import register_access_control
from app.sessions import DatabaseSessionInterface
from app.settings import Settings
from app.settings import SettingsError
from app.settings import load_settings
from app.unit_of_work import UnitOfWorkFlask
from app.unit_of_work import register_unit_of_work

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Every package's models, so the mapper resolves relationships between packages by name and
# Alembic sees every table, whichever views a process happens to import.
MODEL_MODULES = (
    "app.accounts.models",
    "app.keys.models",
    "app.jobs.models",
    "app.sessions",
    "audit.models",
    "panels.models",
    "cases.models",
    "cases.people.models",
    "cases.referrals.models",
    "cases.actions.models",
    "cases.meetings.models",
    "cases.sharing.models",
    "cases.restrictions.models",
    "cases.break_glass.models",
    "cases.retention.models",
    "cases.asb.models",
    "cases.subject_access.models",
    "cases.reports.models",
    "cases.reach.models",
    "notifications.models",
)


def load_models() -> None:
    """Import every package's models (the factory does this before anything is queried)."""
    for module in MODEL_MODULES:
        import_module(module)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from `settings`, or from the environment when none are given."""
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError as error:
            raise SystemExit(f"Configuration error: {error}") from None
    app = UnitOfWorkFlask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(settings.instance_path),
    )
    load_models()
    configure(app, settings)
    register_routing(app)
    register_extensions(app, settings)
    register_templates(app, settings)
    register_blueprints(app)
    register_access_control(app)
    register_security_headers(app)
    register_error_handlers(app)
    register_refusals(app)
    register_audit_of_keys()
    register_case_reach()
    register_cli(app)
    return app


def configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAX_CONTENT_LENGTH=settings.max_content_length,
        MAX_FORM_MEMORY_SIZE=settings.max_content_length,
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the (server-side) session
        PREFERRED_URL_SCHEME="https" if settings.https else "http",
        # A request for any other host is refused (TrustedHostsOnly, below, answers it first), so
        # a forged Host header reaches no page; links emailed to people are built from
        # EXTERNAL_URL by the job worker (notifications/delivery.py), never from a request.
        TRUSTED_HOSTS=list(settings.allowed_hosts),
        DEBUG=settings.debug,
        TESTING=False,
    )
    app.session_interface = DatabaseSessionInterface(settings)
    register_unit_of_work(app)  # first: its commit must run after every other after-request
    register_jobs(app)  # tells the job queue, after each commit, of the work it asked for
    # Inside ProxyFix, so that it checks the host the proxy forwarded.
    app.wsgi_app = TrustedHostsOnly(app.wsgi_app, settings.allowed_hosts)  # type: ignore[method-assign]
    if settings.trusted_proxy_count:
        # Trust exactly as many X-Forwarded-* hops as there are proxies, so clients cannot spoof.
        count = settings.trusted_proxy_count
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )


def register_extensions(app: Flask, settings: Settings) -> None:
    db.init_app(app)
    register_reading_engine(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    app.extensions["key_store"] = KeyStore(settings)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"


class CompiledTemplates(BytecodeCache):
    """Each template compiled once per process, however many apps the process makes (the
    tests make one per test, and compiling was most of their set-up). Every app is set up the
    same way, and Jinja checks an entry against its template's source before using it."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def register_templates(app: Flask, settings: Settings) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.jinja_env.globals.update(
        service_name=settings.service_name,
        organisation_name=settings.partnership_name,
        protective_marking=settings.protective_marking,
        handling_caveat=settings.handling_caveat,
    )
    WTFormsHelpers(app)
    app.context_processor(navigation)
    from app import template_filters

    template_filters.register(app)


# What a panel member works with: shown only to someone who sits on a panel (a manager, an
# auditor or an administrator who does not could never find anything there).
MEMBERS = "members"

NAVIGATION = (
    # text, endpoint, the path prefix it covers, who sees it (None: everyone; MEMBERS; or the
    # permission needed)
    ("Home", "panels.home", None, None),
    ("Cases", "cases.index", "/cases", MEMBERS),
    ("Referrals", "referrals.index", "/referrals", MEMBERS),
    ("Meetings", "meetings.index", "/meetings", MEMBERS),
    ("Actions", "actions.index", "/actions", MEMBERS),
    ("Case reviews", "asb.index", "/case-reviews", MEMBERS),
    ("Admin", "accounts.index", "/admin", Permission.ADMIN_USERS_MANAGE),
    ("Audit trail", "audit.events", "/audit", Permission.AUDIT_LOG_READ),
    ("Your account", "auth.account", "/account", None),
)


def navigation() -> dict[str, Any]:
    """The service navigation, showing only what the signed-in user may open."""
    if not current_user.is_authenticated:
        return {"nav_items": []}
    items = []
    # Registered by the panels blueprint: whether the user has any panel membership.
    member = current_app.extensions.get("sits_on_a_panel", lambda user: True)(current_user)
    for text, endpoint, prefix, audience in NAVIGATION:
        if audience == MEMBERS and not member:
            continue
        if isinstance(audience, Permission) and not has_permission(current_user, audience):
            continue
        href = url_for(endpoint)
        active = request.path == href or bool(prefix and request.path.startswith(prefix))
        items.append({"text": text, "href": href, "active": active})
    # Items a feature adds for some users (such as coordinators' alerts), before "Your account".
    for extra in current_app.extensions.get("navigation_items", ()):
        item = extra()
        if item is not None:
            items.insert(len(items) - 1, item)
    return {"nav_items": items}


def register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.auth.views import bp as auth_bp
    from app.pages import bp as pages_bp
    from audit.views import bp as audit_bp
    from cases.actions.views import bp as actions_bp
    from cases.asb.views import bp as asb_bp
    from cases.break_glass.views import bp as break_glass_bp
    from cases.meetings.views import bp as meetings_bp
    from cases.referrals.views import bp as referrals_bp
    from cases.reports.views import bp as reports_bp
    from cases.restrictions.views import bp as restrictions_bp
    from cases.sharing.views import bp as sharing_bp
    from cases.subject_access.views import bp as subject_access_bp
    from cases.views import bp as cases_bp
    from notifications.views import bp as notifications_bp
    from panels.views import bp as panels_bp

    blueprints = (
        pages_bp,
        auth_bp,
        accounts_bp,
        panels_bp,
        cases_bp,
        referrals_bp,
        meetings_bp,
        restrictions_bp,
        actions_bp,
        sharing_bp,
        asb_bp,
        audit_bp,
        subject_access_bp,
        break_glass_bp,
        reports_bp,
        notifications_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def register_refusals(app: Flask) -> None:
    """Refusals are recorded in the audit trail before their page is drawn."""
    from app.errors import ForbiddenRefusal
    from app.errors import NotFoundRefusal
    from audit.services import record_refusal

    app.register_error_handler(NotFoundRefusal, record_refusal)
    app.register_error_handler(ForbiddenRefusal, record_refusal)


def register_audit_of_keys() -> None:
    """Key rotation (app's infrastructure) announces each change; the audit trail records it."""
    from audit import keys

    keys.connect()


def register_case_reach() -> None:
    """Who may see a case through listing and referral is kept as rows, refreshed in the flush
    that changes what they are derived from (cases/reach)."""
    from cases.reach import services

    services.connect()


def register_cli(app: Flask) -> None:
    from app.cli import sessions_cli
    from app.cli import users_cli
    from app.jobs.cli import jobs_cli
    from app.keys.cli import keys_cli
    from audit.cli import audit_cli
    from benchmarks.cli import bench_cli
    from cases.retention.cli import retention_cli
    from demo.cli import demo_cli

    groups = (
        users_cli,
        sessions_cli,
        jobs_cli,
        keys_cli,
        retention_cli,
        audit_cli,
        demo_cli,
        bench_cli,
    )
    for group in groups:
        app.cli.add_command(group)
