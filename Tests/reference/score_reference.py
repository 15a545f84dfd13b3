#!/usr/bin/env python3
"""An independent computation of score's health arithmetic (docs/SCORE.md), from the model file
and the account records, in Python: a different language and a different algorithm (a recursive
tree of fractions, not cspipe's walk), so that a shared mistake is unlikely.

    score_reference.py MODEL.json ACCOUNTS.ndjson AS_OF  →  {account: {score, color, profile, coverage, points}}
"""
import datetime as dt
import fnmatch
import json
import sys

model = json.load(open(sys.argv[1]))
as_of = dt.date.fromisoformat(sys.argv[3])
cutoff = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.timezone.utc)


def values_at(record, path):
    current = [record]
    for segment in path.split("."):
        nxt = []
        for value in current:
            if not isinstance(value, dict):
                continue
            if "*" in segment:
                nxt.extend(v for k, v in value.items() if fnmatch.fnmatchcase(k, segment))
            elif segment in value:
                nxt.append(value[segment])
        current = nxt
    return current


def number(value):
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    return None


def first_number(record, path):
    found = values_at(record, path)
    return number(found[0]) if found else None


def instant(text):
    if not isinstance(text, str):
        return None
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.timezone.utc)
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def latest(record, paths):
    found = [instant(v) for p in paths for v in values_at(record, p)]
    found = [t for t in found if t is not None and t < cutoff]
    return max(found) if found else None


def age_days(moment):
    return max(0, (as_of - moment.date()).days)


def input_value(spec, record):
    (kind, arg), = spec.items()
    if kind == "path":
        return first_number(record, arg)
    if kind == "present":
        found = values_at(record, arg)
        return 0.0 if not found or found[0] is None else 1.0
    if kind == "change":
        cur, prev = first_number(record, arg["current"]), first_number(record, arg["previous"])
        if cur is None and prev is None:
            return None
        cur, prev = cur or 0.0, prev or 0.0
        if prev <= 0:
            return 1.0 if cur > 0 else 0.0
        return (cur - prev) / prev
    if kind == "count":
        found = values_at(record, arg["path"])
        if not found or not isinstance(found[0], dict):
            return None
        return float(sum(1 for k, v in found[0].items() if k.startswith(arg.get("prefix", "")) and (number(v) or 0) > 0))
    if kind == "sum":
        return sum(number(v) or 0.0 for p in arg for v in values_at(record, p))
    if kind == "share":
        num = sum(number(v) or 0.0 for v in values_at(record, arg["numerator"]))
        den = sum(number(v) or 0.0 for p in arg["denominator"] for v in values_at(record, p))
        return num / den if den > 0 else None
    if kind == "ratio":
        num, den = first_number(record, arg["numerator"]), first_number(record, arg["denominator"])
        return num / den if num is not None and den else None
    if kind == "daysSince":
        moment = latest(record, arg)
        return float(age_days(moment)) if moment else None
    if kind == "movements":
        if not isinstance(record.get("movements"), list):
            return None
        months = arg.get("months", 3)
        index = as_of.year * 12 + as_of.month - 1 - (months - 1)
        first = f"{index // 12}-{index % 12 + 1:02d}"
        last = as_of.isoformat()[:7]
        return float(sum(1 for m in record.get("movements", []) if isinstance(m, dict) and m.get("type") == arg["type"]
                         and first <= str(m.get("month")) <= last))
    raise ValueError(kind)


def points(scale, value):
    if "linear" in scale:
        poor, healthy = scale["linear"]["poor"], scale["linear"]["healthy"]
        return min(100.0, max(0.0, (value - poor) / (healthy - poor) * 100))
    steps = scale["thresholds"]
    result = steps[0]["points"]
    for step in steps:
        if value >= step["from"]:
            result = step["points"]
    return float(result)


def profile_of(record):
    for profile in model["profiles"]:
        rule = profile.get("when") or {}
        mrr = number(record.get("mrr")) or 0.0
        ok = True
        if "mrr" in rule:
            ok &= (mrr == 0) == (rule["mrr"] == "zero")
        if "hadMrr" in rule:
            had = any((number(e.get("mrr")) or 0) > 0 for e in record.get("mrr_series", []) if isinstance(e, dict))
            ok &= had == rule["hadMrr"]
        if "contractWithinDays" in rule:
            start = instant(record.get("contract_start"))
            ok &= start is not None and start < cutoff and age_days(start) < rule["contractWithinDays"]
        if "tier" in rule:
            ok &= record.get("tier") in rule["tier"]
        if "touch" in rule:
            ok &= record.get("touch") in rule["touch"]
        if "has" in rule:
            found = values_at(record, rule["has"])
            ok &= bool(found) and found[0] is not None
        if ok:
            return profile
    raise AssertionError("the last profile applies to all")


def assess(record):
    profile = profile_of(record)
    weights = dict(profile.get("weights", {}))
    weights.update(model.get("tiers", {}).get(record.get("tier"), {}))
    weight = lambda node: weights.get(node["name"], node["weight"])
    pts = {}
    for measure in model["measures"]:
        if weight(measure) == 0:
            continue
        if measure.get("datedBy"):
            moment = latest(record, measure["datedBy"])
            if moment is None:
                continue
            if "staleDays" in measure and age_days(moment) > measure["staleDays"]:
                continue
        value = input_value(measure["input"], record)
        if value is not None:
            pts[measure["name"]] = points(measure["points"], value)

    # A node: (weight, score or None, nominal weight with data, used at all).
    def node(group):
        children = [(weight(m), pts.get(m["name"]), 1.0 if m["name"] in pts else 0.0, True)
                    for m in model["measures"] if m["group"] == group and weight(m) > 0]
        children += [(weight(g),) + node(g["name"]) for g in model["groups"] if g.get("parent") == group and weight(g) > 0]
        children = [c for c in children if c[3]]
        if not children:
            return (None, 0.0, False)
        nominal = sum(c[0] for c in children)
        scored = [c for c in children if c[1] is not None]
        total = sum(c[0] for c in scored)
        score = sum(c[0] * c[1] for c in scored) / total if total else None
        return (score, sum(c[0] * c[2] for c in children) / nominal, True)

    top = [(weight(g),) + node(g["name"]) for g in model["groups"] if g.get("parent") is None and weight(g) > 0]
    top = [t for t in top if t[3]]
    nominal = sum(t[0] for t in top)
    scored = [t for t in top if t[1] is not None]
    total = sum(t[0] for t in scored)
    score = round(sum(t[0] * t[1] for t in scored) / total, 2) if total else None
    color = None
    if score is not None:
        colors = model["colors"]
        color = "green" if score >= colors["green"] else "yellow" if score >= colors["yellow"] else \
            "orange" if score >= colors["orange"] else "red"
    return {"score": score, "color": color, "profile": profile["name"],
            "coverage": sum(t[0] * t[2] for t in top) / nominal if nominal else 0.0, "points": pts}


result = {}
for line in open(sys.argv[2]):
    record = json.loads(line)
    if record.get("kind") == "account":
        result[record["account"]] = assess(record)
json.dump(result, sys.stdout, indent=1, sort_keys=True)
