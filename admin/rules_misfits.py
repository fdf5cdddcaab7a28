"""The decision on a booking that no longer fits the rules after an edit: keep it (nothing
to do; it stays listed under its resource until it is over) or cancel it with a message to
the customer. Only admins cancel (a cancellation past the notice needs their override);
the message is the cancellation's recorded reason."""

from __future__ import annotations

from datetime import datetime, timedelta

from quart import Response, abort, request

from admin.access import ADMINS, actor_of, page, signed_in
from admin.blueprint import admin
from admin.rules import check_resource, problems_of, resource_page
from admin.words import words_for
from channels.services import services
from core.bookings import find_bookings
from core.errors import SlotwiseError


@admin.post("/rules/<resource>/misfits/cancel")
@page(*ADMINS)
async def resource_misfit_cancel(resource: str) -> Response:
    user = signed_in()
    check_resource(user, resource)
    form = await request.form
    try:
        booking_id = int(form.get("booking", ""))
        start = datetime.fromisoformat(form.get("start", ""))
    except ValueError:
        abort(404, "there is no such booking; reload the page")
    if start.tzinfo is None:
        abort(404, "there is no such booking; reload the page")
    lines = await find_bookings(
        start=start, end=start + timedelta(seconds=1), resource=resource, status="confirmed"
    )
    found = next((line.booking for line in lines if line.booking.id == booking_id), None)
    if found is None:
        abort(404, "there is no such booking, or it was cancelled already; reload the page")
    message = form.get("message", "")[:500].strip()
    try:
        await services().bookings.cancel(
            found.manage_token, actor=actor_of(user), reason=message, override=True
        )
    except SlotwiseError as error:
        return await resource_page(resource, status=400, problems=problems_of(error))
    words = await words_for(user)
    notice = words._("Booking {id} is cancelled; the customer gets the cancellation notice.")
    return await resource_page(resource, notice=notice.format(id=found.id))
