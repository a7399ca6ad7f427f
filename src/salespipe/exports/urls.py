from django.urls import path

from salespipe.exports import views

app_name = "exports"

urlpatterns = [
    path("<str:table>.<str:file_format>", views.export_download, name="download"),
]
