"""Writes of My numbers: the daily snapshots of everyone's track record."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from salespipe.numbers.models import TrackRecordSnapshot
from salespipe.numbers.track_records import track_record_since, track_records_count


def track_records_refresh(*, now: dt.datetime | None = None) -> int:
    """Count everyone's, every team's and the company's last twelve months as of today (company time)
    and replace the snapshots with them; answers how many were written. Seconds at a million deals: the
    worker runs it once a day, `salespipe demo` after loading."""
    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    today = timezone.localtime(now, zone).date()
    records = track_records_count(track_record_since(today, zone))
    with transaction.atomic():
        TrackRecordSnapshot.objects.all().delete()
        TrackRecordSnapshot.objects.bulk_create(
            TrackRecordSnapshot(
                level=level,
                key=key,
                as_of=today,
                won_deals=record.won_deals,
                lost_deals=record.lost_deals,
                won_value=record.won_value,
                cycle_days=record.cycle_days,
                appointment_won=record.appointment_won,
                appointment_lost=record.appointment_lost,
                appointments=record.appointments,
                calls=record.calls,
                refreshed_at=now,
            )
            for (level, key), record in records.items()
        )
    return len(records)


def track_records_refresh_due(*, now: dt.datetime | None = None) -> int:
    """Refresh the snapshots unless today's are there already (the hourly job's check; 0 when not due)."""
    now = now or timezone.now()
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    if TrackRecordSnapshot.objects.filter(level="all", as_of=today).exists():
        return 0
    return track_records_refresh(now=now)
