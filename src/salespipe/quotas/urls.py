from django.urls import path

from salespipe.quotas import views

app_name = "quotas"

urlpatterns = [
    # Quotas per period: managers and admins set them, reps read theirs.
    path("quotas/", views.quotas_page, name="quotas"),
    path("quotas/<int:quota_id>/delete/", views.quota_delete, name="quota_delete"),
    # Settings for administrators: commission plans and who is on which.
    path("settings/commission-plans/", views.commission_plans, name="commission_plans"),
    path("settings/commission-plans/new/", views.commission_plan_edit, name="commission_plan_create"),
    path("settings/commission-plans/<int:plan_id>/", views.commission_plan_edit, name="commission_plan"),
    path("settings/commission-plans/assignments/", views.commission_assign, name="commission_assign"),
    path(
        "settings/commission-plans/assignments/<int:assignment_id>/remove/",
        views.commission_unassign,
        name="commission_unassign",
    ),
]
