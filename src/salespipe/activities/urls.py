from django.urls import path

from salespipe.activities import views

app_name = "activities"

urlpatterns = [
    path("", views.agenda, name="agenda"),
    path("<int:activity_id>/complete/", views.activity_complete, name="complete"),
    path("<int:activity_id>/reschedule/", views.activity_reschedule, name="reschedule"),
    path("<int:activity_id>/cancel/", views.activity_cancel, name="cancel"),
]
