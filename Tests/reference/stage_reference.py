#!/usr/bin/env python3
"""An independent reading of docs/STAGE.md: phase, milestone states, time to value, band,
playbook and the portfolio's baseline check, computed from score's output and a journey file
without any of stage's code. The Swift test compares stage's output with this.

    stage_reference.py JOURNEY SCORED.ndjson AS_OF   → JSON {"accounts": {...}, "baseline_check": [...]}

Playbook and behaviour inputs: only path, sum and present (what the default journey uses).
"""
import datetime as dt
import json
import math
import sys


def day(text):
    if not text:
        return None
    return (dt.date.fromisoformat(text[:10]) - dt.date(1970, 1, 1)).days


def month_span(label):
    year, month = int(label[:4]), int(label[5:7])
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return day(first.isoformat()), (nxt - first).days


def get(record, path):
    value = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def number(value):
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return float(value) if isinstance(value, (int, float)) else None


def read_input(record, spec):
    if "path" in spec:
        return number(get(record, spec["path"]))
    if "sum" in spec:
        return sum(number(get(record, p)) or 0 for p in spec["sum"])
    if "present" in spec:
        return 0.0 if get(record, spec["present"]) is None else 1.0
    raise SystemExit(f"reference: input {spec} not supported")


def holds(condition, value):
    if value is None:
        return False
    checks = [("above", lambda b: value > b), ("atLeast", lambda b: value >= b), ("below", lambda b: value < b), ("atMost", lambda b: value <= b)]
    return all(test(condition[key]) for key, test in checks if key in condition)


def main():
    journey = json.load(open(sys.argv[1]))
    records = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
    as_of = day(sys.argv[3])
    accounts = [r for r in records if r["kind"] == "account"]
    usage_from = min((day(v) for r in accounts for v in (r.get("usage", {}).get("first_seen") or {}).values()), default=None)
    names = {n for r in accounts for n in (r.get("milestones") or {})}
    metrics = {m for r in accounts for m in (r.get("usage", {}).get("first_seen") or {})}
    phases = journey.get("phases", {})
    onboarding_days = phases.get("onboardingDays", 90)
    window = phases.get("renewalWindowDays", 120)
    result, check = {}, {m["name"]: [] for m in journey["milestones"]}
    for r in accounts:
        start = day(r.get("contract_start"))
        states = []
        for m in journey["milestones"]:
            base = m["day"]
            for b in journey.get("baselines", []):
                w = b.get("when", {})
                if (not w.get("tier") or r.get("tier") in w["tier"]) and (not w.get("touch") or r.get("touch") in w["touch"]) and m["name"] in b["days"]:
                    base = b["days"][m["name"]]
                    break
            if start is None:
                continue
            due = start + base
            days, by, unmet, unknown = [], [], False, False
            for source in m["from"]:
                if "record" in source:
                    if source["record"] not in names:
                        unknown = True
                        continue
                    d = day((r.get("milestones") or {}).get(source["record"]))
                    if d is None or d > as_of:
                        unmet = True
                    else:
                        days.append(d)
                elif "firstSeen" in source:
                    if source["firstSeen"] not in metrics:
                        unknown = True
                        continue
                    d = day((r.get("usage", {}).get("first_seen") or {}).get(source["firstSeen"]))
                    if d is None or d > as_of:
                        unmet = True
                    elif usage_from is not None and start < usage_from:
                        by.append(d)
                    else:
                        days.append(d)
                else:
                    target = number(r.get("target_value"))
                    monthly = (r.get("usage", {}).get("monthly") or {})
                    if not target or target <= 0 or not r.get("usage", {}).get("monthly"):
                        unknown = True
                        continue
                    older = usage_from is not None and start < usage_from
                    if older:
                        covered = dt.date(1970, 1, 1) + dt.timedelta(days=usage_from)
                        if covered.day != 1:
                            covered = dt.date(covered.year + (covered.month == 12), covered.month % 12 + 1, 1)
                        first, length = month_span(covered.isoformat()[:7])
                        if first + length - 1 > as_of:
                            unknown = True
                            continue
                    found = None
                    for entry in monthly.get(journey["valueMetric"], []):
                        first, length = month_span(entry["month"])
                        last = first + length - 1
                        if older and first < usage_from:
                            continue
                        if start <= last <= as_of and entry["value"] * 30 / length >= source["valueShare"] * target:
                            found = last
                            break
                    if found is None:
                        unmet = True
                    elif usage_from is not None and start < usage_from:
                        by.append(found)
                    else:
                        days.append(found)
            if not unmet and not unknown:
                if by and (not days or max(days) <= max(by)):
                    states.append((m, "met", None, 0, due))
                else:
                    states.append((m, "met", max(days), max(0, max(days) - due), due))
            elif unknown and not unmet:
                states.append((m, "unknown", None, 0, due))
            elif as_of <= due:
                states.append((m, "due", None, 0, due))
            else:
                states.append((m, "overdue", None, as_of - due, due))
        mrr = number(r.get("mrr")) or 0
        had = any((number(e.get("mrr")) or 0) > 0 for e in r.get("mrr_series", [])) or any(e["type"] != "fx" for e in r.get("movements", []))
        renewal = day(r.get("renewal_at"))
        if renewal is not None:
            date = dt.date.fromisoformat(r["renewal_at"][:10])
            term = phases.get("termMonths", 12)

            def shifted(k):
                idx = date.year * 12 + date.month - 1 + k * term
                y, mo = idx // 12, idx % 12 + 1
                last = (dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1)).day
                return day(dt.date(y, mo, min(date.day, last)).isoformat())
            k = 0
            while renewal < as_of:
                k += 1
                renewal = shifted(k)
            while start is not None and shifted(k - 1) >= as_of and shifted(k - 1) > start:
                k -= 1
                renewal = shifted(k)
        onboarding = [s for s in states if s[0].get("onboarding")]
        if mrr <= 0:
            phase = "churned" if had else "never-paid"
        elif start is not None and 0 <= as_of - start < onboarding_days and (not onboarding or any(s[1] != "met" for s in onboarding)):
            phase = "onboarding"
        elif renewal is not None and renewal - as_of <= window:
            phase = "renewal"
        else:
            phase = "ongoing"
        band = playbook = None
        if phase not in ("churned", "never-paid"):
            color = (r.get("health") or {}).get("color")
            overdue = [s for s in states if s[1] == "overdue"]
            if overdue or color in journey.get("laggard", {}).get("colors", ["red", "orange"]):
                band = "laggard"
                augmented = dict(r, stage={"overdue": len(overdue), "overdue_ours": sum(1 for s in overdue if s[0].get("side") == "ours")})
                for p in journey["playbooks"]:
                    if not p["conditions"] or any(holds(c, read_input(augmented, c["input"])) for c in p["conditions"]):
                        playbook = p["name"]
                        break
            else:
                target = number(r.get("target_value"))
                ratio = None
                if journey.get("valueMetric") and target and target > 0:
                    ratio = (number(get(r, "usage.last_30_days." + journey["valueMetric"])) or 0) / target
                late = any(s[1] == "met" and s[3] > 0 for s in states)
                champion = journey.get("champion", {})
                if not late and ratio is not None and ratio >= champion.get("valueAtLeast", 1) and color in champion.get("colors", ["green"]):
                    band, playbook = "champion", "celebrate"
                else:
                    band, playbook = "cruiser", "connect-and-expand"
        first_value = next((s for s in states if s[0].get("firstValue")), None)
        ttv = first_value[2] - start if first_value and first_value[2] is not None else None
        result[r["account"]] = {"phase": phase, "band": band, "playbook": playbook, "time_to_value_days": ttv,
                                "milestones": {s[0]["name"]: [s[1], s[3]] for s in states}}
        for s in states:
            if s[1] == "met" and s[2] is not None:
                check[s[0]["name"]].append(s[2] - start)

    def rank(values, share):
        values = sorted(values)
        return values[max(0, min(len(values) - 1, math.ceil(share * len(values)) - 1))] if values else None

    baseline = [{"milestone": name, "median_day": rank(days, 0.5), "p90_day": rank(days, 0.9), "met_with_day": len(days)} for name, days in check.items()]
    json.dump({"accounts": result, "baseline_check": baseline}, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
