#!/usr/bin/env python3
"""Writes the inputs (stdin, args, journey.json, side files) of stage's golden cases 0001-0010.

Run it after changing a case here, then record: RECORD_GOLDENS=1 swift test --filter Golden,
and review the diff of each expected.* file (docs/STAGE.md says what each case pins).
"""
import json, os, sys, datetime as dt
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "CSPipeCLITests", "Cases", "stage")
AS_OF = dt.date(2026, 11, 15)
def d(days): return (AS_OF + dt.timedelta(days=days)).isoformat()
def t(days): return d(days) + "T10:00:00Z"
def acct(key, **kw):
    r = {"kind": "account", "account": key, "as_of": kw.pop("as_of", AS_OF.isoformat())}
    r.update({"tier": "tier3", "touch": "tech", "mrr": 100, "mrr_series": [{"month": "2026-10", "mrr": 100}], "movements": []})
    r.update(kw)
    return r
def write(name, records, args, journey=None, extra=None):
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "stdin"), "w") as out:
        for r in records: out.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n")
    with open(os.path.join(folder, "args"), "w") as out: out.write("\n".join(args) + "\n")
    if journey is not None:
        with open(os.path.join(folder, "journey.json"), "w") as out: json.dump(journey, out, indent=1)
    for fname, text in (extra or {}).items():
        with open(os.path.join(folder, fname), "w") as out: out.write(text)

BASE = ["--as-of", "2026-11-15"]
_plain_acct = acct
def journey(**kw):
    j = {"name": "case", "version": "1", "championActions": ["celebrate"], "cruiserActions": ["connect"], "milestones": [], "moments": []}
    j.update(kw); return j

# 1. Phase boundaries (default journey)
recs = [
  acct("churned", mrr=0, mrr_series=[{"month": "2026-09", "mrr": 50}, {"month": "2026-10", "mrr": 0}], movements=[{"month": "2026-10", "type": "churn", "amount": -50}]),
  acct("never-paid", mrr=0, mrr_series=[{"month": "2026-10", "mrr": 0}], contract_start=d(-30)),
  acct("onboarding-day-0", contract_start=d(0), renewal_at=d(365)),
  acct("onboarding-day-89", contract_start=d(-89), renewal_at=d(276)),
  acct("past-window-day-90", contract_start=d(-90), renewal_at=d(275)),
  acct("renewal-in-120-days", contract_start=d(-245), renewal_at=d(120)),
  acct("renewal-in-121-days", contract_start=d(-244), renewal_at=d(121)),
  acct("renewal-date-passed", contract_start=d(-400), renewal_at=d(-35)),
  acct("renewal-date-a-term-ahead", contract_start=d(-300), renewal_at=d(430)),
  acct("onboarding-all-met-early", contract_start=d(-60), renewal_at=d(305), target_value=10, milestones={"configured": t(-58), "ebr1": t(-20)},
       usage={"last_30_days": {"logins": 5, "feature:reports": 9}, "previous_30_days": {}, "first_seen": {"logins": d(-59), "feature:reports": d(-50)},
              "last_seen": {"logins": d(0)}, "monthly": {"feature:reports": [{"month": "2026-10", "value": 20}]}}),
  acct("no-contract-start"),
]
write("0001-phase-boundaries", recs, BASE)

# 2. Milestone states
j = journey(valueMetric="feature:reports", milestones=[
  {"name": "kickoff", "day": 5, "from": [{"record": "kickoff"}]},
  {"name": "login", "day": 5, "side": "customer", "from": [{"firstSeen": "logins"}]},
  {"name": "value", "day": 60, "from": [{"valueShare": 0.75}]},
  {"name": "review", "day": 90, "from": [{"record": "review"}, {"valueShare": 1.0}]},
  {"name": "survey", "day": 30, "from": [{"record": "survey_sent"}]},
], baselines=[{"name": "tier1 faster", "when": {"tier": ["tier1"]}, "days": {"kickoff": 2}}])
U = lambda **k: {"last_30_days": {}, "previous_30_days": {}, "first_seen": k.get("first", {}), "last_seen": {}, "monthly": k.get("monthly", {})}
recs = [
  acct("met-on-time", contract_start=d(-100), target_value=100, milestones={"kickoff": t(-97)},
       usage=U(first={"logins": d(-99)}, monthly={"feature:reports": [{"month": "2026-09", "value": 80}, {"month": "2026-10", "value": 104}]})),
  acct("met-late", contract_start=d(-100), target_value=100, milestones={"kickoff": t(-90), "review": t(-20)},
       usage=U(first={"logins": d(-80)}, monthly={"feature:reports": [{"month": "2026-10", "value": 104}]})),
  acct("due-today", contract_start=d(-5), target_value=100, usage=U()),
  acct("overdue-one-day", contract_start=d(-6), target_value=100, usage=U()),
  acct("tier1-baseline", tier="tier1", contract_start=d(-4), usage=U()),
  acct("started-before-usage-data", contract_start=d(-400), target_value=100, milestones={"kickoff": t(-398), "review": t(-300)},
       usage=U(first={"logins": d(-60)}, monthly={"feature:reports": [{"month": "2026-10", "value": 120}]})),
  acct("no-target-value", contract_start=d(-100), usage=U(first={"logins": d(-99)})),
  acct("running-month-not-counted", contract_start=d(-70), target_value=10, usage=U(first={"logins": d(-69)}, monthly={"feature:reports": [{"month": "2026-11", "value": 500}]})),
]
write("0002-milestone-states", recs, BASE + ["--journey", "journey.json", "--usage-from", "2026-01-01"], j)

# 3. Bands and playbooks
j = journey(valueMetric="feature:reports", peerSegment="industry",
  milestones=[{"name": "configured", "day": 10, "side": "ours", "from": [{"record": "configured"}]},
              {"name": "adopted", "day": 10, "side": "customer", "from": [{"record": "adopted"}]}],
  playbooks=[
    {"name": "rescue", "cause": "ours", "conditions": [
      {"name": "open severity-1 tickets", "input": {"path": "tickets.open_by_severity.1"}, "above": 0},
      {"name": "a milestone of ours overdue", "input": {"path": "stage.overdue_ours"}, "above": 0}], "actions": ["escalate"]},
    {"name": "farewell", "cause": "customer", "conditions": [
      {"name": "cancellation requested", "input": {"present": "cancellation_scheduled_at"}, "above": 0},
      {"name": "sponsor lost", "input": {"path": "users.sponsor_changes_90_days"}, "above": 0}], "actions": ["offboard"]},
    {"name": "recover", "cause": "shared", "conditions": [], "actions": ["success plan"]}])
def b(key, color, score, industry="Retail", tier="tier3", value=120, ms=None, **kw):
    return acct(key, tier=tier, contract_start=d(-200), target_value=100, segments={"industry": industry}, health={"score": score, "color": color},
                milestones=ms if ms is not None else {"configured": t(-195), "adopted": t(-194)},
                usage={"last_30_days": {"feature:reports": value}, "previous_30_days": {}}, **kw)
recs = [
  b("champion-retail", "green", 90),
  b("champion-retail-lower", "green", 80),
  b("champion-bank", "green", 85, industry="Banking", tier="tier2"),
  b("cruiser-value-short", "green", 88, value=60),
  b("cruiser-yellow-bank", "yellow", 60, industry="Banking"),
  b("cruiser-no-peer-segment", "yellow", 60, industry="Mining", tier="tier2"),
  b("cruiser-met-late", "green", 90, ms={"configured": t(-185), "adopted": t(-194)}),
  b("laggard-red-ticket", "red", 20, tickets={"open_by_severity": {"1": 2}}),
  b("laggard-orange-cancelling", "orange", 30, cancellation_scheduled_at=t(-3)),
  b("laggard-overdue-ours", "green", 90, ms={"adopted": t(-194)}),
  b("laggard-overdue-customer-sponsor", "yellow", 60, ms={"configured": t(-195)}, users={"sponsors": 0, "sponsor_changes_90_days": 1}),
  b("laggard-red-recover", "red", 10),
  b("unscored-cruiser", None, None),
]
for r in recs:
    if r["health"]["color"] is None: del r["health"]
write("0003-bands-and-playbooks", recs, BASE + ["--journey", "journey.json"], j)

# 4. Time-based moments
j = journey(horizonDays=30, maxMomentsPerAccount=20, milestones=[{"name": "ebr1", "day": 90, "onboarding": True, "from": [{"record": "ebr1"}]}],
  owners={"high": "csm", "hybrid": "pooled-team", "tech": "automated"}, channels={"high": "meeting", "hybrid": "call", "tech": "email"},
  phases={"onboardingDays": 90, "renewalWindowDays": 120, "termMonths": 12},
  moments=[
    {"type": "business_review", "kind": "time-based", "everyMonths": {"high": 3, "hybrid": 6}, "objective": "QBR", "expiryDays": 30},
    {"type": "metrics_review", "kind": "time-based", "everyMonths": {"high": 1, "hybrid": 1, "tech": 1}, "objective": "metrics", "expiryDays": 7},
    {"type": "annual_review", "kind": "time-based", "everyMonths": {"high": 12, "hybrid": 12, "tech": 12}, "objective": "annual", "expiryDays": 30},
    {"type": "renewal", "kind": "time-based", "daysBeforeRenewal": [120, 90, 60], "objective": "renewal prep", "expiryDays": 29},
    {"type": "onboarding_checkin", "kind": "time-based", "daysAfterStart": [7, 30, 60], "objective": "check-in", "expiryDays": 14}])
recs = [
  acct("high-touch-qbr-due", touch="high", owner="ana@cs.example", contract_start=d(-92), renewal_at=d(273), milestones={"ebr1": t(-3)}),
  acct("hybrid-every-6-months", touch="hybrid", owner="ben@cs.example", contract_start=d(-180), renewal_at=d(185)),
  acct("tech-no-business-review", touch="tech", contract_start=d(-182), renewal_at=d(183)),
  acct("renewal-minus-90-and-60", touch="high", owner="ana@cs.example", contract_start=d(-290), renewal_at=d(75)),
  acct("renewal-minus-120-expired-window", touch="tech", contract_start=d(-235), renewal_at=d(130)),
  acct("onboarding-checkins", touch="tech", contract_start=d(-20), renewal_at=d(345)),
  acct("churned-no-qbr", touch="high", mrr=0, contract_start=d(-92), renewal_at=d(273), movements=[{"month": "2026-10", "type": "churn", "amount": -100}]),
  acct("annual-review-anniversary", touch="tech", contract_start=d(-360), renewal_at=d(370)),
]
write("0004-time-based-moments", recs, BASE + ["--journey", "journey.json"], j)

# 5. Event-based moments
j = journey(horizonDays=30, maxMomentsPerAccount=20,
  milestones=[{"name": "configured", "day": 10, "from": [{"record": "configured"}]}],
  moments=[
    {"type": "high_severity_ticket", "kind": "event-based", "at": "tickets.last_high_severity_at", "withinDays": 14, "objective": "call", "expiryDays": 14},
    {"type": "poor_survey", "kind": "event-based", "at": "surveys.nps.at", "withinDays": 30, "when": {"input": {"path": "surveys.nps.score"}, "atMost": 6}, "reason": "detractor", "objective": "close the loop", "expiryDays": 30},
    {"type": "mediocre_survey", "kind": "event-based", "at": "surveys.nps.at", "withinDays": 30, "when": {"input": {"path": "surveys.nps.score"}, "atLeast": 7, "atMost": 8}, "reason": "passive", "objective": "ask", "expiryDays": 30},
    {"type": "usage_drop", "kind": "event-based", "when": {"name": "logins change", "input": {"change": {"current": "usage.last_30_days.logins", "previous": "usage.previous_30_days.logins"}}, "atMost": -0.3}, "capDays": 30, "objective": "re-engage", "expiryDays": 30},
    {"type": "long_silence", "kind": "event-based", "silenceDays": 45, "silenceOf": ["usage.last_seen.logins", "tickets.last_at"], "objective": "reach out", "expiryDays": 30},
    {"type": "sponsor_change", "kind": "event-based", "at": "users.last_sponsor_change_at", "withinDays": 30, "objective": "meet the new sponsor", "expiryDays": 30},
    {"type": "payment_failure", "kind": "event-based", "at": "billing.last_failed_payment_at", "withinDays": 30, "objective": "fix payment", "expiryDays": 30},
    {"type": "payment_overdue", "kind": "event-based", "when": {"input": {"path": "billing.invoices_past_due"}, "above": 0}, "capDays": 30, "objective": "chase", "expiryDays": 30},
    {"type": "cancellation_requested", "kind": "event-based", "at": "cancellation_scheduled_at", "withinDays": 60, "objective": "save call", "expiryDays": 60},
    {"type": "milestone_overdue", "kind": "event-based", "milestoneOverdue": True, "objective": "unblock", "expiryDays": 30}])
M = {"configured": t(-200)}
def acct(key, _acct=acct, **kw):
    # Active accounts: logins today, so that only the silent one is silent.
    kw.setdefault("usage", {"last_30_days": {"logins": 50}, "previous_30_days": {"logins": 50}, "last_seen": {"logins": d(0)}})
    return _acct(key, **kw)
recs = [
  acct("high-severity-ticket", contract_start=d(-210), milestones=M, tickets={"last_high_severity_at": t(-3), "last_at": t(-3)}),
  acct("high-severity-ticket-too-old", contract_start=d(-210), milestones=M, tickets={"last_high_severity_at": t(-15), "last_at": t(-15)}),
  acct("detractor", contract_start=d(-210), milestones=M, surveys={"nps": {"score": 3, "at": t(-10)}}),
  acct("passive", contract_start=d(-210), milestones=M, surveys={"nps": {"score": 8, "at": t(-10)}}),
  acct("promoter-no-moment", contract_start=d(-210), milestones=M, surveys={"nps": {"score": 10, "at": t(-10)}}),
  acct("usage-drop", contract_start=d(-210), milestones=M, usage={"last_30_days": {"logins": 60}, "previous_30_days": {"logins": 100}, "last_seen": {"logins": d(0)}}),
  acct("usage-dip-under-threshold", contract_start=d(-210), milestones=M, usage={"last_30_days": {"logins": 80}, "previous_30_days": {"logins": 100}, "last_seen": {"logins": d(0)}}),
  acct("long-silence", contract_start=d(-210), milestones=M, usage={"last_30_days": {}, "previous_30_days": {}, "last_seen": {"logins": d(-50)}}, tickets={"last_at": t(-60)}),
  acct("sponsor-change", contract_start=d(-210), milestones=M, users={"sponsors": 0, "sponsor_changes_90_days": 1, "last_sponsor_change_at": t(-5)}),
  acct("payment-failure", contract_start=d(-210), milestones=M, billing={"invoices_past_due": 0, "failed_payments_90_days": 1, "last_failed_payment_at": t(-2)}),
  acct("payment-overdue", contract_start=d(-210), milestones=M, billing={"invoices_past_due": 1, "failed_payments_90_days": 0}),
  acct("cancellation-requested", contract_start=d(-210), milestones=M, cancellation_scheduled_at=t(-25)),
  acct("milestone-overdue", contract_start=d(-30)),
  acct("churned-gets-none", mrr=0, contract_start=d(-210), movements=[{"month": "2026-10", "type": "churn", "amount": -100}], tickets={"last_high_severity_at": t(-3)}),
]
write("0005-event-based-moments", recs, BASE + ["--journey", "journey.json"], j)
acct = _plain_acct

# 6. Caps and snoozes
j = journey(horizonDays=30, maxMomentsPerAccount=2,
  moments=[
    {"type": "payment_overdue", "kind": "event-based", "when": {"input": {"path": "billing.invoices_past_due"}, "above": 0}, "capDays": 30, "snoozeDays": 10, "objective": "chase", "expiryDays": 30},
    {"type": "sponsor_change", "kind": "event-based", "at": "users.last_sponsor_change_at", "withinDays": 30, "objective": "meet", "expiryDays": 30},
    {"type": "detractor", "kind": "event-based", "at": "surveys.nps.at", "withinDays": 30, "objective": "call", "expiryDays": 30}])
busy = dict(billing={"invoices_past_due": 1}, users={"last_sponsor_change_at": t(-4)}, surveys={"nps": {"score": 2, "at": t(-6)}})
recs = [
  acct("capped-to-two", contract_start=d(-300), **busy),
  acct("snoozed-by-key", contract_start=d(-300), billing={"invoices_past_due": 1}),
  acct("snoozed-by-type", contract_start=d(-300), billing={"invoices_past_due": 1}),
  acct("snooze-ended", contract_start=d(-300), billing={"invoices_past_due": 1}),
  acct("snooze-made-after-as-of", contract_start=d(-300), billing={"invoices_past_due": 1}),
]
snoozes = "\n".join(json.dumps(x) for x in [
  {"key": "snoozed-by-key|payment_overdue|payment_overdue|2026-11-03", "until": d(5)},
  {"account": "snoozed-by-type", "type": "payment_overdue", "at": d(-2)},
  {"account": "snooze-ended", "type": "payment_overdue", "at": d(-20)},
  {"account": "snooze-made-after-as-of", "type": "payment_overdue", "at": d(1)},
]) + "\n"
write("0006-caps-and-snoozes", recs, BASE + ["--journey", "journey.json", "--snoozes", "snoozes.ndjson"], j, {"snoozes.ndjson": snoozes})

# 7. Cohorts
j = journey(milestones=[{"name": "configured", "day": 10, "from": [{"record": "configured"}]}],
  stages=[{"name": "active", "behaviours": [{"name": "logging in", "input": {"path": "usage.last_30_days.logins"}, "above": 0}]},
          {"name": "adopted", "behaviours": [{"name": "half the seats active", "input": {"path": "adoption"}, "atLeast": 0.5}]}],
  cohorts={"minimum": 8, "maximum": 15})
recs = []
for i in range(17):
    recs.append(acct(f"grow-{i:02d}", contract_start=d(-200), milestones={"configured": t(-195)}, adoption=0.2, usage={"last_30_days": {"logins": 5}, "previous_30_days": {}},
                     programs=[{"name": "academy", "cohort": "Q3", "joined_at": t(-30)}] if i % 4 == 0 else []))
for i in range(3):
    recs.append(acct(f"late-{i}", contract_start=d(-200), usage={"last_30_days": {"logins": 5}, "previous_30_days": {}}, adoption=0.9))
recs.append(acct("graduated", contract_start=d(-200), milestones={"configured": t(-195)}, adoption=0.9, usage={"last_30_days": {"logins": 5}, "previous_30_days": {}},
                 programs=[{"name": "academy", "cohort": "Q1", "joined_at": t(-150), "graduated_at": t(-60)}, {"name": "later", "joined_at": t(5)}]))
write("0007-cohorts", recs, BASE + ["--journey", "journey.json", "--cohorts", "cohorts.ndjson"], j)

# 8. Journey errors
bad = journey(milestones=[{"name": "x", "day": 5, "from": [{"record": "x"}], "onbording": True}])
write("0008-journey-typo-names-file-and-key", [acct("a")], BASE + ["--journey", "journey.json"], bad)

# 9. Rejects
recs = [acct("kept"), {"kind": "usage", "account": "x"}, acct("no-as-of", as_of="yesterday"), acct("kept", mrr=200), acct("later", as_of="2026-12-01"),
        {"kind": "portfolio", "as_of": "2026-11-15", "accounts": 1}]
write("0009-rejects-and-duplicates", recs, BASE + ["--rejects", "rejects.ndjson"])

# 10. Effectiveness with history
j = journey(phases={"onboardingDays": 30},
  stages=[{"name": "active", "behaviours": [{"name": "logging in", "input": {"path": "usage.last_30_days.logins"}, "above": 0}]},
          {"name": "adopted", "behaviours": [{"name": "half the seats active", "input": {"path": "adoption"}, "atLeast": 0.5}]},
          {"name": "integrated", "behaviours": [{"name": "an integration", "input": {"path": "usage.last_30_days.feature:api"}, "above": 0},
                                                 {"name": "two features", "input": {"count": {"path": "usage.last_30_days", "prefix": "feature:"}}, "atLeast": 2}]}])
recs = [acct("improved", contract_start=d(-120), adoption=0.8, usage={"last_30_days": {"logins": 9, "feature:api": 3}, "previous_30_days": {}}),
        acct("no-snapshot-after-onboarding", contract_start=d(-20), adoption=0.1, usage={"last_30_days": {"logins": 2}, "previous_30_days": {}})]
snap = lambda day, key, idx, name: json.dumps({"kind": "account", "account": key, "as_of": day, "stage": {"effectiveness": {"stage": name, "index": idx}}})
hist = {"history/2026-07-31.ndjson": snap("2026-07-31", "improved", 1, "active") + "\n",
        "history/2026-08-31.ndjson": snap("2026-08-31", "improved", 1, "active") + "\n",
        "history/2026-09-30.ndjson": snap("2026-09-30", "improved", 2, "adopted") + "\n"}
os.makedirs(os.path.join(ROOT, "0010-effectiveness-baseline-from-history/history"), exist_ok=True)
write("0010-effectiveness-baseline-from-history", recs, BASE + ["--journey", "journey.json", "--history", "history"], j, hist)

# 11. Usage data too short to hold a complete month: value milestones of older accounts are unknown
j = journey(valueMetric="feature:reports", milestones=[{"name": "value", "day": 60, "from": [{"valueShare": 0.75}]}])
recs = [
  acct("older-than-the-data", contract_start=d(-300), target_value=10,
       usage={"last_30_days": {"feature:reports": 50}, "previous_30_days": {}, "first_seen": {"feature:reports": d(-13)}, "monthly": {"feature:reports": [{"month": "2026-11", "value": 50}]}}),
  acct("newer-than-the-data", contract_start=d(-5), target_value=10,
       usage={"last_30_days": {}, "previous_30_days": {}, "first_seen": {}, "monthly": {}}),
]
write("0011-usage-data-without-a-complete-month", recs, BASE + ["--journey", "journey.json", "--usage-from", "2026-11-02"], j)
