from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from salespipe.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="deals:board"), name="home"),
    path("", include("salespipe.deals.urls")),
    path("agenda/", include("salespipe.activities.urls")),
    path("reports/", include("salespipe.analytics.urls")),
    path("numbers/", include("salespipe.numbers.urls")),
    path("insights/", include("salespipe.insights.urls")),
    path("team/", include("salespipe.coaching.urls")),
    path("export/", include("salespipe.exports.urls")),
    path("imports/", include("salespipe.imports.urls")),
    path("", include("salespipe.directory.urls")),
    path("", include("salespipe.people.urls")),
    path("", include("salespipe.quotas.urls")),
    path("", include("salespipe.notifications.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # The language picker also sits on the sign-in page.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
