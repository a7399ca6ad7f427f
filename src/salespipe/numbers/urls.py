from django.urls import path

from salespipe.numbers import views

app_name = "numbers"

urlpatterns = [
    path("", views.numbers_page, name="numbers"),
    path("deals/", views.numbers_deals_page, name="deals"),
]
