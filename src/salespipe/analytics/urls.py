from django.urls import path

from salespipe.analytics import views

app_name = "analytics"

urlpatterns = [
    path("follow-up/", views.follow_up_report, name="follow_up"),
]
