from django.urls import path

from salespipe.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.insights_page, name="insights"),
    path("<slug:table>.csv", views.insights_csv, name="csv"),
]
