from django.urls import path

from salespipe.deals.views import board, deal_page, settings

app_name = "deals"

# The board and moving cards on it.
board_patterns = [
    path("board/", board.board, name="board"),
    path("board/stages/<int:stage_id>/cards/", board.board_column, name="board_column"),
    path("board/deals/<int:deal_id>/move/", board.board_move, name="board_move"),
]

# The deal workspace: one deal, its qualification, contacts and timeline.
deal_page_patterns = [
    path("deals/<int:deal_id>/", deal_page.deal_detail, name="detail"),
    path("deals/<int:deal_id>/timeline/", deal_page.deal_timeline_more, name="detail_timeline"),
    path("deals/<int:deal_id>/fields/<slug:group>/", deal_page.deal_field, name="detail_field"),
    path("deals/<int:deal_id>/fields/<slug:group>/edit/", deal_page.deal_field_edit, name="detail_edit"),
    path("deals/<int:deal_id>/stage/", deal_page.deal_move, name="detail_move"),
    path("deals/<int:deal_id>/win/", deal_page.deal_win, name="detail_win"),
    path("deals/<int:deal_id>/lose/", deal_page.deal_lose, name="detail_lose"),
    path("deals/<int:deal_id>/contacts/search/", deal_page.contact_search, name="detail_contact_search"),
    path("deals/<int:deal_id>/contacts/add/", deal_page.contact_add, name="detail_contact_add"),
    path("deals/<int:deal_id>/contacts/new/", deal_page.contact_create, name="detail_contact_create"),
    path(
        "deals/<int:deal_id>/contacts/<int:contact_id>/role/",
        deal_page.contact_role,
        name="detail_contact_role",
    ),
    path(
        "deals/<int:deal_id>/contacts/<int:contact_id>/confirm/",
        deal_page.contact_confirm,
        name="detail_contact_confirm",
    ),
    path(
        "deals/<int:deal_id>/contacts/<int:contact_id>/withdraw/",
        deal_page.contact_withdraw,
        name="detail_contact_withdraw",
    ),
    path(
        "deals/<int:deal_id>/contacts/<int:contact_id>/remove/",
        deal_page.contact_remove,
        name="detail_contact_remove",
    ),
    path(
        "deals/<int:deal_id>/activities/schedule/",
        deal_page.activity_schedule,
        name="detail_activity_schedule",
    ),
    path("deals/<int:deal_id>/activities/record/", deal_page.activity_record, name="detail_activity_record"),
    path(
        "deals/<int:deal_id>/activities/<int:activity_id>/complete/",
        deal_page.activity_complete,
        name="detail_activity_complete",
    ),
    path(
        "deals/<int:deal_id>/activities/<int:activity_id>/reschedule/",
        deal_page.activity_reschedule,
        name="detail_activity_reschedule",
    ),
    path(
        "deals/<int:deal_id>/activities/<int:activity_id>/cancel/",
        deal_page.activity_cancel,
        name="detail_activity_cancel",
    ),
]

# Admin settings for pipelines and stages.
settings_patterns = [
    path("settings/pipelines/", settings.pipelines_page, name="settings_pipelines"),
    path("settings/pipelines/<int:pipeline_id>/", settings.pipeline_page, name="settings_pipeline"),
    path(
        "settings/pipelines/<int:pipeline_id>/stages/<int:stage_id>/",
        settings.stage_page,
        name="settings_stage",
    ),
    path(
        "settings/pipelines/<int:pipeline_id>/stages/<int:stage_id>/move/",
        settings.stage_move,
        name="settings_stage_move",
    ),
    path(
        "settings/pipelines/<int:pipeline_id>/stages/<int:stage_id>/remove/",
        settings.stage_remove,
        name="settings_stage_remove",
    ),
]

urlpatterns = [*board_patterns, *deal_page_patterns, *settings_patterns]
