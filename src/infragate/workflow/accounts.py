"""Accounts for team mode, decided here for every front end: passwords (Argon2id), sign-in with lockout,
browser sessions with their CSRF tokens, and API tokens (shown once, kept as a hash, scoped, expiring,
revocable, with their last use recorded). Who a request is comes from here; what they may do is still decided
by the use-cases, through their memberships (and a token's scope)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.errors import AuthenticationError, UsageError
from infragate.json_values import Json
from infragate.store import Store, audit_log
from infragate.store.memberships import ADMIN
from infragate.store.schema import ApiToken, Credential, User, WebSession
from infragate.store.timestamps import as_utc, optional_utc
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Http, Items, Outcome, Query, Result, RowId
from infragate.workflow.roles import Action, RoleError, require
from infragate.workflow.scope import Scope

PASSWORD_MIN = 12
MAX_FAILURES = 5  # consecutive failed sign-ins before the account locks
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
TOKEN_PREFIX = "igt_"
LAST_USE_RESOLUTION = timedelta(minutes=1)
_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile


class TokenInfo(Result):
    """An API token as people and the API see it (never the token itself)."""

    id: int
    name: str
    user: str
    projects: list[str]
    roles: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool


def same_secret(expected: str, given: str) -> bool:
    """Compare secrets (CSRF tokens) in constant time."""
    return hmac.compare_digest(expected.encode(), given.encode())


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).first()


class SetPassword(Command[Outcome]):
    """Set a user's password (admins only): how an admin resets a forgotten one."""

    http = Http("PUT", "/users/{name}/password", tag="users")
    name: str
    password: str = Field(..., min_length=1, max_length=1000, repr=False)


@handles(SetPassword)
def set_password_command(command: SetPassword, caller: Caller, uow: UnitOfWork) -> Outcome:
    if caller.authenticated and not admin_in_scope(uow.store, caller):
        raise RoleError(f"{caller.name} may not set another user's password: that needs the role admin")
    set_password(uow.store, caller.actor, command.name, command.password)
    return Outcome(result="password set")


def admin_in_scope(store: Store, caller: Caller) -> bool:
    """The caller is an admin, and their token (if any) does not narrow them to other roles."""
    with store.session() as session:
        me = _user(session, caller.name)
        admin = me is not None and ADMIN in me.roles
    return admin and (not caller.scope.roles or ADMIN in caller.scope.roles)


def set_password(store: Store, actor: str | None, name: str, password: str) -> None:
    """Set ``name``'s password: an admin resets anyone's; ``actor=None`` is the store's host (bootstrap)."""
    if len(password) < PASSWORD_MIN:
        raise UsageError(f"a password needs at least {PASSWORD_MIN} characters", hint="Choose a longer one.")
    with store.session() as session:
        if actor is not None:
            me = _user(session, actor)
            require(actor, me.roles if me else [], Action.MANAGE_USERS)
        user = _user(session, name)
        if user is None:
            raise UsageError(f"{name} is not a user", hint="`infragate user add NAME` first.")
        credential = session.get(Credential, user.id)
        hashed = _hasher.hash(password)
        if credential is None:
            session.add(Credential(user_id=user.id, password_hash=hashed, failed_logins=0, changed_at=_now()))
        else:
            credential.password_hash, credential.failed_logins, credential.locked_until = hashed, 0, None
            credential.changed_at = _now()
        audit_log.append(session, actor or "host", "password-set", name)


def authenticate(store: Store, name: str, password: str) -> str:
    """The user name when the password is right; an AuthenticationError otherwise (the same message whether
    the user exists or not). Five failures in a row lock the account for 15 minutes, audit-logged."""
    refused = AuthenticationError("wrong user name or password", hint="Check both; an admin can reset a password.")
    with store.session() as session:
        user = _user(session, name)
        credential = session.get(Credential, user.id) if user is not None else None
        if user is None or credential is None:
            _hasher.hash(password)  # spend the same time as a real check: no user enumeration by timing
            audit_log.append(session, name[:120] or "(blank)", "login-failed", name[:120], {"reason": "unknown"})
            failure = refused
        else:
            locked_until = optional_utc(credential.locked_until)
            if locked_until is not None and locked_until > _now():
                audit_log.append(session, user.name, "login-refused", user.name, {"reason": "locked"})
                failure = AuthenticationError(
                    f"the account is locked until {locked_until:%H:%M} UTC after {MAX_FAILURES} failed sign-ins",
                    hint="Wait, or ask an admin to reset the password.",
                )
            elif _verifies(credential.password_hash, password):
                credential.failed_logins, credential.locked_until = 0, None
                if _hasher.check_needs_rehash(credential.password_hash):
                    credential.password_hash = _hasher.hash(password)
                audit_log.append(session, user.name, "login", user.name)
                return user.name
            else:
                credential.failed_logins += 1
                detail: dict[str, Json] = {"failures": credential.failed_logins}
                if credential.failed_logins >= MAX_FAILURES:
                    credential.locked_until = _now() + LOCKOUT
                    detail["locked_until"] = credential.locked_until.isoformat(timespec="seconds")
                audit_log.append(session, user.name, "login-failed", user.name, detail)
                failure = refused
    raise failure


def sso_user(store: Store, issuer: str, claims: Mapping[str, object]) -> str:
    """The infragate user an identity from the organisation's provider signs in as: the user whose name or
    e-mail is the verified e-mail the provider asserts. Nobody is created here: an admin adds users and
    grants roles, single sign-on only proves who someone is. Sign-ins and refusals are audit-logged."""
    email = str(claims.get("email") or "").strip()
    subject = str(claims.get("sub") or "")[:200]
    with store.session() as session:
        detail: dict[str, Json] = {"via": "oidc", "issuer": issuer, "subject": subject}
        if not email or claims.get("email_verified") is False:
            audit_log.append(
                session, "(single sign-on)", "login-failed", email or subject, detail | {"reason": "no verified e-mail"}
            )
            refusal = AuthenticationError(
                "the identity provider did not assert a verified e-mail address",
                hint="Ask your identity provider's admin to release a verified `email` claim to infragate.",
            )
        else:
            user = session.scalars(select(User).where((User.name == email) | (User.email == email))).first()
            if user is not None:
                audit_log.append(session, user.name, "login", user.name, detail)
                return user.name
            audit_log.append(session, email, "login-failed", email, detail | {"reason": "not a user"})
            refusal = AuthenticationError(
                f"{email} signed in with single sign-on, but is not a user of infragate",
                hint="An admin adds you (`infragate user add NAME --email ADDRESS`); roles come from projects.",
            )
    raise refusal


def _verifies(hashed: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(hashed, password))
    except (VerificationError, InvalidHashError):
        return False


def start_session(store: Store, name: str) -> tuple[str, str]:
    """A new browser session for ``name``: the cookie value and the CSRF token of its forms."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with store.session() as session:
        user = _user(session, name)
        if user is None:
            raise AuthenticationError(f"{name} is not a user", hint="Sign in again.")
        now = _now()
        session.add(
            WebSession(
                token_hash=_digest(secret),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
    return secret, csrf


def session_principal(store: Store, secret: str) -> Caller | None:
    with store.session() as session:
        found = session.scalars(select(WebSession).where(WebSession.token_hash == _digest(secret))).first()
        if found is None or as_utc(found.expires_at) <= _now():
            return None
        user = session.get(User, found.user_id)
        return None if user is None else Caller(user.name, "session", Scope(), found.csrf_token)


def end_session(store: Store, secret: str) -> None:
    with store.session() as session:
        found = session.scalars(select(WebSession).where(WebSession.token_hash == _digest(secret))).first()
        if found is not None:
            session.delete(found)


def create_token(
    store: Store, owner: str, name: str, *, projects: list[str], roles: list[str], days: int
) -> tuple[TokenInfo, str]:
    """A new API token for ``owner`` (the one asking): its record, and the token itself, shown only now."""
    if not name.strip():
        raise UsageError("a token needs a name saying what it is for", hint="e.g. --name circleci-webshop")
    if not 1 <= days <= 366:
        raise UsageError(f"a token lives 1 to 366 days, not {days}", hint="Pass --days N.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.session() as session:
        user = _user(session, owner)
        if user is None:
            raise UsageError(f"{owner} is not a user", hint="Sign in as a user first.")
        now = _now()
        row = ApiToken(
            user_id=user.id,
            name=name,
            token_hash=_digest(secret),
            projects=sorted(projects),
            roles=sorted(roles),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        session.add(row)
        session.flush()
        audit_log.append(session, owner, "token-created", name, {"projects": row.projects, "roles": row.roles})
        return _info(row, owner), secret


def token_principal(store: Store, secret: str) -> Caller | None:
    """Who a bearer token speaks for, recording its use; None for an unknown, revoked or expired token."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    with store.session() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(secret))).first()
        if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= _now():
            return None
        last = optional_utc(row.last_used_at)
        if last is None or _now() - last > LAST_USE_RESOLUTION:  # one write a minute, not one per request
            row.last_used_at = _now()
        user = session.get(User, row.user_id)
        if user is None:
            return None
        return Caller(user.name, "token", Scope(tuple(row.projects), tuple(row.roles)))


def tokens(store: Store, actor: str) -> list[TokenInfo]:
    """The actor's own tokens (an admin sees everyone's)."""
    with store.session() as session:
        me = _user(session, actor)
        if me is None:
            return []
        query = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
        if ADMIN not in me.roles:
            query = query.where(ApiToken.user_id == me.id)
        return [_info(row, owner) for row, owner in session.execute(query)]


def revoke_token(store: Store, actor: str, token_id: int) -> TokenInfo:
    with store.session() as session:
        me = _user(session, actor)
        row = session.get(ApiToken, token_id)
        if row is None or me is None:
            raise UsageError(f"there is no token {token_id}", hint="`infragate token list` shows yours.")
        if row.user_id != me.id and ADMIN not in me.roles:
            raise RoleError(f"{actor} may not revoke another person's token", hint="Its owner or an admin can.")
        if row.revoked_at is None:
            row.revoked_at = _now()
            audit_log.append(session, actor, "token-revoked", row.name, {"token": token_id})
        owner = session.get(User, row.user_id)
        return _info(row, owner.name if owner else "?")


def _info(row: ApiToken, owner: str) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        user=owner,
        projects=list(row.projects),
        roles=list(row.roles),
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at),
        last_used_at=optional_utc(row.last_used_at),
        revoked=row.revoked_at is not None,
    )


# -- tokens as use-cases --------------------------------------------------------------------------------------
class NewToken(TokenInfo):
    token: str = Field(description="Shown only now: infragate keeps only its hash.")


class CreateToken(Command[NewToken]):
    """A new API token for the caller, scoped to projects and roles, expiring after ``days``. A token never
    mints tokens: a person signs in to make one."""

    http = Http("POST", "/tokens", status=201, tag="identity")
    name: str = Field(..., min_length=1, max_length=120)
    projects: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    days: int = Field(30, ge=1, le=366)


@handles(CreateToken)
def create_token_command(command: CreateToken, caller: Caller, uow: UnitOfWork) -> NewToken:
    if caller.via == "token":
        raise RoleError(
            "an API token cannot create tokens", hint="Sign in to the dashboard, or use the CLI on the host."
        )
    info, secret = create_token(
        uow.store, caller.name, command.name, projects=command.projects, roles=command.roles, days=command.days
    )
    return NewToken(**info.model_dump(), token=secret)


class Tokens(Items[TokenInfo]):
    """API tokens (never the tokens themselves)."""


class ListTokens(Query[Tokens]):
    """The caller's own tokens (an admin sees everyone's)."""

    http = Http("GET", "/tokens", tag="identity")


@handles(ListTokens)
def list_tokens(command: ListTokens, caller: Caller, uow: UnitOfWork) -> Tokens:
    return Tokens(tokens(uow.store, caller.name))


class RevokeToken(Command[TokenInfo]):
    """Revoke a token (its owner, or an admin)."""

    http = Http("DELETE", "/tokens/{token_id}", tag="identity")
    token_id: RowId


@handles(RevokeToken)
def revoke_token_command(command: RevokeToken, caller: Caller, uow: UnitOfWork) -> TokenInfo:
    return revoke_token(uow.store, caller.name, command.token_id)


class SignIn(Command[NewToken]):
    """Exchange a user name and password for a personal API token (what `infragate login` does). The server's
    route limits sign-ins per address first; accounts lock after failures; the token is shown only once."""

    http = Http("POST", "/auth/token", status=201, tag="identity", custom=True)
    name: str = Field(..., min_length=1, max_length=120)
    password: str = Field(..., min_length=1, max_length=1024, repr=False)
    token_name: str = Field("infragate CLI", min_length=1, max_length=120)
    days: int = Field(30, ge=1, le=366)


@handles(SignIn)
def sign_in(command: SignIn, caller: Caller, uow: UnitOfWork) -> NewToken:
    user = authenticate(uow.store, command.name, command.password)
    info, secret = create_token(uow.store, user, command.token_name, projects=[], roles=[], days=command.days)
    return NewToken(**info.model_dump(), token=secret)
