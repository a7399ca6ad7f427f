from django.urls import path

from salespipe.deals import views

app_name = "deals"

urlpatterns = [
    path("board/", views.board, name="board"),
]
