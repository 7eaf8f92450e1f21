"""The 90th percentile as an SQL aggregate, on PostgreSQL and SQLite alike."""
from django.db.models import Aggregate, FloatField

PERCENTILE = 0.9


class _NearestRank:
    """SQLite's twin of PostgreSQL's percentile_disc: the smallest value with at least PERCENTILE of the values at or below it."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        self.values.sort()
        rank = -(-len(self.values) * 9 // 10)  # ceil(0.9 n) without float rounding
        return self.values[rank - 1]


class P90(Aggregate):
    """The 90th percentile (nearest rank) of a column's whole seconds (rounded down, as the day
    rollup's histograms keep them: day_rollup.p90); NULLs are left out."""

    function = "percentile_disc"
    template = f"%(function)s({PERCENTILE}) WITHIN GROUP (ORDER BY floor(%(expressions)s))"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        connection.ensure_connection()
        connection.connection.create_aggregate("cx_p90", 1, _NearestRank)
        return super().as_sql(compiler, connection, function="cx_p90", template="%(function)s(floor(%(expressions)s))", **extra)
