#!/usr/bin/env python3
"""Compiles a score model (pipelines/model.json, docs/SCORE.md) into a jq program that computes
the same health score per account record: the benchmark's jq peer for `score` (`make bench`),
and a third computation of the arithmetic besides score and Tests/reference/score_reference.py.

    scripts/model_to_jq.py MODEL.json AS_OF > score.jq
    jq -c -f score.jq accounts.ndjson        →  {"account": …, "score": …, "profile": …} per account

Only the score is computed (not reasons or coverage), which is the work a jq user would do.
"""
import datetime as dt
import json
import re
import sys

model = json.load(open(sys.argv[1]))
as_of = dt.date.fromisoformat(sys.argv[2])
cutoff = int(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.timezone.utc).timestamp())

PRELUDE = r"""
def num: if type == "number" then . elif type == "boolean" then (if . then 1 else 0 end) else null end;
def vals($segs):
  if ($segs | length) == 0 then .
  elif type != "object" then empty
  else $segs[0] as $s
    | (if $s.re then (to_entries[] | select(.key | test($s.re)) | .value)
       elif has($s.k) then .[$s.k] else empty end)
    | vals($segs[1:])
  end;
def firstnum($segs): [vals($segs)] | if length > 0 then (.[0] | num) else null end;
def total($segs): [vals($segs) | num // 0] | add // 0;
def epoch: if type == "string" then ((if length == 10 then . + "T00:00:00Z" else . end) | try fromdateiso8601 catch null) else null end;
def latest($paths): [$paths[] as $p | vals($p) | epoch | select(. != null and . < CUTOFF)] | max;
def days($t): (((CUTOFF - 1) / 86400) | floor) - (($t / 86400) | floor) | if . < 0 then 0 else . end;
""".replace("CUTOFF", str(cutoff))


def segments(path):
    out = []
    for part in path.split("."):
        if "*" in part:
            out.append({"re": "^" + ".*".join(re.escape(p) for p in part.split("*")) + "$"})
        else:
            out.append({"k": part})
    return json.dumps(out)


def value(spec):
    (kind, arg), = spec.items()
    if kind == "path":
        return f"firstnum({segments(arg)})"
    if kind == "present":
        return f"([vals({segments(arg)})] | if length == 0 or .[0] == null then 0 else 1 end)"
    if kind == "change":
        return (f"(firstnum({segments(arg['current'])})) as $c | (firstnum({segments(arg['previous'])})) as $p"
                " | if $c == null and $p == null then null else ($c // 0) as $c | ($p // 0) as $p"
                " | if $p <= 0 then (if $c > 0 then 1 else 0 end) else ($c - $p) / $p end end")
    if kind == "count":
        prefix = json.dumps(arg.get("prefix", ""))
        return (f"([vals({segments(arg['path'])})] | if length == 0 or (.[0] | type) != \"object\" then null"
                f" else (.[0] | to_entries | map(select((.key | startswith({prefix})) and ((.value | num) // 0) > 0)) | length) end)")
    if kind == "sum":
        return "(" + " + ".join(f"total({segments(p)})" for p in arg) + ")"
    if kind == "share":
        den = " + ".join(f"total({segments(p)})" for p in arg["denominator"])
        return f"(({den}) as $d | if $d > 0 then total({segments(arg['numerator'])}) / $d else null end)"
    if kind == "ratio":
        return (f"(firstnum({segments(arg['numerator'])})) as $n | (firstnum({segments(arg['denominator'])})) as $d"
                " | if $n == null or $d == null or $d == 0 then null else $n / $d end")
    if kind == "daysSince":
        paths = "[" + ", ".join(segments(p) for p in arg) + "]"
        return f"(latest({paths}) as $t | if $t == null then null else days($t) end)"
    if kind == "movements":
        months = arg.get("months", 3)
        index = as_of.year * 12 + as_of.month - 1 - (months - 1)
        first, last = f"{index // 12}-{index % 12 + 1:02d}", as_of.isoformat()[:7]
        return (f"(if (.movements | type) != \"array\" then null else [.movements[] | select(type == \"object\""
                f" and .type == {json.dumps(arg['type'])} and ((.month | tostring) >= \"{first}\") and ((.month | tostring) <= \"{last}\"))]"
                " | length end)")
    raise ValueError(kind)


def points(scale):
    if "linear" in scale:
        poor, healthy = scale["linear"]["poor"], scale["linear"]["healthy"]
        return f"((($v - ({poor})) / (({healthy}) - ({poor})) * 100) | if . > 100 then 100 elif . < 0 then 0 else . end)"
    steps = json.dumps(scale["thresholds"])
    return f"(reduce ({steps})[] as $s ({steps}[0].points; if $v >= $s.from then $s.points else . end))"


def measure(m):
    body = f"({value(m['input'])}) as $v | if $v == null then null else {points(m['points'])} end"
    if m.get("datedBy"):
        dated = "[" + ", ".join(segments(p) for p in m["datedBy"]) + "]"
        stale = f"days($d) > {m['staleDays']}" if "staleDays" in m else "false"
        body = f"latest({dated}) as $d | if $d == null then null elif {stale} then null else ({body}) end"
    return f"({body})"


def weight(node):
    return f"($w[{json.dumps(node['name'])}] // {node['weight']})"


def group(name):
    children = [f"[{weight(m)}, $pts[{json.dumps(m['name'])}]]" for m in model["measures"] if m["group"] == name]
    children += [f"[{weight(g)}, {group(g['name'])}]" for g in model["groups"] if g.get("parent") == name]
    return ("([" + ", ".join(children) + "] | map(select(.[0] > 0 and .[1] != null))"
            " | if length == 0 then null else (map(.[0] * .[1]) | add) / (map(.[0]) | add) end)")


def condition(rule):
    parts = []
    if "mrr" in rule:
        parts.append("((.mrr | num) // 0) == 0" if rule["mrr"] == "zero" else "((.mrr | num) // 0) != 0")
    if "hadMrr" in rule:
        had = "([(.mrr_series // [])[] | select(type == \"object\") | (.mrr | num) // 0 | select(. > 0)] | length > 0)"
        parts.append(had if rule["hadMrr"] else f"({had} | not)")
    if "contractWithinDays" in rule:
        parts.append(f"((.contract_start | epoch) as $s | $s != null and $s < {cutoff} and days($s) < {rule['contractWithinDays']})")
    if "tier" in rule:
        parts.append(f"(.tier as $t | {json.dumps(rule['tier'])} | index([$t]) != null)")
    if "touch" in rule:
        parts.append(f"(.touch as $t | {json.dumps(rule['touch'])} | index([$t]) != null)")
    if "has" in rule:
        parts.append(f"([vals({segments(rule['has'])})] | length > 0 and .[0] != null)")
    return " and ".join(parts) or "true"


profiles = model["profiles"]
choose = "if " + " elif ".join(f"{condition(p.get('when') or {})} then {json.dumps(p['name'])}" for p in profiles[:-1]) \
    + f" else {json.dumps(profiles[-1]['name'])} end" if len(profiles) > 1 else json.dumps(profiles[0]["name"])
profile_weights = json.dumps({p["name"]: p.get("weights", {}) for p in profiles})
tiers = json.dumps(model.get("tiers", {}))
pts = "{" + ", ".join(f"{json.dumps(m['name'])}: (if $w[{json.dumps(m['name'])}] == 0 then null else {measure(m)} end)"
                      for m in model["measures"]) + "}"
top = [g for g in model["groups"] if g.get("parent") is None]
score = ("([" + ", ".join(f"[{weight(g)}, {group(g['name'])}]" for g in top) + "] | map(select(.[0] > 0 and .[1] != null))"
         " | if length == 0 then null else (map(.[0] * .[1]) | add) / (map(.[0]) | add) * 100 | round / 100 end)")
program = PRELUDE + f"""
select(.kind == "account")
| ({choose}) as $profile
| ({profile_weights}[$profile] + ({tiers}[.tier // ""] // {{}})) as $w
| {pts} as $pts
| {{account: .account, profile: $profile, score: {score}}}
"""
print(program)
