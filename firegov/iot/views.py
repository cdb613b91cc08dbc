"""Pages of fire monitoring: the live operator console, alarm and device lists, an alarm's page, charts.

The console receives alarm changes as server-sent events (``/monitoring/stream/``): each live-bus
message names alarm ids, which are read again through the user's scope and sent as rendered rows.
Every few seconds the stream also catches up from ``Alarm.changed_at`` (messages from processes the
bus does not reach, or lost ones), and the idle line keeps proxies from closing it.

Every message carries as its id the moment up to which the stream had read the database (milliseconds
since 1970). A console that reconnects sends it back (``Last-Event-ID``, or ``?since=`` when the page
opens a new stream itself) and is caught up at once from that moment, so nothing changed while it
was away is missed.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firegov.core.models import Role
from firegov.core.roles import can
from firegov.core.scoping import scope
from firegov.core.views import attempt, paginate, query_without_page, require_can
from firegov.iot import live, services
from firegov.iot.filters import AlarmFilter, DeviceFilter
from firegov.iot.lifecycle import ALARM_TRANSITIONS
from firegov.iot.models import Alarm, AlarmType, Device, Event, UnitMonitoringDay, Verdict

CATCH_UP_S = 3.0
CATCH_UP_WINDOW = timedelta(seconds=15)
CATCH_UP_ROWS = 500  # rows read at a time; more are read at once in the next round
RESUME_MAX = timedelta(hours=24)  # a console away longer than this is told to reload its list
CONSOLE_ROWS = 200
SEVERITY_ORDER = Case(When(type=AlarmType.FIRE, then=Value(0)), When(severity="critical", then=Value(1)),
                      When(severity="major", then=Value(2)), When(severity="minor", then=Value(3)),
                      default=Value(4), output_field=IntegerField())
# On the console: active alarms, cleared ones nobody has acknowledged, fires without a verdict.
NEEDS_ATTENTION = (Q(cleared_at__isnull=True) | Q(acknowledged_at__isnull=True, verdict="")
                   | Q(type=AlarmType.FIRE, verdict=""))


def visible_alarms(user):
    require_can(user, "view", "iot.alarm")
    return scope(user, Alarm.objects.all()).select_related("unit", "device", "point", "point__building",
                                                            "assignee")


def console_alarms(user):
    return visible_alarms(user).filter(NEEDS_ATTENTION).annotate(rank=SEVERITY_ORDER).order_by("rank", "-last_at")


@login_required
def console(request):
    alarms = list(console_alarms(request.user)[:CONSOLE_ROWS])
    counts = scope(request.user, Device.objects.filter(active=True)).aggregate(
        total=Count("pk"), online=Count("pk", filter=Q(online=True)))
    return render(request, "iot/console.html", {"alarms": alarms, "devices": counts, "verdicts": Verdict.choices})


def _row(user, alarm: Alarm) -> dict:
    unit = alarm.unit
    return {
        "id": alarm.pk, "type": alarm.type, "severity": alarm.severity, "status": alarm.status,
        "attention": alarm.cleared_at is None or (alarm.acknowledged_at is None and not alarm.verdict)
        or (alarm.type == AlarmType.FIRE and not alarm.verdict),
        "new": alarm.acknowledged_at is None and not alarm.verdict and alarm.cleared_at is None,
        "lat": unit.lat, "lng": unit.lng, "unit": unit.name, "changed_at": alarm.changed_at.isoformat(),
        "html": render_to_string("iot/_console_row.html", {"a": alarm}),
    }


def _rows(user_id: int, ids=None, since=None, language=None, known=None) -> tuple[tuple | None, list[dict]]:
    """The user's jurisdiction as stored now (None once deactivated or without the role) and the
    alarms of ``ids`` (or changed since ``since``) that this user may see, rendered. The user is read
    anew each time, so a console follows a change of agency, role or managed units at once. Alarms
    of ``known`` (id: changed_at already sent) come back as id and changed_at only: the catch-up
    reads the last seconds' alarms again on every beat, and rendering them all again held up the
    alarms arriving meanwhile."""
    from firegov.core.models import User

    user = User.objects.filter(pk=user_id, is_active=True).select_related("agency").first()
    if user is None or not can(user, "view", "iot.alarm"):
        return None, []
    with translation.override(language):
        alarms = visible_alarms(user)
        if ids is not None:
            alarms = alarms.filter(pk__in=list(ids)[:CATCH_UP_ROWS])
        else:
            alarms = alarms.filter(changed_at__gte=since).order_by("changed_at", "pk")[:CATCH_UP_ROWS]
        found = []
        for alarm in alarms:
            stamp = alarm.changed_at.isoformat()
            found.append({"id": alarm.pk, "changed_at": stamp} if known and known.get(alarm.pk) == stamp
                         else _row(user, alarm))
        return _jurisdiction(user), found


def _jurisdiction(user) -> tuple:
    """What decides which alarms ``user`` sees (``core.scoping.scope``): role, agency with its region
    and sector, and for a unit manager the units managed (one query per call for them). A console
    whose user changed any of it reads its list anew. Queries the database: call it from sync code."""
    agency = user.agency
    units = ()
    if user.role == Role.UNIT_MANAGER:
        units = tuple(user.managed_units.order_by("pk").values_list("pk", flat=True))
    return (user.role, user.is_system_admin, user.agency_id, agency and agency.region_path,
            agency and agency.sector, units)


def _resumed_at(request) -> tuple[datetime | None, bool]:
    """The moment a reconnecting console had been caught up to (its last event id), if believable;
    and whether it was given but is too old to catch up from."""
    value = request.headers.get("Last-Event-ID") or request.GET.get("since") or ""
    if not re.fullmatch(r"[0-9]{1,15}", value):
        return None, False
    now = _event_id(timezone.now())
    given = int(value)
    if given > now:
        return None, False
    if given < now - RESUME_MAX.total_seconds() * 1000:
        return None, True
    return datetime.fromtimestamp(given / 1000, tz=UTC), False


def _event_id(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _message(event: str, moment: datetime, data: str) -> str:
    return f"event: {event}\nid: {_event_id(moment)}\ndata: {data}\n\n"


async def stream(request):
    """Server-sent events: ``event: alarm`` with a JSON row for every alarm that changes; ``event:
    sync`` after every catch-up; ``event: reload`` when the console should read its list again. The id
    of each is a moment the console has been sent every change before (less the catch-up margin)."""
    user = await request.auser()
    if not user.is_authenticated or not can(user, "view", "iot.alarm"):
        return HttpResponse(status=403)
    language = translation.get_language()
    rows = sync_to_async(_rows)
    resumed, too_old = _resumed_at(request)
    jurisdiction = await sync_to_async(_jurisdiction)(user)

    async def events():
        nonlocal jurisdiction
        sent: dict[int, str] = {}
        subscription = live.subscribe()
        waiting = asyncio.ensure_future(subscription.__anext__())
        loop = asyncio.get_running_loop()
        # Catch up on a fixed beat whatever the bus carries, from a cursor that trails the last
        # catch-up by a margin (a change is stamped when received, before its commit). A console
        # coming back is caught up at once from where it was.
        synced = resumed or timezone.now()
        cursor = synced - CATCH_UP_WINDOW
        last_catch_up = loop.time() - (CATCH_UP_S if resumed else 0.0)
        try:
            yield "retry: 2000\n\n"
            if too_old:
                yield _message("reload", synced, "away too long")
            while True:
                left = max(0.0, CATCH_UP_S - (loop.time() - last_catch_up))
                done, _pending = await asyncio.wait({waiting}, timeout=left)
                from_bus = waiting in done
                if from_bus:
                    ids = set(waiting.result().get("alarms", ()))
                    waiting = asyncio.ensure_future(subscription.__anext__())
                    current, found = await rows(user.pk, ids=ids, language=language)
                else:
                    started = timezone.now()
                    current, found = await rows(user.pk, since=cursor, language=language, known=dict(sent))
                if current is None:  # deactivated or lost the role meanwhile
                    return
                if current != jurisdiction:
                    # Moved to another agency or role: what the console holds was read for the
                    # old one. It reads its list anew; this stream goes on with the new scope.
                    jurisdiction = current
                    sent.clear()
                    synced = timezone.now()
                    cursor, last_catch_up = synced - CATCH_UP_WINDOW, loop.time()
                    yield _message("reload", synced, "jurisdiction changed")
                    continue
                if from_bus:
                    for row in found:
                        sent[row["id"]] = row["changed_at"]
                        yield _message("alarm", synced, json.dumps(row, ensure_ascii=False))
                    continue
                for row in found:
                    changed = datetime.fromisoformat(row["changed_at"])
                    if sent.get(row["id"]) != row["changed_at"]:
                        sent[row["id"]] = row["changed_at"]
                        # Rows come in the order they changed: a console cut off after this one
                        # comes back from here.
                        yield _message("alarm", min(changed, started), json.dumps(row, ensure_ascii=False))
                if len(found) < CATCH_UP_ROWS:
                    synced, cursor, last_catch_up = started, started - CATCH_UP_WINDOW, loop.time()
                    yield _message("sync", synced, "caught up")
                elif changed > cursor:  # more to come: the next rows at once
                    cursor, last_catch_up = changed, loop.time() - CATCH_UP_S
                else:  # more rows changed at one instant than a round reads: the list, read anew
                    synced, cursor, last_catch_up = started, started - CATCH_UP_WINDOW, loop.time()
                    yield _message("reload", synced, "too many changes")
                if len(sent) > 5000:
                    sent.clear()
        finally:
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)  # before closing the generator it runs
            await subscription.aclose()

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


def _labelled(notes):
    notes = list(notes)
    for note in notes:
        step = ALARM_TRANSITIONS.get(note.action)
        note.label = step.label if step else {"hazard": _("Became a hazard")}.get(note.action, note.action)
        if note.action == "verify":
            note.label += " · " + str(Verdict(note.data["verdict"]).label)
    return notes


def _alarm(request, pk) -> Alarm:
    return get_object_or_404(visible_alarms(request.user), pk=pk)


def _alarm_context(request, alarm: Alarm) -> dict:
    unit = alarm.unit
    contacts = [(label, name, phone) for label, name, phone in (
        (_("Fire safety responsible person"), unit.responsible_person, unit.responsible_phone),
        (_("Fire safety manager"), unit.safety_manager, unit.safety_manager_phone),
        (_("Legal representative"), unit.legal_representative, unit.legal_representative_phone)) if name or phone]
    context = {
        "a": alarm, "unit": unit, "contacts": contacts, "actions": services.actions_for(request.user, alarm),
        "notes": _labelled(alarm.notes.select_related("author")), "forwardings": alarm.forwardings.all(),
        "events": Event.objects.filter(alarm=alarm).order_by("-received_at")[:20], "verdicts": Verdict.choices,
    }
    if any(step.action == "assign" for step in context["actions"]):
        context["assignees"] = services.possible_assignees(alarm)
    return context


@login_required
def alarm_detail(request, pk):
    alarm = _alarm(request, pk)
    context = _alarm_context(request, alarm)
    if request.headers.get("HX-Request"):
        return render(request, "iot/_alarm_panel.html", context)
    return render(request, "iot/alarm_detail.html", context)


@login_required
@require_POST
def alarm_action(request, pk):
    alarm = _alarm(request, pk)
    data = {k: request.POST.get(k, "") for k in ("note", "verdict", "assignee")}
    _result, ok = attempt(request, services.act, request.user, alarm, request.POST.get("action", ""), data)
    if ok:
        messages.success(request, _("Done."))
    if request.headers.get("HX-Request"):  # the console's panel
        return render(request, "iot/_alarm_panel.html", _alarm_context(request, _alarm(request, pk)))
    return redirect("iot:alarm-detail", pk=alarm.pk)


@login_required
def alarm_list(request):
    filterset = AlarmFilter(request.GET or None, queryset=visible_alarms(request.user), request=request)
    page = paginate(request, filterset.qs.order_by("-last_at", "-id"))
    context = {"filter": filterset, "page": page, "query": query_without_page(request)}
    template = "iot/_alarm_table.html" if request.headers.get("HX-Request") else "iot/alarm_list.html"
    return render(request, template, context)


@login_required
def device_list(request):
    require_can(request.user, "view", "iot.device")
    devices = scope(request.user, Device.objects.select_related("unit"))
    filterset = DeviceFilter(request.GET or None, queryset=devices, request=request)
    page = paginate(request, filterset.qs.order_by("unit__name", "name"))
    context = {"filter": filterset, "page": page, "query": query_without_page(request)}
    template = "iot/_device_table.html" if request.headers.get("HX-Request") else "iot/device_list.html"
    return render(request, template, context)


@login_required
def device_detail(request, pk):
    require_can(request.user, "view", "iot.device")
    device = get_object_or_404(scope(request.user, Device.objects.select_related("unit", "building")), pk=pk)
    context = {"device": device, "points": device.points.select_related("building").order_by("key")[:500],
               "alarms": device.alarms.select_related("point").order_by("-last_at")[:50],
               "events": device.events.select_related("point").order_by("-received_at")[:50]}
    return render(request, "iot/device_detail.html", context)


@login_required
def stats(request):
    """Alarms by type per day, the online rate per day, the units with most false alarms (30 days)."""
    alarms = visible_alarms(request.user)
    since = timezone.localdate() - timedelta(days=29)
    days = [since + timedelta(days=i) for i in range(30)]
    per_day = (alarms.filter(first_at__date__gte=since).annotate(day=TruncDate("first_at")).values("day", "type")
               .annotate(n=Count("pk")))
    series: dict[str, dict] = {}
    for row in per_day:
        series.setdefault(row["type"], {})[row["day"]] = row["n"]
    kept = scope(request.user, UnitMonitoringDay.objects.filter(day__gte=since))
    online = {r["day"]: r for r in kept.values("day").annotate(d=Sum("device_samples"), o=Sum("online_samples"))}
    rates = [r for r in services.unit_rates(kept, since) if r["fires"]]
    top = sorted(rates, key=lambda r: (-r["false"], -(r["false_rate"] or 0)))[:10]
    context = {
        "days": [d.isoformat() for d in days],
        "types": [{"name": str(AlarmType(t).label), "data": [series[t].get(d, 0) for d in days]}
                  for t in AlarmType.values if t in series],
        "online": [round(100 * online[d]["o"] / online[d]["d"], 1) if d in online and online[d]["d"] else None
                   for d in days],
        "top": [{"name": r["name"], "false": r["false"], "fires": r["fires"],
                 "rate": round(100 * r["false_rate"], 1)} for r in top],
        "totals": alarms.filter(first_at__date__gte=since).aggregate(
            total=Count("pk"), fires=Count("pk", filter=Q(type=AlarmType.FIRE)),
            false=Count("pk", filter=Q(verdict=Verdict.FALSE_ALARM)),
            real=Count("pk", filter=Q(verdict=Verdict.REAL_FIRE))),
    }
    return render(request, "iot/stats.html", context)
