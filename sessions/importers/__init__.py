"""Importers: outside recordings -> validated `gaitnode.sessions.model.Session`s.

Formats, column schemas and units are documented in docs/import.md.

- `import_csv(path, *, rate_hz, units, axes, meta, max_gap_s) -> Session`: generic CSV.
- `import_fit(path, *, meta, cadence, grade_window_s) -> Session`: Garmin FIT (no IMU).
- `load_uci_har(root, splits, *, rate_hz) -> list[Session]`: UCI HAR, de-windowed.
- `load_uci_har_windows(root, split) -> (X, y, subject)`: UCI HAR windows as arrays.
- `read_events_csv(path) -> Events`: reference gait events for evaluation.
"""

from gaitnode.sessions.importers.csv_import import import_csv  # noqa: F401
from gaitnode.sessions.importers.events_csv import read_events_csv  # noqa: F401
from gaitnode.sessions.importers.fit_import import import_fit  # noqa: F401
from gaitnode.sessions.importers.uci_har import load_uci_har, load_uci_har_windows  # noqa: F401
from gaitnode.sessions.importers.units import parse_axes_spec, parse_units_spec  # noqa: F401
