#!/usr/bin/env python3
"""A large Stripe Dashboard subscriptions export on its own, for the chain benchmark (issue 17).

Unlike scripts/generate_exports.py (one customer base across every export, a story per account),
this writes only `subscriptions.csv` the way a Stripe Dashboard export of a mature business
looks: hundreds of thousands of customers, one to several subscriptions each, every status
Stripe has (trialing, active, past_due, unpaid, canceled, incomplete, incomplete_expired,
paused), cancellations scheduled at period end or for a date, coupons, tax and metadata
columns, names with commas and quotes. Seeded: the same arguments give the same bytes.

    scripts/generate_subscriptions.py --out FILE [--customers 300000] [--as-of 2026-11-15]
"""
import argparse
import csv
import datetime as dt
import random

HEADER = ["id", "Customer ID", "Customer Name", "Customer Email", "Customer Description", "Plan", "Product",
          "Quantity", "Currency", "Interval", "Amount", "Status", "Cancellation Reason", "Created (UTC)",
          "Start (UTC)", "Start Date (UTC)", "Current Period Start (UTC)", "Current Period End (UTC)",
          "Trial Start (UTC)", "Trial End (UTC)", "Coupon",
          "Canceled At (UTC)", "Ended At (UTC)", "Cancel At Period End", "Cancel At (UTC)",
          "channel (metadata)"]
PLANS = [("starter", 19.0), ("team", 49.0), ("business", 99.0), ("scale", 249.0), ("enterprise", 899.0)]
INTERVALS = [("month", 1, 70), ("year", 12, 24), ("quarter", 3, 4), ("week", 0, 2)]
STATUSES = [("active", 62), ("canceled", 20), ("trialing", 6), ("past_due", 5), ("unpaid", 2),
            ("incomplete", 1.5), ("incomplete_expired", 1.5), ("paused", 2)]
WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell",
         "Cyberdyne", "Wonka", "Oscorp", "Pied Piper", "Aperture", "Massive", "Dynamic", "Blue Sun", "Monarch"]
SUFFIXES = ["Inc.", "LLC", "Ltd", "GmbH", "& Sons", "Group", "Labs", "S.A.", "Holdings, Inc.", "\"The\" Company"]
REASONS = ["", "too expensive", "missing features", "switched service", "unused", "customer service", "other"]


def stamp(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def add_months(day, months):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


def advance(moment, interval, months):
    return moment + dt.timedelta(days=7) if interval == "week" else add_months(moment, months)


def pick(rng, weighted):
    return rng.choices([item[0] for item in weighted], weights=[item[-1] for item in weighted])[0]


def rows(customers, as_of, rng):
    now = dt.datetime.combine(as_of, dt.time(12))
    for number in range(customers):
        customer = f"cus_{rng.getrandbits(56):014X}"
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(SUFFIXES)}"
        email = f"ap{number}@{name.split()[0].lower()}.example"
        crm = f"001{rng.getrandbits(48):012X}"
        channel = rng.choice(["web", "sales", "partner"])
        count = rng.choices([1, 2, 3, 4], weights=[57, 28, 10, 5])[0]
        for _ in range(count):
            plan, seat = rng.choice(PLANS)
            interval, months = pick(rng, INTERVALS), 0
            months = next(m for i, m, _ in INTERVALS if i == interval)
            status = pick(rng, STATUSES)
            created = now - dt.timedelta(days=rng.randrange(1, 1500), seconds=rng.randrange(86400))
            start = created
            trial_start = trial_end = None
            if status == "trialing":
                created = start = now - dt.timedelta(days=rng.randrange(1, 14), seconds=rng.randrange(86400))
                trial_start, trial_end = start, start + dt.timedelta(days=14)
            elif rng.random() < 0.15:
                trial_start, trial_end = start, start + dt.timedelta(days=14)
            period_start = trial_end or start
            stop = now
            if status == "canceled":
                stop = created + dt.timedelta(days=rng.randrange(14, max(15, (now - created).days)))
            while advance(period_start, interval, months) <= stop:
                period_start = advance(period_start, interval, months)
            period_end = advance(period_start, interval, months)
            canceled = ended = cancel_at = None
            at_period_end = False
            reason = ""
            if status == "canceled":
                ended = stop
                canceled = ended - dt.timedelta(days=rng.choice([0, 0, 3, 30]))
                period_end, reason = ended, rng.choice(REASONS)
            elif status == "incomplete_expired":
                ended = created + dt.timedelta(days=1)
                canceled, period_end = ended, ended
            elif status in ("active", "past_due", "trialing") and rng.random() < 0.09:
                # A cancellation scheduled: at the end of the current period, or for a date.
                canceled = now - dt.timedelta(days=rng.randrange(1, 25))
                if rng.random() < 0.75:
                    at_period_end = True
                else:
                    cancel_at = period_end + dt.timedelta(days=rng.randrange(1, 90))
                reason = rng.choice(REASONS)
            quantity = rng.choice([1, 1, 1, 2, 3, 5, 10, 25, rng.randrange(1, 400)])
            amount = seat * (months if months else 0.25) * (0.8 if months == 12 else 1)
            coupon = rng.choice(["", "", "", "", "LAUNCH20", "PARTNER10"])
            yield [f"sub_{rng.getrandbits(96):024X}", customer, name, email, crm if rng.random() < 0.1 else "",
                   f"{plan}-{interval}", f"cspipe {plan.title()}", quantity, "usd", interval, f"{amount:.2f}",
                   status, reason, stamp(created), stamp(start), stamp(start), stamp(period_start), stamp(period_end),
                   stamp(trial_start), stamp(trial_end), coupon,
                   stamp(canceled), stamp(ended), "true" if at_period_end else "false", stamp(cancel_at), channel]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--customers", type=int, default=300000)
    parser.add_argument("--as-of", default="2026-11-15")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows(args.customers, dt.date.fromisoformat(args.as_of), rng))


if __name__ == "__main__":
    main()
