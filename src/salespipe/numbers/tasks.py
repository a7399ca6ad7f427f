"""Background work of My numbers; `salespipe worker` runs it (docs/numbers.md)."""

from __future__ import annotations

import datetime as dt

from salespipe.core.tasks import periodic, task
from salespipe.numbers import services


@periodic(every=dt.timedelta(hours=1))
@task()
def track_records_refresh_due() -> int:
    """Every hour: once a day, the first time after midnight (company time), recount everyone's
    track record for the reverse-funnel plan; how many snapshots were written (0 when not due)."""
    return services.track_records_refresh_due()
