"""Sessions: the data model (model.py), the on-disk format (store.py), exports and importers."""

from gaitnode.sessions.model import (  # noqa: F401
    ACTIVITIES, EVENT_KINDS, PHASES, PLACEMENTS, SERIES_UNITS, SIDES,
    Events, Imu, Series, Session, SessionMeta, Subject,
)
