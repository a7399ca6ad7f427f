"""The private calendar feed: `/calendar/<secret>.ics`, read by calendar apps without signing in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from salespipe.notifications import selectors
from salespipe.notifications.calendar import calendar_feed_render
from salespipe.notifications.services import app_url


@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """The secret in the URL is the credential: calendar apps cannot sign in. A wrong or rotated secret is a
    plain 404, the same as any unknown page."""
    feed = selectors.calendar_feed_by_secret(secret=secret)
    if feed is None:
        raise Http404("No such calendar.")
    user = feed.user
    now = timezone.now()
    body = calendar_feed_render(
        owner_name=str(user),
        owner_id=user.pk,
        zone=user.zone,
        activities=selectors.calendar_feed_activities(user=user, now=now),
        now=now,
        deal_url=lambda deal_id: app_url(reverse("deals:detail", args=[deal_id])),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="salespipe.ics"'
    # Private to whoever holds the URL: no shared cache keeps it, and no search engine lists it.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
