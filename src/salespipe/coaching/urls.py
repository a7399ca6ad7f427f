from django.urls import path

from salespipe.coaching import views

app_name = "coaching"

urlpatterns = [
    path("", views.team_page, name="team"),
    path("leaderboard/", views.leaderboard_page, name="leaderboard"),
    path("advice/<str:username>/", views.advice_page, name="advice"),
]
