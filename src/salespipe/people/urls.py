from django.urls import path

from salespipe.people import views

app_name = "people"

# Settings for administrators; the pipelines and stages part lives with the deals (deals/urls.py).
urlpatterns = [
    path("me/", views.preferences, name="preferences"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/users/", views.settings_users, name="settings_users"),
    path("settings/users/new/", views.settings_user_create, name="settings_user_create"),
    path("settings/users/<int:user_id>/", views.settings_user_edit, name="settings_user_edit"),
    path("settings/teams/", views.settings_teams, name="settings_teams"),
    path("settings/teams/<int:team_id>/", views.settings_team_edit, name="settings_team_edit"),
]
