from django.urls import path

from salespipe.activities import views

app_name = "activities"

urlpatterns = [
    path("", views.agenda, name="agenda"),
]
