from django.urls import path

from salespipe.directory import views

app_name = "directory"

urlpatterns = [
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/suggestions/", views.organization_suggestions, name="organization_suggestions"),
    path("organizations/<int:organization_id>/", views.organization_detail, name="organization"),
    path("organizations/<int:organization_id>/edit/", views.organization_edit, name="organization_edit"),
    path(
        "organizations/<int:organization_id>/delete/", views.organization_delete, name="organization_delete"
    ),
    path("people/", views.people, name="people"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:person_id>/", views.person_detail, name="person"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:person_id>/delete/", views.person_delete, name="person_delete"),
    # A deal with its organization and contact from one form; the deal page itself is the deals app's.
    path("deals/new/", views.quick_add_deal, name="quick_add_deal"),
    path("deals/new/matches/", views.quick_add_matches, name="quick_add_matches"),
]
