from django.urls import path

from salespipe.imports import views

app_name = "imports"

urlpatterns = [
    # For administrators: the imports and a new one, its confirmation, then where it stands.
    path("", views.imports_page, name="imports"),
    path("new/<str:upload>/", views.import_confirm, name="confirm"),
    path("<int:import_id>/", views.import_page, name="import"),
    path("<int:import_id>/problems.csv", views.import_problems, name="problems"),
    path("<int:import_id>/resume/", views.import_resume, name="resume"),
    path("<int:import_id>/import/", views.import_checked, name="import_checked"),
]
