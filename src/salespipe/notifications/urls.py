from django.urls import re_path

from salespipe.notifications import views

app_name = "notifications"

urlpatterns = [
    re_path(r"^calendar/(?P<secret>[A-Za-z0-9_-]{32,64})\.ics$", views.calendar_feed, name="calendar_feed"),
]
