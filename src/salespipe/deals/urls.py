from django.urls import path

from salespipe.deals.views import board

app_name = "deals"

# The board and moving cards on it.
board_patterns = [
    path("board/", board.board, name="board"),
]

# The deal workspace: one deal, its qualification, contacts and timeline.
deal_page_patterns: list[object] = []

# Admin settings for pipelines and stages.
settings_patterns: list[object] = []

urlpatterns = [*board_patterns, *deal_page_patterns, *settings_patterns]
