#!/usr/bin/env python3
"""Deterministic, synthetic exports for one fictional customer base, in real vendor layouts.

The same companies appear in billing (Stripe customers, subscriptions, invoices), support
(Zendesk XML tickets and organizations, Freshdesk CSV from before a helpdesk migration),
product usage (cspipe usage CSV), surveys (cspipe NPS CSV) and the CRM account list.

    scripts/generate_exports.py --out samples/exports            # the shipped samples (16 accounts)
    scripts/generate_exports.py --out bench-data --accounts 100000
    scripts/generate_exports.py --out build/demo/exports --demo      # the demo portfolio (`make demo`)

Same arguments, same bytes: the generator uses its own seeded PRNG and no clock.
"""
import argparse
import datetime as dt
import os
import random
from xml.sax.saxutils import escape

AS_OF = dt.date(2026, 11, 15)

# The hand-written cast of the shipped samples: key, name, domain, industry, region, country,
# seats, plan, interval, story. Stories drive the edge cases later stages must get right.
CAST = [
    ("northwind", "Northwind Logistics", "northwind.example", "Logistics", "EMEA", "GB", 120, "enterprise", "year", "steady"),
    ("bluebird", "Bluebird Health", "bluebird-health.example", "Healthcare", "NA", "US", 45, "growth", "month", "expanding"),
    ("copperleaf", "Copperleaf Bank", "copperleaf.example", "Financial Services", "NA", "US", 80, "enterprise", "quarter", "past_due_grace"),
    ("driftwood", "Driftwood Studios", "driftwood.example", "Media", "EMEA", "DE", 12, "starter", "month", "contracting"),
    ("evergreen", "Evergreen Schools", "evergreen-schools.example", "Education", "NA", "CA", 30, "growth", "year", "cancel_at_period_end"),
    ("foxglove", "Foxglove Retail", "foxglove.example", "Retail", "EMEA", "FR", 25, "growth", "month", "churned"),
    ("granite", "Granite Works", "graniteworks.example", "Manufacturing", "APAC", "AU", 60, "enterprise", "year", "past_due_beyond"),
    ("harbor", "Harbor Analytics", "harbor-analytics.example", "Software", "NA", "US", 18, "growth", "month", "steady"),
    ("ironclad", "Ironclad Security", "ironclad.example", "Software", "NA", "US", 8, "starter", "week", "steady"),
    ("juniper", "Juniper Foods", "juniperfoods.example", "Retail", "LATAM", "MX", 22, "growth", "month", "cancel_and_return"),
    ("kestrel", "Kestrel Aviation", "kestrel-aviation.example", "Transport", "EMEA", "NL", 40, "enterprise", "year", "onboarding"),
    ("lumen", "Lumen Labs", "lumenlabs.example", "Software", "APAC", "SG", 5, "starter", "month", "trial_never_converted"),
    ("maple-oak", "Maple & Oak Legal", "mapleoak.example", "Legal", "NA", "US", 15, "growth", "month", "discounted"),
    ("cava", "Ça Va Café", "cavacafe.example", "Hospitality", "EMEA", "FR", 6, "starter", "month", "steady"),
    ("northwind-de", "Northwind Logistics GmbH", "northwind.example", "Logistics", "EMEA", "DE", 35, "growth", "month", "child"),
    ("quartz", "Quartz Energy", "quartz-energy.example", "Energy", "NA", "US", 50, "growth", "year", "expanding"),
]

PLANS = {  # price per seat per month in USD
    "starter": ("Starter", 19.0),
    "growth": ("Growth", 49.0),
    "enterprise": ("Enterprise", 89.0),
}
INTERVAL_MONTHS = {"week": 12 / 52, "month": 1, "quarter": 3, "year": 12}
CSMS = ["ana.ruiz@cspipe.example", "ben.okafor@cspipe.example", "chen.li@cspipe.example", "dee.moss@cspipe.example"]
SUBJECTS = [
    "Cannot export report to CSV", "SSO login loops back to the sign-in page", "Invoice shows the wrong VAT number",
    "Dashboard is slow since the update", "How do I add seats?", "API returns 429 during the nightly sync",
    "Feature request: Slack alerts", "Data import stuck in “Processing”", "User cannot reset password",
    "Webhook deliveries failing – timeout", "Charts show last month's data", "Question about the renewal quote",
]
COMMENTS = [
    "Great support team, the reporting saves us hours.", "Too expensive for what we use.",
    "Onboarding was slow; we still lack SSO.", "", "Love it. \"Best tool we bought this year\".",
    "Exports fail on large files,\nplease fix.", "OK overall", "",
]


def dtstr(moment, style="stripe"):
    if style == "stripe":
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if style == "rails":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.isoformat()


def add_months(day, months):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def csv_cell(value):
    text = "" if value is None else str(value)
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(path, header, rows, newline="\n", final_newline=True):
    lines = [",".join(csv_cell(h) for h in header)] + [",".join(csv_cell(v) for v in row) for row in rows]
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(newline.join(lines) + (newline if final_newline else ""))


def make_accounts(count, rng, demo=False):
    if count <= len(CAST):
        return [dict(zip(("key", "name", "domain", "industry", "region", "country", "seats", "plan", "interval", "story"), row)) for row in CAST[:count]]
    stories = ["steady"] * 12 + ["expanding", "contracting", "churned", "cancel_and_return", "past_due_grace", "trial_never_converted", "discounted", "onboarding",
                                 "cancel_at_period_end", "cancel_at", "past_due_beyond", "incomplete"]
    if demo:
        # Renewals that happened: annual customers who renewed and who left at their renewal.
        stories += ["churn_at_renewal"] * 4 + ["steady"] * 4
    industries = ["Software", "Retail", "Healthcare", "Logistics", "Education", "Financial Services", "Media", "Manufacturing"]
    regions = [("NA", "US"), ("EMEA", "GB"), ("EMEA", "DE"), ("APAC", "AU"), ("LATAM", "BR")]
    accounts = []
    for index in range(count):
        region, country = rng.choice(regions)
        seats = max(1, int(rng.paretovariate(1.2) * 3))
        plan = "enterprise" if seats > 60 else ("growth" if seats > 10 else "starter")
        interval = rng.choice(["month"] * 6 + ["year"] * 3 + ["quarter", "week"])
        story = rng.choice(stories)
        if demo and (story == "churn_at_renewal" or rng.random() < 0.3):
            interval = "year"
        accounts.append({
            "key": f"acct-{index:06d}", "name": f"Company {index:06d}", "domain": f"company{index:06d}.example",
            "industry": rng.choice(industries), "region": region, "country": country, "seats": seats,
            "plan": plan, "interval": interval, "story": story,
        })
    return accounts


def generate(out_dir, count, seed, usage_days, demo=False):
    rng = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    accounts = make_accounts(count, rng, demo)
    customers, subscriptions, invoices, crm = [], [], [], []
    for index, account in enumerate(accounts):
        start = AS_OF - dt.timedelta(days=rng.randrange(120, 700) if not demo else rng.randrange(60, 900))
        if account["story"] == "churn_at_renewal":
            start = AS_OF - dt.timedelta(days=rng.randrange(380, 720))
        if account["story"] == "onboarding":
            start = AS_OF - dt.timedelta(days=40)
        account["start"] = start
        account["customer"] = f"cus_{rng.getrandbits(56):014X}"
        account["org_id"] = 360000000 + index * 17
        owner = CSMS[index % len(CSMS)]
        parent = "northwind" if account["story"] == "child" else ""
        renewal = add_months(start, 12)
        while renewal <= AS_OF:
            renewal = add_months(renewal, 12)
        crm.append([account["key"], account["name"], account["domain"], parent, account["industry"], account["region"],
                    account["country"], owner, start.isoformat(), renewal.isoformat(), 6 * account["seats"]])
        created = dt.datetime.combine(start - dt.timedelta(days=3), dt.time(9, rng.randrange(60), rng.randrange(60)))
        customers.append([account["customer"], account["name"], f"billing@{account['domain']}", account["name"], dtstr(created),
                          "0.00", "usd", "true" if account["story"] == "past_due_beyond" else "false", account["key"]])
        # Subscriptions: one per account, plus the second one of a cancel-and-return customer and the
        # replacement subscription of an expansion or contraction.
        plan_name, seat_price = PLANS[account["plan"]]
        interval = account["interval"]
        amount = round(seat_price * INTERVAL_MONTHS[interval], 2)
        seats = account["seats"]
        segments = []  # (start, end or None, seats, status, trial_end, cancel_reason)
        story = account["story"]
        if story == "trial_never_converted":
            trial_end = start + dt.timedelta(days=14)
            segments.append((start, trial_end, seats, "canceled", trial_end, "trial ended"))
        elif story == "churned":
            end = AS_OF - dt.timedelta(days=rng.randrange(20, 90))
            segments.append((start, end, seats, "canceled", None, "too expensive"))
        elif story == "churn_at_renewal":
            account["end"] = add_months(start, 12)
            segments.append((start, account["end"], seats, "canceled", None, "not renewed"))
        elif story == "cancel_and_return":
            gap_start = start + dt.timedelta(days=150)
            segments.append((start, gap_start, seats, "canceled", None, "budget freeze"))
            segments.append((gap_start + dt.timedelta(days=75), None, seats + 3, "active", None, ""))
        elif story in ("expanding", "contracting"):
            change = start + dt.timedelta(days=(AS_OF - start).days // 2)
            new_seats = seats + max(2, seats // 3) if story == "expanding" else max(1, seats - max(2, seats // 3))
            segments.append((start, change, seats, "canceled", None, "plan change"))
            segments.append((change, None, new_seats, "active", None, ""))
        elif story == "past_due_grace":
            segments.append((start, None, seats, "past_due", None, ""))
        elif story == "past_due_beyond":
            segments.append((start, None, seats, "unpaid", None, ""))
        elif story == "incomplete":
            segments.append((start, None, seats, "incomplete", None, ""))
        else:
            segments.append((start, None, seats, "active", None, ""))
        for number, (seg_start, seg_end, seg_seats, status, trial_end, reason) in enumerate(segments):
            sub_id = f"sub_{rng.getrandbits(60):015X}"
            begin = dt.datetime.combine(seg_start, dt.time(10, 0, 0))
            period_start = seg_start
            while True:
                nxt = add_months(period_start, 1) if interval == "month" else (
                    add_months(period_start, 3) if interval == "quarter" else (
                        add_months(period_start, 12) if interval == "year" else period_start + dt.timedelta(days=7)))
                if nxt > AS_OF or (seg_end and nxt > seg_end):
                    break
                period_start = nxt
            period_end = add_months(period_start, 1) if interval == "month" else (
                add_months(period_start, 3) if interval == "quarter" else (
                    add_months(period_start, 12) if interval == "year" else period_start + dt.timedelta(days=7)))
            ended = dt.datetime.combine(seg_end, dt.time(10, 0, 0)) if seg_end else None
            # Cancelled at period end: still active and paid until the period ends.
            canceled = dt.datetime.combine(AS_OF - dt.timedelta(days=25 if story == "cancel_at_period_end" else 40), dt.time(16, 30)) \
                if story in ("cancel_at_period_end", "cancel_at") else None
            # A cancellation scheduled for a date of its own, after the current period.
            cancel_at = dt.datetime.combine(period_end + dt.timedelta(days=30), dt.time(9)) if story == "cancel_at" else None
            unit = amount * (0.8 if story == "discounted" else 1)
            subscriptions.append([
                sub_id, account["customer"], account["name"], f"billing@{account['domain']}", account["key"],
                f"{account['plan']}-{interval}ly" if interval != "week" else f"{account['plan']}-weekly",
                f"cspipe {plan_name}", seg_seats, interval, f"{unit:.2f}", status, reason,
                dtstr(begin), dtstr(begin), dtstr(begin),
                dtstr(dt.datetime.combine(period_start, dt.time(10))), dtstr(dt.datetime.combine(period_end, dt.time(10))),
                dtstr(begin) if trial_end else "", dtstr(dt.datetime.combine(trial_end, dt.time(10))) if trial_end else "",
                dtstr(canceled) if canceled else (dtstr(ended) if ended else ""), dtstr(ended) if ended else "",
                "true" if story == "cancel_at_period_end" else "false", dtstr(cancel_at) if cancel_at else "",
            ])
            if trial_end:
                continue
            # Invoices for each billing period of the segment.
            period = seg_start
            while period <= AS_OF and (not seg_end or period < seg_end):
                next_period = add_months(period, 1) if interval == "month" else (
                    add_months(period, 3) if interval == "quarter" else (
                        add_months(period, 12) if interval == "year" else period + dt.timedelta(days=7)))
                total = round(unit * seg_seats, 2)
                issued = dt.datetime.combine(period, dt.time(10, 5, 0))
                due = issued + dt.timedelta(days=30)
                # The invoice of the current period is the unpaid one: due 10 days ago (within the
                # grace period) for past_due, 50 days ago (beyond it) for unpaid.
                late = status in ("past_due", "unpaid") and next_period > AS_OF
                if status == "incomplete":
                    late = True  # the first invoice was never paid; there is no other
                if late and status != "incomplete":
                    due = dt.datetime.combine(AS_OF - dt.timedelta(days=50 if status == "unpaid" else 10), dt.time(10, 5, 0))
                    issued = due - dt.timedelta(days=30)
                paid = not late
                invoices.append([
                    f"in_{rng.getrandbits(60):015X}", f"{account['key'].upper()[:6]}-{len(invoices) + 1:04d}", account["customer"],
                    account["name"], f"billing@{account['domain']}", f"{total:.2f}", f"{total if paid else 0:.2f}",
                    f"{0 if paid else total:.2f}", 1 if paid else 3, "true", "usd", dtstr(issued), dtstr(due),
                    "true" if paid else "false", "paid" if paid else "open", sub_id, f"{total:.2f}", "0.00", f"{total:.2f}",
                    dtstr(dt.datetime.combine(period, dt.time(10))), dtstr(dt.datetime.combine(next_period, dt.time(10)))])
                period = next_period
                if status == "incomplete":
                    break

    write_csv(os.path.join(out_dir, "stripe_customers.csv"),
              ["id", "Description", "Email", "Name", "Created (UTC)", "Balance", "Currency", "Delinquent", "account_key (metadata)"], customers)
    write_csv(os.path.join(out_dir, "stripe_subscriptions.csv"),
              ["id", "Customer ID", "Customer Name", "Customer Email", "Customer Description", "Plan", "Product", "Quantity", "Interval",
               "Amount", "Status", "Cancellation Reason", "Created (UTC)", "Start (UTC)", "Start Date (UTC)",
               "Current Period Start (UTC)", "Current Period End (UTC)", "Trial Start (UTC)", "Trial End (UTC)",
               "Canceled At (UTC)", "Ended At (UTC)", "Cancel At Period End", "Cancel At (UTC)"], subscriptions)
    # Stripe invoices come re-saved from a spreadsheet: CRLF and no final newline.
    write_csv(os.path.join(out_dir, "stripe_invoices.csv"),
              ["id", "Number", "Customer", "Customer Name", "Customer Email", "Amount Due", "Amount Paid", "Amount Remaining",
               "Attempt Count", "Attempted", "Currency", "Date (UTC)", "Due Date (UTC)", "Paid", "Status", "Subscription",
               "Subtotal", "Tax", "Total", "Period Start (UTC)", "Period End (UTC)"], invoices, newline="\r\n", final_newline=False)
    write_csv(os.path.join(out_dir, "crm_accounts.csv"),
              ["account", "name", "domain", "parent", "industry", "region", "country", "owner", "contract_start", "renewal_at", "target_value"], crm)

    # Support: Freshdesk until the migration day, Zendesk after it.
    migration = AS_OF - dt.timedelta(days=200)
    zendesk, freshdesk = [], []
    for account in accounts:
        active_until = AS_OF
        tickets = rng.randrange(0, 9) if count <= len(CAST) else rng.randrange(0, 4)
        for _ in range(tickets):
            opened = dt.datetime.combine(account["start"], dt.time(8)) + dt.timedelta(
                minutes=rng.randrange(max(1, int((active_until - account["start"]).days * 1440))))
            priority = rng.choice([1, 2, 2, 2, 3, 3, 4])
            solved = opened + dt.timedelta(hours=rng.randrange(1, 240))
            status = 4 if solved.date() < AS_OF - dt.timedelta(days=10) else rng.choice([1, 2, 3])
            subject = rng.choice(SUBJECTS)
            person = rng.choice(["alex", "sam", "kim", "jo", "lee"]) + "@" + account["domain"]
            if opened.date() < migration:
                freshdesk.append((opened, account, subject, priority, solved, status, person))
            else:
                zendesk.append((opened, account, subject, priority, solved, status, person))
    zendesk.sort(key=lambda t: t[0])
    freshdesk.sort(key=lambda t: t[0])

    fd_status = {1: "Open", 2: "Pending", 3: "Waiting on Third Party", 4: "Closed"}
    fd_priority = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
    rows = []
    for number, (opened, account, subject, priority, solved, status, person) in enumerate(freshdesk, start=1):
        rows.append([number, subject, f"Hi team,\n{subject.lower()} for {account['name']}.\nThanks, {person.split('@')[0].title()}",
                     fd_status[status], fd_priority[priority], "Problem" if priority > 2 else "", dtstr(opened),
                     dtstr(solved) if status == 4 else "", "No Summary", person.split("@")[0].title(), "",
                     person, "", person, account["name"]])
    write_csv(os.path.join(out_dir, "freshdesk_tickets.csv"),
              ["Ticket ID", "Subject", "Description", "Status", "Priority", "Type", "Created time", "Resolved time", "Summary",
               "Full name", "Title", "Email", "Mobile phone", "Contact ID", "Company Name"], rows)

    with open(os.path.join(out_dir, "zendesk_organizations.xml"), "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<organizations type="array">\n')
        for account in accounts:
            out.write(f'  <organization>\n    <id type="integer">{account["org_id"]}</id>\n    <name>{escape(account["name"])}</name>\n'
                      f'    <domain-names>{account["domain"]}</domain-names>\n    <external-id>{account["key"]}</external-id>\n'
                      f'    <created-at type="datetime">{dtstr(dt.datetime.combine(account["start"], dt.time(9)), "rails")}</created-at>\n'
                      f'    <notes nil="true"></notes>\n  </organization>\n')
        out.write("</organizations>\n")

    with open(os.path.join(out_dir, "zendesk_tickets.xml"), "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<tickets type="array">\n')
        for number, (opened, account, subject, priority, solved, status, person) in enumerate(zendesk, start=1001):
            solved_xml = (f'<solved-at type="datetime">{dtstr(solved, "rails")}</solved-at>' if status >= 3
                          else '<solved-at type="datetime" nil="true"></solved-at>')
            tags = "billing" if "nvoice" in subject or "renewal" in subject else "product"
            if priority == 4:
                tags += " escalated"
            out.write(f'  <ticket>\n    <nice-id type="integer">{number}</nice-id>\n    <subject>{escape(subject)}</subject>\n'
                      f'    <description>{escape(subject)}.\n\nReported by {person}.</description>\n'
                      f'    <requester-id type="integer">{900000 + number}</requester-id>\n'
                      f'    <organization-id type="integer">{account["org_id"]}</organization-id>\n'
                      f'    <status-id type="integer">{status}</status-id>\n    <priority-id type="integer">{priority}</priority-id>\n'
                      f'    <via-id type="integer">{rng.choice([0, 4, 29])}</via-id>\n'
                      f'    <created-at type="datetime">{dtstr(opened, "rails")}</created-at>\n'
                      f'    <updated-at type="datetime">{dtstr(max(opened, solved), "rails")}</updated-at>\n'
                      f'    {solved_xml}\n    <current-tags>{tags}</current-tags>\n'
                      f'    <ticket-field-entries type="array">\n      <ticket-field-entry>\n'
                      f'        <ticket-field-id type="integer">360001</ticket-field-id>\n        <value>{account["key"]}</value>\n'
                      f'      </ticket-field-entry>\n    </ticket-field-entries>\n  </ticket>\n')
        out.write("</tickets>\n")

    # Usage: daily facts for the last `usage_days` days, per account.
    with open(os.path.join(out_dir, "usage_daily.csv"), "w", encoding="utf-8", newline="") as out:
        out.write("account,day,metric,value\n")
        for account in accounts:
            story = account["story"]
            if story == "trial_never_converted":
                continue
            base = account["seats"] * (0.35 if story in ("contracting", "churned", "churn_at_renewal") else 0.75)
            for offset in range(usage_days, 0, -1):
                day = AS_OF - dt.timedelta(days=offset - 1)
                if day < account["start"]:
                    continue
                if story == "churned" and offset < 40:
                    continue
                if story == "churn_at_renewal" and day >= account["end"]:
                    continue
                trend = 1.0 + (0.3 if story == "expanding" else (-0.3 if story == "contracting" else 0)) * (1 - offset / usage_days)
                weekday = day.weekday() < 5
                active = max(0, int(rng.gauss(base * trend * (1 if weekday else 0.2), 1 + base * 0.05)))
                out.write(f"{account['key']},{day.isoformat()},active_users,{active}\n")
                out.write(f"{account['key']},{day.isoformat()},logins,{active * rng.randrange(1, 4)}\n")
                if active and rng.random() < 0.6:
                    out.write(f"{account['key']},{day.isoformat()},feature:reports,{rng.randrange(1, 3 + active)}\n")

    # Surveys: NPS every quarter from a few respondents per account.
    rows = []
    for account in accounts:
        for quarter in range(4):
            day = AS_OF - dt.timedelta(days=30 + 91 * quarter + rng.randrange(20))
            if day < account["start"] or rng.random() < 0.3:
                continue
            good = account["story"] in ("steady", "expanding", "onboarding", "discounted")
            score = min(10, max(0, int(rng.gauss(8.5 if good else 5, 1.5))))
            person = rng.choice(["alex", "sam", "kim", "jo", "lee"]) + "@" + account["domain"]
            rows.append([account["key"], person, "nps", score, dtstr(dt.datetime.combine(day, dt.time(14, 30)), "rails"),
                         rng.choice(COMMENTS)])
    rows.sort(key=lambda r: (r[4], r[0]))
    write_csv(os.path.join(out_dir, "nps_responses.csv"), ["account", "respondent", "type", "score", "submitted_at", "comment"], rows)

    # Journey milestones, contacts and programs, from a generator of their own so that adding
    # them left every earlier file's bytes as they were.
    journey_rng = random.Random(seed + 1)
    milestones, contacts, programs = [], [], []
    for account in accounts:
        start, story, key = account["start"], account["story"], account["key"]
        age = (AS_OF - start).days
        if story in ("trial_never_converted", "incomplete"):
            continue
        # Configuration signed off by our delivery team, usually in the first ten days; Harbor's
        # never was (a delivery milestone of ours overdue), the onboarding account's took 12 days.
        if key != "harbor" and not (count > len(CAST) and journey_rng.random() < 0.08):
            configured = 12 if story == "onboarding" else journey_rng.randrange(3, 11)
            milestones.append([key, "configured", (start + dt.timedelta(days=configured)).isoformat()])
        if age > 90 and story != "contracting":
            milestones.append([key, "ebr1", (start + dt.timedelta(days=journey_rng.randrange(70, 89))).isoformat()])
        if age > 270 and story not in ("contracting", "churned"):
            milestones.append([key, "ebr2", (start + dt.timedelta(days=journey_rng.randrange(240, 268))).isoformat()])
        created = dt.datetime.combine(start, dt.time(9)).strftime("%Y-%m-%dT%H:%M:%SZ")
        sponsor_removed = ""
        if story == "contracting":
            sponsor_removed = dt.datetime.combine(AS_OF - dt.timedelta(days=20), dt.time(12)).strftime("%Y-%m-%dT%H:%M:%SZ")
        contacts.append([key, f"sponsor@{account['domain']}", "sponsor", created, sponsor_removed])
        contacts.append([key, f"champion@{account['domain']}", "champion", created, ""])
    if demo:
        # The demo's cohort program: twelve steady or growing accounts in the academy since May.
        members = [a["key"] for a in accounts if a["story"] in ("steady", "expanding") and a["start"] < dt.date(2026, 4, 1)]
        for key in sorted(journey_rng.sample(members, min(12, len(members)))):
            programs.append([key, "adoption-academy", "2026-Q2", "2026-05-01T00:00:00Z", ""])
    for key in ("bluebird", "quartz", "harbor", "maple-oak"):
        if any(account["key"] == key for account in accounts):
            graduated = "2026-10-31T00:00:00Z" if key == "maple-oak" else ""
            programs.append([key, "adoption-academy", "2026-Q3", "2026-08-01T00:00:00Z", graduated])
    # The API integration's calls, a second product area's usage export: accounts that embedded
    # the product in their own systems.
    with open(os.path.join(out_dir, "usage_integrations.csv"), "w", encoding="utf-8", newline="") as out:
        out.write("account,day,metric,value\n")
        for account in accounts:
            if account["story"] not in ("steady", "expanding", "discounted") or journey_rng.random() < 0.35:
                continue
            for offset in range(usage_days, 0, -1):
                day = AS_OF - dt.timedelta(days=offset - 1)
                if day >= account["start"] and day.weekday() < 5:
                    out.write(f"{account['key']},{day.isoformat()},feature:integrations,{journey_rng.randrange(20, 400)}\n")
    write_csv(os.path.join(out_dir, "milestones.csv"), ["account", "milestone", "at"], milestones)
    write_csv(os.path.join(out_dir, "contacts.csv"), ["account", "email", "role", "created_at", "removed_at"], contacts)
    write_csv(os.path.join(out_dir, "programs.csv"), ["account", "program", "cohort", "joined_at", "graduated_at"], programs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder to write the exports into")
    parser.add_argument("--accounts", type=int, default=len(CAST), help="number of accounts (default: the 16 of the samples)")
    parser.add_argument("--seed", type=int, default=20261115)
    parser.add_argument("--usage-days", type=int, default=90)
    parser.add_argument("--demo", action="store_true",
                        help="the demo portfolio: 300 accounts over two years, 400 days of usage, renewals that churned, a cohort program")
    args = parser.parse_args()
    if args.demo:
        generate(args.out, 300 if args.accounts == len(CAST) else args.accounts, args.seed, 400, demo=True)
    else:
        generate(args.out, args.accounts, args.seed, args.usage_days)


if __name__ == "__main__":
    main()
