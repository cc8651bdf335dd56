"""Files a journalist takes into their own tools: a contact's vCard, an event's calendar entry.

vobject writes vCards (RFC 6350's 3.0 form, which every address book reads) and icalendar
writes iCalendar (RFC 5545) with the time zone's rules included, so an event lands at the
right hour in a calendar set to any other zone. Both are made the same, byte for byte, by
every build of unchanged content.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import vobject

from presskit.models import Contact, Release


def vcard(contact: Contact, organisation: str) -> bytes:
    """A contact's vCard; `organisation` is how the page names its organisation."""
    card = vobject.vCard()
    card.add("fn").value = contact.name
    family, _, given = contact.name.rpartition(" ")
    card.add("n").value = vobject.vcard.Name(family=family or contact.name, given=given if family else "")
    if organisation:
        card.add("org").value = [organisation]
    if contact.role:
        card.add("title").value = contact.role
    if contact.email:
        email = card.add("email")
        email.value = contact.email
        email.type_param = "INTERNET"
    if contact.phone:
        phone = card.add("tel")
        phone.value = contact.phone
        phone.type_param = "WORK"
    if contact.languages:
        card.add("note").value = "Languages: " + ", ".join(contact.languages)
    return card.serialize().encode("utf-8")


def calendar_entry(release: Release, url: str, summary: str, site: str) -> bytes:
    """The iCalendar file of a release's event: its UID is the same in every build."""
    event = release.event
    assert event is not None
    entry = icalendar.Event()
    entry.add("uid", f"{release.slug}.{release.lang or 'x'}@{urlsplit(url).hostname or 'presskit'}")
    entry.add("dtstamp", release.modified.astimezone(UTC))
    entry.add("summary", release.title)
    if event.has_time:  # in the event's zone, with its rules, or in UTC for a bare offset
        start = event.start if isinstance(event.start.tzinfo, ZoneInfo) else event.start.astimezone(UTC)
        end = event.end or event.start + timedelta(hours=1)
        entry.add("dtstart", start)
        entry.add("dtend", end if isinstance(end.tzinfo, ZoneInfo) else end.astimezone(UTC))
    else:  # whole days: the end is the day after the last
        entry.add("dtstart", event.start.date())
        entry.add("dtend", (event.end or event.start).date() + timedelta(days=1))
    where = ", ".join(part for part in (event.venue, event.address) if part)
    if where:
        entry.add("location", where)
    text = [summary]
    if event.online:
        text.append(f"Online: {event.online}")
    if event.accreditation:
        text.append(event.accreditation)
    text.append(url)
    entry.add("description", "\n\n".join(part for part in text if part))
    entry.add("url", url)
    if release.corrections or release.updated:
        entry.add("last-modified", release.modified.astimezone(UTC))
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{site}//presskit//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(entry)
    if event.has_time:
        calendar.add_missing_timezones()
    return calendar.to_ical()

