from django.urls import path

from salespipe.people import views

app_name = "people"

urlpatterns = [
    path("settings/", views.settings_home, name="settings"),
]
