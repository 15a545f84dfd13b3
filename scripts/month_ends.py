#!/usr/bin/env python3
"""Prints the last N month-ends strictly before AS_OF (YYYY-MM-DD), oldest first: the days
`make backtest` recomputes the pipeline as of."""
import datetime as dt
import sys

as_of = dt.date.fromisoformat(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 12
ends = []
day = as_of.replace(day=1) - dt.timedelta(days=1)
while len(ends) < count:
    ends.append(day)
    day = day.replace(day=1) - dt.timedelta(days=1)
print(" ".join(d.isoformat() for d in reversed(ends)))
