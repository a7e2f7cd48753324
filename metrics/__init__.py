"""Metrics shared by every model: event matching, per-sample classification, regression.

See docs/metrics.md for the definitions and how they map to the papers' numbers.
"""

from gaitnode.metrics.classification import (  # noqa: F401
    BinaryReport, ClassificationReport, binary_report, classification_report,
)
from gaitnode.metrics.events import DEFAULT_TOLERANCE_S, EventMatch, match_events  # noqa: F401
from gaitnode.metrics.regression import (  # noqa: F401
    AlignedSeries, RegressionReport, align_series, regression_report, total_percentage_error,
)
