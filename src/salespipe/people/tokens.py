"""Personal access tokens: created once, shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salespipe.core.errors import InvalidInput, NotFound
from salespipe.people.models import ApiToken, User

TOKEN_PREFIX = "sp_"  # noqa: S105 - a marker, not a secret
# A successful request refreshes last_used_at at most this often, so reads stay reads.
LAST_USED_PRECISION = dt.timedelta(minutes=5)


def _digest(raw: str) -> str:
    # The token carries 256 bits of randomness, so a fast hash is enough: no dictionary to attack.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the raw token, which is never stored."""
    name = name.strip()
    if not name:
        raise InvalidInput(_("Give the token a name that says where it is used, e.g. 'reporting script'."))
    if expires_in_days is not None and expires_in_days < 1:
        raise InvalidInput(_("A token must live at least one day; leave the expiry out for no expiry."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=_digest(raw),
        expires_at=timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return token, raw


def token_authenticate(raw: str) -> User | None:
    """The active user behind a raw token, or None if it is unknown, revoked or expired."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user", "user__team")
        .filter(digest=_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound(_("You have no active token with id %(id)s.") % {"id": token_id})
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token
