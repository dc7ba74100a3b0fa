#!/usr/bin/python3
"""flowlog query checked against answers computed here, independently, in
plain Python: on generated data, and on the opensearch-catalog peer file when
the shared test data is present.

usage: reference.py FLOWLOG [SHARED_TESTDATA_DIR]"""
import ipaddress
import json
import os
import random
import subprocess
import sys
import tempfile

FIELDS = ["version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
          "protocol", "packets", "bytes", "start", "end", "action", "log-status"]
INTS = {"version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end"}


def generate(path, n, seed):
    rnd = random.Random(seed)
    hosts = ["10.0.%d.%d" % (rnd.randrange(4), rnd.randrange(1, 30)) for _ in range(40)]
    hosts += ["192.0.2.%d" % rnd.randrange(1, 255) for _ in range(8)]
    hosts += ["2001:db8::%x" % rnd.randrange(1, 4096) for _ in range(6)]
    t = 1700000000
    with open(path, "w") as f:
        for i in range(n):
            t += rnd.randrange(0, 30)
            eni = "eni-%017x" % rnd.randrange(8)
            r = rnd.random()
            if r < 0.03:
                f.write("2 123456789012 %s - - - - - - - %d %d - %s\n"
                        % (eni, t, t + 60, "NODATA" if r < 0.02 else "SKIPDATA"))
                continue
            src, dst = rnd.choice(hosts), rnd.choice(hosts)
            proto = rnd.choice([6, 6, 6, 17, 1])
            port = rnd.choice([22, 443, 3306, 3389, 53, 8080, 1024 + rnd.randrange(100)])
            pk = rnd.randrange(1, 200)
            action = "REJECT" if rnd.random() < 0.3 else "ACCEPT"
            f.write("2 123456789012 %s %s %s %d %d %d %d %d %d %d %s OK\n"
                    % (eni, src, dst, rnd.randrange(1024, 65536), port, proto, pk, pk * rnd.randrange(40, 1500),
                       t, t + 60, action))


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 14 or not p[0].isdigit():
                continue
            r = {}
            for k, v in zip(FIELDS, p):
                r[k] = None if v == "-" else int(v) if k in INTS else v
            rows.append(r)
    return rows


def run(flowlog, query, path):
    out = subprocess.run([flowlog, "query", "--ndjson", query, path], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("flowlog query failed (%d): %s\n%s" % (out.returncode, query, out.stderr))
    return [json.loads(l) for l in out.stdout.splitlines()]


def in_subnet(a, net):
    try:
        return ipaddress.ip_address(a) in ipaddress.ip_network(net)
    except ValueError:
        return False


failures = 0
count = 0


def check(name, got, want):
    global failures, count
    count += 1
    if got != want:
        failures += 1
        print("not ok - %s\n#   got:  %s\n#   want: %s" % (name, str(got)[:600], str(want)[:600]))
    else:
        print("ok - %s" % name)


def top(d, n):
    """The n largest values, largest first: ties make the keys ambiguous, not
    the values."""
    return sorted(d.values(), reverse=True)[:n]


def group(rows, key, pred=lambda r: True, val=lambda r: 1):
    d = {}
    for r in rows:
        if pred(r):
            k = key(r)
            d[k] = d.get(k, 0) + val(r)
    return d


def suite(flowlog, path, label):
    rows = load(path)
    ok = [r for r in rows if r["action"] is not None]

    # AWS's documented queries, verbatim.
    q = "stats sum(packets) as packetsTransferred by srcAddr, dstAddr\n    | sort packetsTransferred  desc\n    | limit 15"
    want = group(ok, lambda r: (r["srcaddr"], r["dstaddr"]), val=lambda r: r["packets"])
    got = run(flowlog, q, path)
    check(label + ": top 15 packet transfers (values)", [g["packetsTransferred"] for g in got], top(want, 15))
    check(label + ": top 15 packet transfers (each pair's sum)",
          all(want[(g["srcAddr"], g["dstAddr"])] == g["packetsTransferred"] for g in got), True)

    q = 'filter isIpv4InSubnet(srcAddr, "192.0.2.0/24")\n    | stats sum(bytes) as bytesTransferred by dstAddr\n    | sort bytesTransferred desc\n    | limit 15'
    want = group(ok, lambda r: r["dstaddr"], lambda r: in_subnet(r["srcaddr"], "192.0.2.0/24"), lambda r: r["bytes"])
    got = run(flowlog, q, path)
    check(label + ": top 15 byte transfers from a subnet", [g["bytesTransferred"] for g in got], top(want, 15))
    check(label + ": each destination's bytes", all(want[g["dstAddr"]] == g["bytesTransferred"] for g in got), True)

    q = "filter protocol=17 | stats count(*) by srcAddr"
    want = group(rows, lambda r: r["srcaddr"], lambda r: r["protocol"] == 17)
    got = {g["srcAddr"]: g["count(*)"] for g in run(flowlog, q, path)}
    check(label + ": UDP sources", got, want)

    q = 'filter logStatus="SKIPDATA"\n    | stats count(*) by bin(1h) as t\n    | sort t'
    want = group(rows, lambda r: r["start"] - r["start"] % 3600, lambda r: r["log-status"] == "SKIPDATA")
    got = run(flowlog, q, path)
    import datetime
    want_rows = [(datetime.datetime.fromtimestamp(k, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.000"), v)
                 for k, v in sorted(want.items())]
    check(label + ": SKIPDATA by hour", [(g["t"], g["count(*)"]) for g in got], want_rows)

    # What people write while troubleshooting.
    q = 'filter action="REJECT" | fields @timestamp, srcAddr, dstAddr, dstPort'
    got = run(flowlog, q, path)
    want = [(r["srcaddr"], r["dstaddr"], r["dstport"]) for r in rows if r["action"] == "REJECT"]
    check(label + ": rejected traffic", [(g["srcAddr"], g["dstAddr"], g["dstPort"]) for g in got], want)

    if ok:
        a, b = ok[0]["srcaddr"], ok[0]["dstaddr"]
        q = ('filter (srcAddr="%s" and dstAddr="%s") or (srcAddr="%s" and dstAddr="%s")'
             ' | stats sum(bytes) as bytes, count(*) as flows by srcAddr, dstAddr' % (a, b, b, a))
        want = {}
        for r in ok:
            if (r["srcaddr"], r["dstaddr"]) in ((a, b), (b, a)):
                k = (r["srcaddr"], r["dstaddr"])
                s, n = want.get(k, (0, 0))
                want[k] = (s + r["bytes"], n + 1)
        got = {(g["srcAddr"], g["dstAddr"]): (g["bytes"], g["flows"]) for g in run(flowlog, q, path)}
        check(label + ": the conversation between two addresses", got, want)

        q = 'filter srcAddr="%s" and action="REJECT" | stats count(*) as n by dstAddr, dstPort' % a
        want = group(rows, lambda r: (r["dstaddr"], r["dstport"]), lambda r: r["srcaddr"] == a and r["action"] == "REJECT")
        got = {(g["dstAddr"], g["dstPort"]): g["n"] for g in run(flowlog, q, path)}
        check(label + ": rejected traffic from one source", got, want)

    q = 'filter action="REJECT" | stats count(*) as numRejections by dstPort | sort numRejections desc | limit 10'
    want = group(rows, lambda r: r["dstport"], lambda r: r["action"] == "REJECT")
    got = run(flowlog, q, path)
    check(label + ": top rejected destination ports", [g["numRejections"] for g in got], top(want, 10))
    check(label + ": each port's rejects", all(want[g["dstPort"]] == g["numRejections"] for g in got), True)

    # Counts by a number that is sometimes small (counted in an array) and
    # sometimes not (hashed), and by one with another aggregate beside.
    q = 'stats count(*) as n by bytes'
    want = group(rows, lambda r: r["bytes"], lambda r: True)
    got = {g["bytes"]: g["n"] for g in run(flowlog, q, path)}
    check(label + ": count by bytes, small and large", got, want)
    q = 'stats count(*) as n, sum(packets) as p by dstPort'
    want = {}
    for r in rows:
        n, p = want.get(r["dstport"], (0, 0))
        want[r["dstport"]] = (n + 1, p + (r["packets"] or 0))
    got = {g["dstPort"]: (g["n"], g["p"]) for g in run(flowlog, q, path)}
    check(label + ": count and sum by port", got, want)

    q = 'filter action="REJECT" | stats count(*) as rejects'
    got = run(flowlog, q, path)
    check(label + ": count of rejects", got, [{"rejects": sum(1 for r in rows if r["action"] == "REJECT")}])

    q = ('stats count(*) as n, count(srcAddr) as c, count_distinct(dstPort) as ports, sum(bytes) as s, '
         'min(bytes) as lo, max(bytes) as hi, avg(packets) as mean by action')
    got = {g["action"]: g for g in run(flowlog, q, path)}
    for act in ("ACCEPT", "REJECT"):
        sel = [r for r in rows if r["action"] == act]
        if not sel:
            continue
        g = got.get(act, {})
        want = {"action": act, "n": len(sel), "c": len(sel), "ports": len({r["dstport"] for r in sel}),
                "s": sum(r["bytes"] for r in sel), "lo": min(r["bytes"] for r in sel),
                "hi": max(r["bytes"] for r in sel)}
        mean = sum(r["packets"] for r in sel) / len(sel)
        check(label + ": aggregates for " + act, {k: g.get(k) for k in want}, want)
        check(label + ": avg for " + act, abs(g.get("mean", 0) - mean) < 1e-9 * max(1, mean), True)

    q = 'filter dstPort in [22, 3389] and srcAddr like "10.0." and not (action = "ACCEPT") | stats count(*) as n'
    want = sum(1 for r in rows if r["dstport"] in (22, 3389) and r["srcaddr"] and "10.0." in r["srcaddr"]
               and r["action"] != "ACCEPT")
    check(label + ": in, like and not", run(flowlog, q, path), [{"n": want}])

    q = 'filter srcAddr =~ /^192\\.0\\.2\\./ | stats count(*) as n'
    want = sum(1 for r in rows if r["srcaddr"] and r["srcaddr"].startswith("192.0.2."))
    check(label + ": regex", run(flowlog, q, path), [{"n": want}])

    # The functions and aggregates of Logs Insights, computed here.
    import math
    import statistics
    q = ('filter ispresent(srcAddr) | fields substr(interfaceId, 4, 5) as s, replace(srcAddr, ".", "-") as r, '
         'strcontains(dstAddr, "10.0.") as c, trim(concat("  ", action, " ")) as t, coalesce(srcAddr, "none") as co, '
         'isValidIpV4(srcAddr) as v4, greatest(srcPort, dstPort) as g, least(srcPort, dstPort) as l, '
         'toMillis(start) as ms, datefloor(start, 1h) as h | limit 200')
    got = run(flowlog, q, path)
    want = []
    for r in [r for r in rows if r["srcaddr"] is not None][:200]:
        h = r["start"] - r["start"] % 3600
        want.append({"s": r["interface-id"][4:9], "r": r["srcaddr"].replace(".", "-"),
                     "c": 1 if "10.0." in r["dstaddr"] else 0, "t": r["action"], "co": r["srcaddr"],
                     "v4": 1 if ":" not in r["srcaddr"] else 0, "g": max(r["srcport"], r["dstport"]),
                     "l": min(r["srcport"], r["dstport"]), "ms": r["start"] * 1000,
                     "h": datetime.datetime.fromtimestamp(h, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.000")})
    check(label + ": string, null, ip, extreme and time functions", got, want)

    q = 'filter ispresent(packets) | fields sqrt(packets) as sq, log(bytes) as lg | limit 50'
    got = run(flowlog, q, path)
    sel = [r for r in rows if r["packets"] is not None][:50]
    check(label + ": sqrt and log", all(abs(g["sq"] - math.sqrt(r["packets"])) < 1e-9 and abs(g["lg"] - math.log(r["bytes"])) < 1e-9
                                        for g, r in zip(got, sel)) and len(got) == len(sel), True)

    q = ('stats stddev(bytes) as sd, pct(bytes, 50) as p50, pct(bytes, 95) as p95, earliest(dstPort) as e, '
         'latest(dstPort) as la, sortsFirst(dstPort) as sf, sortsLast(action) as sl by interfaceId')
    got = {g["interfaceId"]: g for g in run(flowlog, q, path)}
    ok_all = True
    for eni in {r["interface-id"] for r in rows}:
        sel = [r for r in rows if r["interface-id"] == eni]
        b = sorted(r["bytes"] for r in sel if r["bytes"] is not None)
        g = got.get(eni, {})
        if len(b) > 1 and abs(g.get("sd", 0) - statistics.stdev(b)) > 1e-6 * max(1, statistics.stdev(b)):
            ok_all = False
        for p_, k in ((50, "p50"), (95, "p95")):
            if b and g.get(k) != b[max(math.ceil(p_ / 100 * len(b)), 1) - 1]:
                ok_all = False
        ports = [r for r in sel if r["dstport"] is not None]
        if ports:
            first = min(ports, key=lambda r: r["start"])
            last = max(reversed(ports), key=lambda r: r["start"])
            last = [r for r in ports if r["start"] == max(x["start"] for x in ports)][-1]
            if g.get("e") != first["dstport"] or g.get("la") != last["dstport"]:
                ok_all = False
            if g.get("sf") != min(r["dstport"] for r in ports):
                ok_all = False
        acts = [r["action"] for r in sel if r["action"] is not None]
        if acts and g.get("sl") != max(acts):
            ok_all = False
    check(label + ": stddev, pct, earliest, latest, sortsFirst, sortsLast by ENI", ok_all, True)

    # dedup (first row of each combination, in the result's order) and comments
    q = '# the first record of each source\nfields srcAddr, dstPort # two columns\n| dedup srcAddr'
    seen, want = set(), []
    for r in rows:
        if r["srcaddr"] not in seen:
            seen.add(r["srcaddr"])
            want.append({"srcAddr": r["srcaddr"], "dstPort": r["dstport"]})
    check(label + ": dedup in record order, with comments", run(flowlog, q, path), want)
    q = 'stats count(*) as n by dstPort | sort n desc, dstPort asc | dedup n | limit 5'
    counts = group(rows, lambda r: r["dstport"])
    order = sorted(counts.items(), key=lambda kv: (-kv[1], (kv[0] is not None, kv[0] if kv[0] is not None else 0)))
    seen, want = set(), []
    for port, n in order:
        if n not in seen:
            seen.add(n)
            want.append({"dstPort": port, "n": n})
    check(label + ": dedup after stats and sort, then limit", run(flowlog, q, path), want[:5])

    # bin() rows in time order without a sort; @timestamp against milliseconds and dates
    q = 'stats count(*) as n by bin(1h) as t'
    want = group(rows, lambda r: r["start"] - r["start"] % 3600)
    want_rows = [(datetime.datetime.fromtimestamp(k, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.000"), v)
                 for k, v in sorted(want.items())]
    check(label + ": stats by bin() comes in time order", [(g["t"], g["n"]) for g in run(flowlog, q, path)], want_rows)
    mid = sorted(r["start"] for r in rows)[len(rows) // 2]
    day = datetime.datetime.fromtimestamp(mid, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    want = sum(1 for r in rows if r["start"] * 1000 > mid * 1000 + 500)
    check(label + ": @timestamp > milliseconds", run(flowlog, 'filter @timestamp > %d | stats count(*) as n' % (mid * 1000 + 500), path),
          [{"n": want}])
    want = sum(1 for r in rows if r["start"] <= mid)
    check(label + ": @timestamp <= a date", run(flowlog, 'filter @timestamp <= "%s" | stats count(*) as n' % day, path),
          [{"n": want}])

    # parse: a glob over @message, a regex with named groups over a field
    import re as regex
    raw = [l.rstrip("\n") for l in open(path) if len(l.split()) == 14 and l.split()[0].isdigit()]
    q = 'parse @message "eni-* * " as e, s | filter ispresent(s) | stats count(*) as n by e, s'
    want = {}
    for line in raw:
        at = line.find("eni-")
        if at < 0:
            continue
        rest = line[at + 4:]
        i = rest.find(" ")
        if i < 0:
            continue
        e, rest2 = rest[:i], rest[i + 1:]
        j = rest2.find(" ")
        if j < 0:
            continue
        k = (e, rest2[:j])
        want[k] = want.get(k, 0) + 1
    got = {(g["e"], g["s"]): g["n"] for g in run(flowlog, q, path)}
    check(label + ": parse with a glob", got, want)
    q = 'parse interfaceId /eni-(?<head>[0-9a-f]{3})(?<tail>[0-9a-f]*)/ | stats count(*) as n by head'
    want = {}
    for r in rows:
        m = regex.search(r"eni-(?P<head>[0-9a-f]{3})(?P<tail>[0-9a-f]*)", r["interface-id"] or "")
        k = m.group("head") if m else None
        want[k] = want.get(k, 0) + 1
    got = {g.get("head"): g["n"] for g in run(flowlog, q, path)}
    check(label + ": parse with a regex's named groups", got, want)

    # a second stats, over the rows of the first
    q = 'stats count(*) as n by dstPort, action | stats count(*) as ports, sum(n) as total, max(n) as most by action'
    first = group(rows, lambda r: (r["dstport"], r["action"]))
    want = {}
    for (port, act), n in first.items():
        c, t, m = want.get(act, (0, 0, 0))
        want[act] = (c + 1, t + n, max(m, n))
    got = {g.get("action"): (g["ports"], g["total"], g["most"]) for g in run(flowlog, q, path)}
    check(label + ": a second stats over the first's rows", got, want)


def main():
    flowlog = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "generated.log")
        generate(path, 20000, 7)
        suite(flowlog, path, "generated")
    if len(sys.argv) > 2:
        peer = os.path.join(sys.argv[2], "peers", "opensearch-catalog", "raw.log")
        if os.path.exists(peer):
            suite(flowlog, peer, "opensearch-catalog/raw.log")
        else:
            check("# SKIP shared test data absent", True, True)
    print("1..%d" % count)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
