"""The console's sidebar, filled by the apps: `nav.add(group, label, url_name, section=...)` from an
AppConfig.ready(). Public. Groups appear in the order they are first used; entries in the order added."""
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Entry:
    group: str
    label: str
    url_name: str
    section: str = ""  # the ConsoleView.section that marks it active
    visible: object = None  # callable(user) -> bool; None: every administrator


_entries = []


def add(group, label, url_name, *, section="", visible=None):
    if any(e.url_name == url_name for e in _entries):
        return
    _entries.append(Entry(group, label, url_name, section, visible))


def sidebar(user, section):
    """[(group, [(label, url, active), ...]), ...] for this user."""
    groups = {}
    for e in _entries:
        if e.visible is None or e.visible(user):
            groups.setdefault(e.group, []).append((e.label, reverse(e.url_name), bool(section) and e.section == section))
    return list(groups.items())
