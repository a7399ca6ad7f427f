"""`GET /api/v1/export/{table}`: the same files as the web download, for programs (docs/export.md)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest, HttpResponseBase
from ninja import Router

from salespipe.core.api_support import errors, request_user
from salespipe.exports.tables import export_rows
from salespipe.exports.views import XLSX, download

router = Router(tags=["export"])

FILES = {
    200: {
        "description": "The file: CSV (UTF-8 with a byte order mark) or XLSX, as an attachment.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.get(
    "/export/{table}",
    response=errors(),
    summary="Export deals, organizations, persons or activities",
    openapi_extra={"responses": FILES},
)
def export(
    request: HttpRequest,
    table: Literal["deals", "organizations", "persons", "activities"],
    format: Literal["csv", "xlsx"] = "csv",
) -> HttpResponseBase:
    """The rows of `table` you may see, as a CSV or XLSX file, streamed: your own deals and activities, a
    manager's teams' too, an admin's everybody's; the whole directory of organizations and persons. Every
    other query parameter is a filter (`?status=won&owner=farah.kumar`; each table's in docs/export.md); a
    filter the table does not take, or a value that is not one, is a 422 saying which."""
    filters = {key: value for key, value in request.GET.dict().items() if key != "format"}
    found = export_rows(actor=request_user(request), table=table, filters=filters)
    return download(found, format)
