#!/usr/bin/env python3
"""An independent computation of segment's revenue figures, for the tests.

Reads canonical NDJSON (normalise output) and prints, per account, the current MRR, the MRR
at the last 13 month-ends, each month's movement and the customer-share tier, following
the definitions of docs/SEGMENT.md directly with Python's decimal module: a different language, a different
method (dates through datetime, not epoch arithmetic), the same definitions.

    segment_reference.py CANONICAL.ndjson AS_OF [GRACE_DAYS] [CHURN_RECOGNITION]

Besides the accounts it prints the portfolio's month-to-date movement and the retention figures
(NRR, GRR, logo churn over the 12 months ending at as-of), found by checking every day of the
window rather than the days where a subscription changes, as segment does.
"""
import calendar
import datetime as dt
import json
import math
import sys
from decimal import ROUND_HALF_EVEN, Decimal

MONTHS_PER = {"day": Decimal(365) / 12, "week": Decimal(52) / 12, "month": Decimal(1),
              "quarter": Decimal(1) / 3, "year": Decimal(1) / 12}


def instant(text):
    if text is None:
        return None
    if len(text) == 10:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def main():
    path, as_of = sys.argv[1], dt.date.fromisoformat(sys.argv[2])
    grace = dt.timedelta(days=int(sys.argv[3]) if len(sys.argv) > 3 else 30)
    policy = sys.argv[4] if len(sys.argv) > 4 else "end-of-service"
    subs, unpaid, parents = {}, {}, {}
    cutoff = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    for line in open(path, encoding="utf-8"):
        record = json.loads(line)
        account = record["account"]
        if record["kind"] == "account" and record.get("parent") and record["parent"] != account:
            parents.setdefault(account, record["parent"])
        if record["kind"] == "subscription":
            if instant(record["started_at"]) >= cutoff:
                continue
            subs.setdefault(account, []).append(record)
        elif record["kind"] == "invoice" and record.get("status") in ("open", "uncollectible") and record.get("due_at"):
            if instant(record["issued_at"]) >= cutoff:
                continue
            due = instant(record["due_at"])
            if due < cutoff:
                key = (account, record.get("subscription", ""))
                unpaid[key] = min(unpaid.get(key, due), due)

    def monthly(sub):
        amount = Decimal(str(sub["amount"])) * sub.get("quantity", 1) - Decimal(str(sub.get("discount", 0)))
        value = amount * MONTHS_PER[sub.get("interval", "month")] / max(1, sub.get("interval_count", 1))
        return max(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN), Decimal(0))

    def service_end(sub):
        """Where service ends: the stated end of an ended subscription; for a live one with a
        cancellation scheduled, cancel_at, else the end of the current period."""
        status = sub.get("status", "active")
        if status in ("canceled", "ended"):
            return (instant(sub.get("ended_at")) or instant(sub.get("cancel_at")) or instant(sub.get("canceled_at"))
                    or instant(sub["started_at"]))
        if sub.get("ended_at"):
            return instant(sub["ended_at"])
        if sub.get("cancel_at") or sub.get("cancel_at_period_end") is True or sub.get("canceled_at"):
            return instant(sub.get("cancel_at")) or instant(sub.get("current_period_end"))
        return None

    def scheduled(sub):
        return (sub.get("status", "active") not in ("canceled", "ended") and not sub.get("ended_at")
                and service_end(sub) is not None)

    def end_under_policy(sub):
        end = service_end(sub)
        cancelled = instant(sub.get("canceled_at"))
        if policy == "scheduled" and cancelled is not None and (
                sub.get("status") in ("canceled", "ended") or scheduled(sub)):
            return min(cancelled, end) if end is not None else cancelled
        return end

    def counts(account, sub, day_end, end=None, use_end=False):
        start = instant(sub["started_at"])
        end = end if use_end else end_under_policy(sub)
        status = sub.get("status", "active")
        trial_end = instant(sub.get("trial_end"))
        if status == "trialing" and trial_end is None:
            return False
        if not start < day_end or (end is not None and end < day_end):
            return False
        if trial_end is not None and trial_end >= day_end:
            return False
        if status in ("paused", "incomplete"):
            return False
        if status in ("past_due", "unpaid"):
            due = unpaid.get((account, sub.get("id", ""))) or unpaid.get((account, ""))
            if status == "unpaid":
                # Retries exhausted: never counts at as-of, nor before without a dated invoice.
                if due is None or day_end >= cutoff or due + grace < day_end:
                    return False
            elif due is not None and due + grace < day_end:
                return False
        return True

    def mrr(account, day_end):
        return sum((monthly(s) for s in subs.get(account, []) if counts(account, s, day_end)), Decimal(0))

    # The last 13 month-ends on or before as-of.
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    year, month = (as_of.year, as_of.month) if as_of.day == last_day else (
        (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12))
    ends = []
    for _ in range(13):
        day = dt.date(year, month, calendar.monthrange(year, month)[1])
        ends.append((f"{year:04d}-{month:02d}", dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.timezone.utc)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    ends.reverse()

    result = {}
    for account in sorted(subs):
        series = [mrr(account, end) for _, end in ends]
        first = min(instant(s["started_at"]) for s in subs[account])
        paid_before = False
        probe_year, probe_month = first.year, first.month
        while True:
            probe_end = dt.datetime(probe_year, probe_month, 1, tzinfo=dt.timezone.utc)
            probe_end = dt.datetime(probe_year + (probe_month == 12), probe_month % 12 + 1, 1, tzinfo=dt.timezone.utc)
            if probe_end >= ends[0][1]:
                break
            if mrr(account, probe_end) > 0:
                paid_before = True
                break
            probe_year, probe_month = (probe_year + (probe_month == 12), probe_month % 12 + 1)
        movements = []
        for index in range(1, len(ends)):
            if series[index - 1] > 0:
                paid_before = True
            prev, cur = series[index - 1], series[index]
            kind = None
            if prev == 0 and cur > 0:
                kind = "reactivation" if paid_before else "new"
            elif prev > 0 and cur == 0:
                kind = "churn"
            elif prev > 0 and cur > prev:
                kind = "expansion"
            elif prev > 0 and cur < prev:
                kind = "contraction"
            if kind:
                movements.append([ends[index][0], kind, str(cur - prev)])
        # The month to date: from the last month-end to as-of, when as-of is not a month-end.
        if ends[-1][1] < cutoff:
            if series[-1] > 0:
                paid_before = True
            prev, cur = series[-1], mrr(account, cutoff)
            kind = ("reactivation" if paid_before else "new") if prev == 0 and cur > 0 else (
                "churn" if prev > 0 and cur == 0 else "expansion" if prev > 0 and cur > prev else
                "contraction" if prev > 0 and cur < prev else None)
            if kind:
                movements.append([f"{as_of.year:04d}-{as_of.month:02d}", kind, str(cur - prev)])
        at_risk = sum((monthly(s) for s in subs[account] if scheduled(s) and service_end(s) >= cutoff
                       and counts(account, s, cutoff, service_end(s), True)), Decimal(0))
        result[account] = {"mrr": str(mrr(account, cutoff)), "series": [str(v) for v in series], "movements": movements,
                           "mrr_at_risk": str(at_risk)}

    # A child's MRR counts in its top parent's total; tiers rank the top accounts, and children
    # take their parent's tier.
    # Parents outside the run are ignored; a cycle's top is its smallest key.
    def top(account):
        path = [account]
        while account in parents and parents[account] in result:
            parent = parents[account]
            if parent in path:
                return min(path[path.index(parent):])
            path.append(parent)
            account = parent
        return account
    totals = {}
    for account, values in result.items():
        totals[top(account)] = totals.get(top(account), Decimal(0)) + Decimal(values["mrr"])
    ranked = sorted(((v, k) for k, v in totals.items() if v > 0), key=lambda p: (-p[0], p[1]))
    n = len(ranked)
    first_cut, second_cut = math.ceil(Decimal("0.10") * n), math.ceil(Decimal("0.30") * n)
    tiers = {}
    for rank, (_, account) in enumerate(ranked, start=1):
        tiers[account] = "tier1" if rank <= first_cut else "tier2" if rank <= second_cut else "tier3"
    for account in result:
        result[account]["tier"] = tiers.get(top(account), "unranked")

    # Retention over the 12 months ending at as-of, per top-level account (children roll up).
    start_month = as_of.month - 12
    start_year = as_of.year + (start_month - 1) // 12
    start_month = (start_month - 1) % 12 + 1
    start_day = dt.date(start_year, start_month, min(as_of.day, calendar.monthrange(start_year, start_month)[1]))
    groups = {}
    for account in subs:
        groups.setdefault(top(account), []).append(account)

    def group_mrr(members, day_end):
        return sum((mrr(member, day_end) for member in members), Decimal(0))
    cohort = []
    start_end = dt.datetime.combine(start_day + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    for key in sorted(groups):
        start = group_mrr(groups[key], start_end)
        if start <= 0:
            continue
        churned = False
        day = start_day + dt.timedelta(days=1)
        while day <= as_of:
            if group_mrr(groups[key], dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.timezone.utc)) == 0:
                churned = True
                break
            day += dt.timedelta(days=1)
        end = Decimal(0) if churned else group_mrr(groups[key], cutoff)
        cohort.append((key, start, end, churned))
    ranked_start = sorted(((v, k) for k, v, _, _ in cohort), key=lambda p: (-p[0], p[1]))
    n = len(ranked_start)
    cut1, cut2 = math.ceil(Decimal("0.10") * n), math.ceil(Decimal("0.30") * n)
    start_tier = {k: "tier1" if r <= cut1 else "tier2" if r <= cut2 else "tier3" for r, (_, k) in enumerate(ranked_start, 1)}

    def figures(members):
        start = sum((m[1] for m in members), Decimal(0))
        end = sum((m[2] for m in members), Decimal(0))
        kept = sum((min(m[1], m[2]) for m in members), Decimal(0))
        churned = sum(1 for m in members if m[3] or m[2] == 0)
        four = Decimal("0.0001")
        return {"cohort_accounts": len(members), "start_mrr": str(start), "end_mrr": str(end),
                "nrr": str((end / start).quantize(four, rounding=ROUND_HALF_EVEN)) if start else None,
                "grr": str((kept / start).quantize(four, rounding=ROUND_HALF_EVEN)) if start else None,
                "churned_accounts": churned,
                "logo_churn": str((Decimal(churned) / len(members)).quantize(four, rounding=ROUND_HALF_EVEN)) if members else None}
    retention = figures(cohort)
    retention["window_start"] = start_day.isoformat()
    retention["by_tier_at_start"] = {t: figures([m for m in cohort if start_tier[m[0]] == t]) for t in ("tier1", "tier2", "tier3")}
    print(json.dumps({"accounts": result, "retention": retention}, sort_keys=True))


if __name__ == "__main__":
    main()
