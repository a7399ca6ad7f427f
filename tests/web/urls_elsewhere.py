"""The app's URLs under /elsewhere/, for tests/web/test_view_url.py."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("salespipe.urls"))]
