"""Server-side sessions: the cookie carries only a signed random id; the data lives in the database.

Flask's default cookie session is signed but readable and cannot be revoked. Keeping the data
server-side lets us end a session for real (sign-out, password change, deactivation) and apply
idle and absolute timeouts that a copied cookie cannot outlive.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from typing import Any

from flask import Flask
from flask import Request
from flask import Response
from flask import request
from flask import session
from flask.sessions import SessionInterface
from flask.sessions import SessionMixin
from itsdangerous import BadSignature
from itsdangerous import Signer
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from werkzeug.datastructures import CallbackDict

from app.accounts.models import User
from app.database import Base
from app.database import db
from app.database import reading_connection
from app.database import utcnow
from app.settings import Settings

# Writing last-activity on every request would make each page view a database write.
ACTIVITY_WRITE_INTERVAL_SECONDS = 30
USER_ID_KEY = "_user_id"  # where Flask-Login keeps the signed-in user's id
PENDING_USER_KEY = "pending_user_id"  # set by the sign-in pages between password and code


class ServerSessionRecord(Base):
    __tablename__ = "server_sessions"

    # SHA-256 of the random id: a database reader cannot replay a session from this table.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    last_active_at: Mapped[datetime] = mapped_column(index=True)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The per-request session dictionary, remembering which stored record it came from."""

    def __init__(
        self,
        initial: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        created_at: datetime | None = None,
        last_active_at: datetime | None = None,
        timed_out: bool = False,
    ) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(initial, on_update)
        self.session_id = session_id
        # Whether `session_id` already has a stored record (False: insert it when saving).
        self.stored = session_id is not None
        self.created_at = created_at or utcnow()
        self.last_active_at = last_active_at
        self.timed_out = timed_out
        self.discarded_id: str | None = None
        self.modified = False

    def regenerate(self) -> None:
        """Give this session a fresh id (at sign-in), so an id planted beforehand is useless."""
        if self.stored:
            self.discarded_id = self.session_id
        # The new id exists at once, so events recorded in this request can refer to it.
        self.session_id = secrets.token_urlsafe(32)
        self.stored = False
        self.created_at = utcnow()
        self.modified = True

    def end(self) -> None:
        """Forget everything and delete the stored record (sign-out)."""
        self.clear()
        self.regenerate()


class DatabaseSessionInterface(SessionInterface):
    """Stores sessions in `server_sessions` through its own short transactions."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def get_cookie_name(self, app: Flask) -> str:
        # The __Host- prefix pins the cookie to this host and path; browsers need Secure for it.
        return "__Host-session" if self.settings.https else "session"

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        session_id = self._unsign(app, request.cookies.get(self.get_cookie_name(app)))
        if session_id is None:
            return ServerSession()
        with reading_connection() as connection:
            row = connection.execute(
                select(ServerSessionRecord.__table__).where(
                    ServerSessionRecord.id_hash == hash_session_id(session_id)
                )
            ).first()
        if row is None:
            return ServerSession()
        created, last_active = row.created_at, row.last_active_at
        if self._expired(created, last_active):
            delete_session(session_id)
            return ServerSession(timed_out=True)
        return ServerSession(
            json.loads(row.data),
            session_id=session_id,
            created_at=created,
            last_active_at=last_active,
        )

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        cookie_name = self.get_cookie_name(app)
        if session.discarded_id:
            delete_session(session.discarded_id)
        if not session:
            if session.stored and session.session_id:
                delete_session(session.session_id)
            if session.stored or session.discarded_id or request_had_cookie(cookie_name):
                response.delete_cookie(cookie_name, path="/", secure=self.settings.https)
            return
        if not session.stored or session.session_id is None:
            session.session_id = session.session_id or secrets.token_urlsafe(32)
            _insert(session)
        elif not self._store_changes(session):
            # The record was deleted while this request ran (revoked): never resurrect it.
            response.delete_cookie(cookie_name, path="/", secure=self.settings.https)
            return
        assert session.session_id is not None
        response.set_cookie(
            cookie_name,
            self._sign(app, session.session_id),
            httponly=True,
            secure=self.settings.https,
            samesite="Lax",
            path="/",
        )

    def _store_changes(self, session: ServerSession) -> bool:
        now = utcnow()
        stale = (
            session.last_active_at is None
            or (now - session.last_active_at).total_seconds() >= ACTIVITY_WRITE_INTERVAL_SECONDS
        )
        if not (session.modified or stale):
            return True
        assert session.session_id is not None
        values: dict[str, Any] = {"last_active_at": now}
        if session.modified:
            values |= {"data": json.dumps(dict(session)), "user_id": _user_id(session)}
        with db.engine.begin() as connection:
            result = connection.execute(
                update(ServerSessionRecord)
                .where(ServerSessionRecord.id_hash == hash_session_id(session.session_id))
                .values(**values)
            )
        return bool(result.rowcount)

    def _expired(self, created: datetime, last_active: datetime) -> bool:
        now = utcnow()
        return (
            now - last_active > self.settings.idle_timeout
            or now - created > self.settings.absolute_timeout
        )

    def _sign(self, app: Flask, session_id: str) -> str:
        return _signer(app).sign(session_id).decode()

    def _unsign(self, app: Flask, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return _signer(app).unsign(cookie).decode()
        except BadSignature:
            return None


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def current_session_id() -> str | None:
    """The id of the session serving this request, if it has one yet."""
    current = session._get_current_object()  # type: ignore[attr-defined]
    return current.session_id if isinstance(current, ServerSession) else None


def delete_session(session_id: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            delete(ServerSessionRecord).where(
                ServerSessionRecord.id_hash == hash_session_id(session_id)
            )
        )


def revoke_user_sessions(user_id: int, *, keep: str | None = None) -> None:
    """End every session of a user, except optionally the one making the change.

    Runs in the caller's transaction, so the revocation commits with the change that caused it.
    """
    statement = delete(ServerSessionRecord).where(ServerSessionRecord.user_id == user_id)
    if keep:
        statement = statement.where(ServerSessionRecord.id_hash != hash_session_id(keep))
    db.session.execute(statement)


def revoke_organisation_sessions(organisation_id: int) -> None:
    """End the sessions of everyone in an organisation (it has been deactivated)."""
    members = select(User.id).where(User.organisation_id == organisation_id)
    db.session.execute(delete(ServerSessionRecord).where(ServerSessionRecord.user_id.in_(members)))


def purge_expired_sessions(settings: Settings) -> int:
    """Delete sessions past their idle timeout (anonymous visitors leave these behind)."""
    cutoff = utcnow() - settings.idle_timeout
    result = db.session.execute(
        delete(ServerSessionRecord).where(ServerSessionRecord.last_active_at < cutoff)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def request_had_cookie(cookie_name: str) -> bool:
    return cookie_name in request.cookies


def _insert(session: ServerSession) -> None:
    assert session.session_id is not None
    now = utcnow()
    session.last_active_at = now
    with db.engine.begin() as connection:
        connection.execute(
            insert(ServerSessionRecord).values(
                id_hash=hash_session_id(session.session_id),
                user_id=_user_id(session),
                data=json.dumps(dict(session)),
                created_at=session.created_at,
                last_active_at=now,
            )
        )


def _user_id(session: ServerSession) -> int | None:
    """The session's user: signed in, or part-way (password checked, code still to come)."""
    value = session.get(USER_ID_KEY, session.get(PENDING_USER_KEY))
    return int(value) if value is not None else None


def _signer(app: Flask) -> Signer:
    assert app.secret_key is not None
    return Signer(app.secret_key, salt="server-session", digest_method=hashlib.sha256)
