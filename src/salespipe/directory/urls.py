from django.urls import path

from salespipe.directory import views

app_name = "directory"

urlpatterns = [
    path("organizations/", views.organizations, name="organizations"),
    path("people/", views.people, name="people"),
]
