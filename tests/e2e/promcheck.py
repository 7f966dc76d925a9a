#!/usr/bin/env python3
"""Strict checker for Prometheus text exposition format 0.0.4 (stdlib only).

  promcheck.py FIRST [SECOND]

Checks every line of FIRST (and SECOND): comment syntax, HELP/TYPE once per
family and before its samples, metric and label name syntax, label value
escapes, no duplicate series, values that parse as floats, counters named
*_total with non-negative values, samples grouped by family.  With SECOND (a
later scrape), every counter series present in both must not have decreased.
Prints one line per problem and exits 1 if there was any; prints a summary
and exits 0 otherwise.  Also cross-checks with prometheus_client's parser when
it is importable (Debian python3-prometheus-client).
"""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Problems(list):
    def add(self, where, msg):
        self.append(f"{where}: {msg}")


def parse_labels(s, where, probs):
    """s starts after '{'; returns (labels dict, rest after '}')."""
    labels = {}
    i = 0
    while True:
        if s[i:i + 1] == "}":
            return labels, s[i + 1:]
        m = LABEL.match(s, i)
        if not m:
            probs.add(where, f"bad label name at {s[i:i + 20]!r}")
            return None, ""
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            probs.add(where, f"label {name} not followed by =\"")
            return None, ""
        i += 2
        val = []
        while i < len(s) and s[i] != '"':
            if s[i] == "\\":
                if s[i + 1:i + 2] not in ("\\", '"', "n"):
                    probs.add(where, f"bad escape in label {name}")
                    return None, ""
                val.append({"n": "\n"}.get(s[i + 1], s[i + 1]))
                i += 2
            elif s[i] == "\n":
                probs.add(where, "raw newline in label value")
                return None, ""
            else:
                val.append(s[i])
                i += 1
        if i >= len(s):
            probs.add(where, f"unterminated value of label {name}")
            return None, ""
        i += 1
        if name in labels:
            probs.add(where, f"label {name} twice")
        labels[name] = "".join(val)
        if s[i:i + 1] == ",":
            i += 1
        elif s[i:i + 1] != "}":
            probs.add(where, f"expected , or }} after label {name}")
            return None, ""


def parse_value(v):
    if v in ("+Inf", "-Inf", "NaN"):
        return float(v.replace("Inf", "inf").replace("NaN", "nan"))
    return float(v)


def family_of(name, types):
    if name in types:
        return name
    for suf in ("_sum", "_count", "_bucket"):
        if name.endswith(suf) and types.get(name[: -len(suf)]) in ("histogram", "summary"):
            return name[: -len(suf)]
    return name


def check(text, where, probs):
    """Returns ({(name, labels tuple): value}, types)."""
    helps, types, series, done = {}, {}, {}, set()
    current = None
    if not text.endswith("\n"):
        probs.add(where, "does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        at = f"{where}:{n}"
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                if len(parts) < 4 and parts[1] == "TYPE":
                    probs.add(at, "TYPE without a type")
                    continue
                name = parts[2] if len(parts) > 2 else ""
                if not NAME.fullmatch(name):
                    probs.add(at, f"bad metric name {name!r}")
                    continue
                table = helps if parts[1] == "HELP" else types
                if name in table:
                    probs.add(at, f"second {parts[1]} for {name}")
                if parts[1] == "TYPE":
                    if parts[3] not in TYPES:
                        probs.add(at, f"unknown type {parts[3]!r}")
                    if any(f == name for f, _ in series):
                        probs.add(at, f"TYPE for {name} after its samples")
                else:
                    h = parts[3] if len(parts) > 3 else ""
                    if re.search(r"\\[^\\n]", h):
                        probs.add(at, "bad escape in HELP")
                table[name] = parts[3] if len(parts) > 3 else ""
                if name != current:
                    if name in done:
                        probs.add(at, f"family {name} split")
                    if current:
                        done.add(current)
                    current = name
            continue
        m = NAME.match(line)
        if not m:
            probs.add(at, f"bad sample line {line!r}")
            continue
        name, rest = m.group(0), line[m.end():]
        labels = {}
        if rest.startswith("{"):
            labels, rest = parse_labels(rest[1:], at, probs)
            if labels is None:
                continue
        if not rest.startswith(" "):
            probs.add(at, f"no space before the value: {line!r}")
            continue
        fields = rest.split()
        if len(fields) not in (1, 2):
            probs.add(at, f"expected value [timestamp]: {rest!r}")
            continue
        try:
            value = parse_value(fields[0])
            if len(fields) == 2:
                int(fields[1])
        except ValueError:
            probs.add(at, f"value does not parse: {fields[0]!r}")
            continue
        fam = family_of(name, types)
        if fam != current:
            if fam in done:
                probs.add(at, f"samples of {fam} not together")
            if current:
                done.add(current)
            current = fam
        if fam not in types or fam not in helps:
            probs.add(at, f"{name}: no HELP/TYPE before its samples")
        if types.get(fam) == "counter":
            if not name.endswith("_total"):
                probs.add(at, f"counter {name} not named *_total")
            if math.isnan(value) or value < 0:
                probs.add(at, f"counter {name} negative or NaN")
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            probs.add(at, f"duplicate series {name}{labels}")
        series[key] = value
    for name in set(helps) ^ set(types):
        probs.add(where, f"{name}: HELP without TYPE or TYPE without HELP")
    return series, types


def cross_check(text, where, probs):
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        return False
    try:
        for _ in text_string_to_metric_families(text):
            pass
    except Exception as e:  # the library raises ValueError and friends
        probs.add(where, f"prometheus_client parser: {e}")
    return True


def main():
    probs = Problems()
    texts = [open(f).read() for f in sys.argv[1:3]]
    results = [check(t, f, probs) for t, f in zip(texts, sys.argv[1:3])]
    lib = all([cross_check(t, f, probs) for t, f in zip(texts, sys.argv[1:3])])
    if len(results) == 2:
        (a, types), (b, _) = results
        for key, v in a.items():
            if types.get(family_of(key[0], types)) == "counter" and key in b and b[key] < v:
                probs.add(sys.argv[2], f"counter {key[0]}{dict(key[1])} went down {v} -> {b[key]}")
    for p in probs:
        print(p)
    if probs:
        return 1
    print(f"promcheck: {len(results[0][0])} series in {len(results[0][1])} families valid"
          f"{', counters monotonic' if len(results) == 2 else ''}"
          f"{', prometheus_client agrees' if lib else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
