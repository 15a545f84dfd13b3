#!/usr/bin/env python3
"""A stand-in for `score`, to show that any program honouring the record contract can take its
place (docs/SCORE.md, "Swapping score for your own program"). It reads segment's records on
standard input and writes them back with a `health` object of the same shape, from a model of
three measures: seat adoption, the latest NPS and past-due invoices.

    segment canonical.ndjson --as-of 2026-11-15 | python3 pipelines/score_example.py > scored.ndjson
"""
import json
import sys

COLORS = [(75, "green"), (50, "yellow"), (25, "orange"), (0, "red")]
RENEWAL = {"green": 0.95, "yellow": 0.85, "orange": 0.60, "red": 0.30}


def measures(account):
    """(name, group, weight, value, points, reason) for each measure with data."""
    found = []
    if isinstance(account.get("adoption"), (int, float)):
        value = account["adoption"]
        found.append(("adoption", "product", 2, value, min(100, max(0, (value - 0.2) / 0.6 * 100)),
                      f"{round(value * 100)}% of seats active"))
    nps = (account.get("surveys") or {}).get("nps")
    if nps and isinstance(nps.get("score"), (int, float)):
        value = nps["score"]
        found.append(("nps", "relationship", 1, value, 100 if value >= 9 else 60 if value >= 7 else 0, f"latest NPS {value}"))
    billing = account.get("billing")
    if billing is not None:
        value = billing.get("invoices_past_due", 0)
        found.append(("invoices_past_due", "commercial", 1, value, 100 if value == 0 else 30 if value == 1 else 0,
                      f"{value} invoice(s) past due"))
    return found


def health(account):
    found = measures(account)
    total = sum(weight for _, _, weight, _, _, _ in found)
    if not total:
        return {"score": None, "color": None, "profile": "python-example", "tier_weights": None, "coverage": 0,
                "renewal_probability": None, "reasons": [{"code": "no_data", "text": "no data"}], "measures": {}, "groups": {}}
    exact = [weight / total * points for _, _, weight, _, points, _ in found]
    score = round(sum(exact), 2)
    cents = [int(value * 100) for value in exact]
    for index in sorted(range(len(exact)), key=lambda i: -(exact[i] * 100 - cents[i]))[:round(score * 100) - sum(cents)]:
        cents[index] += 1
    color = next(name for floor, name in COLORS if score >= floor)
    drivers = sorted((m for m in found if m[4] < 60), key=lambda m: -(m[2] / total * (100 - m[4])))
    return {
        "score": score, "color": color, "profile": "python-example", "tier_weights": None,
        "coverage": round(total / 4, 4), "renewal_probability": RENEWAL[color],
        "reasons": [{"code": f"{name}_low", "measure": name, "text": text} for name, _, _, _, _, text in drivers[:3]],
        "measures": {name: {"group": group, "value": value, "weight": weight, "points": round(points, 2),
                            "share": round(weight / total, 4), "contribution": cent / 100}
                     for (name, group, weight, value, points, _), cent in zip(found, cents)},
        "groups": {},
    }


for line in sys.stdin:
    if not line.strip():
        continue
    record = json.loads(line)
    if record.get("kind") == "account":
        record["health"] = health(record)
    elif record.get("kind") == "portfolio":
        record["health"] = {"model": "python-example", "version": "1"}
    sys.stdout.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
