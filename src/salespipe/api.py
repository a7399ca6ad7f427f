"""The REST API v1: wiring of each domain's router and the one error body."""

from salespipe.activities.api import router as activities_router
from salespipe.analytics.api import router as reports_router
from salespipe.analytics.api import suggestions_router
from salespipe.coaching.api import router as coaching_router
from salespipe.coaching.dashboard_api import router as team_dashboard_router
from salespipe.core.api_support import SalespipeAPI, SessionAuth, TokenAuth, install_error_handlers
from salespipe.deals.api import pipelines_router
from salespipe.deals.api import router as deals_router
from salespipe.directory.api import router as directory_router
from salespipe.exports.api import router as exports_router
from salespipe.imports.api import router as imports_router
from salespipe.insights.api import router as insights_router
from salespipe.notifications.api import router as notifications_router
from salespipe.numbers.api import router as numbers_router
from salespipe.people.api import router as people_router
from salespipe.people.api import tokens_router
from salespipe.quotas.api import router as quotas_router
from salespipe.webhooks.api import router as webhooks_router

DESCRIPTION = """
The Salespipe REST API: deals and their pipeline, activities, the shared directory of organizations and
people, users and teams.

* **Auth**: `Authorization: Bearer <token>` with a personal access token (`salespipe token create --user
  NAME --name "..."` or `POST /api/v1/tokens`), or the signed-in web session (unsafe methods then need
  the CSRF token in `X-CSRFToken`). Every answer is scoped by that user: a rep sees their own deals and
  activities, a manager their teams', an admin everything.
* **Errors** always have the body `{"error": {"code", "message", "fields"}}`: 401 unauthenticated,
  403 forbidden (you may see it but not change it), 404 not found (or not yours to see), 409 a business
  rule (e.g. `decision_maker_required`), 412 stale version, 422 invalid input, 428 version required.
* **Lists** are cursor-paginated, newest first: `?limit=` (1-200, default 50) and `?cursor=` from the
  previous page's `next_cursor`.
* **Deals** carry an `ETag`; send it back as `If-Match` when changing one.

The full guide is docs/api.md.
"""

api = SalespipeAPI(
    title="Salespipe API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
)
install_error_handlers(api)

api.add_router("", deals_router)
api.add_router("", pipelines_router)
api.add_router("", activities_router)
api.add_router("", directory_router)
api.add_router("", people_router)
api.add_router("", tokens_router)
api.add_router("", notifications_router)
api.add_router("", suggestions_router)
api.add_router("", reports_router)
api.add_router("", numbers_router)
api.add_router("", insights_router)
api.add_router("", quotas_router)
api.add_router("", coaching_router)
api.add_router("", exports_router)
api.add_router("", imports_router)
api.add_router("", team_dashboard_router)
api.add_router("", webhooks_router)
