"""The export downloads: `/export/<table>.csv` and `/export/<table>.xlsx`, the query string as filters.

Each is exactly what the signed-in user may see (the same selectors as the pages). A CSV streams as it is
read; an XLSX is written row by row to a temporary file, then streamed from it, so neither holds the rows in
memory. A filter the export does not take, or a value that is not one, is a 422 saying which and why.
"""

from __future__ import annotations

import tempfile

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salespipe.core.errors import InvalidInput
from salespipe.core.spreadsheets import csv_lines, xlsx_write
from salespipe.core.web import actor_of
from salespipe.exports.tables import FORMATS, TABLES, Export, export_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
def export_download(request: HttpRequest, table: str, file_format: str) -> HttpResponseBase:
    if table not in TABLES or file_format not in FORMATS:
        raise Http404(_("There is no export '%(name)s'.") % {"name": f"{table}.{file_format}"})
    try:
        found = export_rows(actor=actor_of(request), table=table, filters=request.GET.dict())
    except InvalidInput as error:
        return HttpResponse(error.message, status=422, content_type="text/plain; charset=utf-8")
    return download(found, file_format)


def download(found: Export, file_format: str) -> HttpResponseBase:
    """The export as a file download: a streamed CSV, or an XLSX streamed from a temporary file."""
    table = found.table.name
    filename = f"{table}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            csv_lines(found.header, found.rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    # Deleted when closed, which the response does once it has sent the file.
    spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - handed to the response, which closes it
    xlsx_write(spool, found.header, found.rows, sheet=table)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)
