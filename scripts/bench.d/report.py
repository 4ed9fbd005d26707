#!/usr/bin/env python3
"""scripts/bench's Markdown table, from its raw directory (report.py RAW_DIR). Stdlib only.

RAW_DIR holds runs.tsv (variant, shape, endpoint, round, tag per wrk run), <tag>.wrk, and the
`INFO stats commandstats cpu` snapshots <tag>.before / <tag>.after, calib.before / calib.after
(two back-to-back snapshots: what one snapshot costs Redis, subtracted from every run) and
probe.<variant>.txt.
"""
import os
import re
import statistics
import sys

PEER = "peer"
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def info(path):
    """-> ({cpu_us, in, out}, {command: calls}) of one INFO snapshot."""
    stats, cmds = {"cpu_us": 0.0, "in": 0, "out": 0}, {}
    for line in open(path):
        line = line.strip()
        m = re.match(r"cmdstat_([^:]+):calls=(\d+)", line)
        if m:
            cmds[m.group(1).upper()] = int(m.group(2))
        elif line.startswith(("used_cpu_sys:", "used_cpu_user:")):
            stats["cpu_us"] += float(line.split(":")[1]) * 1e6
        elif line.startswith("total_net_input_bytes:"):
            stats["in"] = int(line.split(":")[1])
        elif line.startswith("total_net_output_bytes:"):
            stats["out"] = int(line.split(":")[1])
    return stats, cmds


def delta(before, after):
    (sb, cb), (sa, ca) = info(before), info(after)
    return {k: sa[k] - sb[k] for k in sa}, {c: ca.get(c, 0) - cb.get(c, 0) for c in set(ca) | set(cb)}


def wrk(path):
    text = open(path).read()
    m = re.search(r"(\d+) requests in", text)
    requests = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    rps = float(m.group(1)) if m else 0.0
    m = re.search(r"^\s+99(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    p99 = float(m.group(1)) * UNIT_MS[m.group(2)] if m else float("nan")
    errors = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors += sum(int(x) for x in m.groups()) if m else 0
    return requests, rps, p99, errors


def main(raw):
    cal_s, cal_c = delta(os.path.join(raw, "calib.before"), os.path.join(raw, "calib.after"))
    cells, variants, order = {}, [], []
    for line in open(os.path.join(raw, "runs.tsv")):
        variant, shape, ep, _round, tag = line.split()
        if variant not in variants:
            variants.append(variant)
        if (shape, ep) not in order:
            order.append((shape, ep))
        requests, rps, p99, errors = wrk(os.path.join(raw, tag + ".wrk"))
        ds, dc = delta(os.path.join(raw, tag + ".before"), os.path.join(raw, tag + ".after"))
        ds = {k: v - cal_s[k] for k, v in ds.items()}
        dc = {c: v - cal_c.get(c, 0) for c, v in dc.items()}
        cells.setdefault((variant, shape, ep), []).append(
            dict(requests=requests, rps=rps, p99=p99, errors=errors, stats=ds, cmds=dc))

    rounds = max(len(runs) for runs in cells.values())
    med = "median " if rounds > 1 else ""
    extra_h, extra_a = (" | req/s min–max", "|---:") if rounds > 1 else ("", "")
    print(f"| variant | shape | endpoint | {med}req/s{extra_h} | vs peer | {med}p99 ms | redis cmds/req "
          f"| redis CPU µs/req | bytes to redis/req | bytes from redis/req | command mix per req | errors |")
    print(f"|---|---|---|---:{extra_a}|---:|---:|---:|---:|---:|---:|---|---:|")

    def per_request(runs, f):
        return statistics.median(f(r) / r["requests"] if r["requests"] else float("nan") for r in runs)

    peer_rps = {(shape, ep): statistics.median(r["rps"] for r in runs)
                for (variant, shape, ep), runs in cells.items() if variant == PEER}
    for shape, ep in order:
        for variant in variants:
            runs = cells.get((variant, shape, ep))
            if not runs:
                continue
            rps = statistics.median(r["rps"] for r in runs)
            base = peer_rps.get((shape, ep))
            vs = f"{rps / base:.2f}" if base else "—"
            rng = f" | {min(r['rps'] for r in runs):.0f}–{max(r['rps'] for r in runs):.0f}" if rounds > 1 else ""
            p99 = statistics.median(r["p99"] for r in runs)
            cmds = per_request(runs, lambda r: sum(r["cmds"].values()))
            cpu = per_request(runs, lambda r: r["stats"]["cpu_us"])
            b_in = per_request(runs, lambda r: r["stats"]["in"])
            b_out = per_request(runs, lambda r: r["stats"]["out"])
            total = sum(r["requests"] for r in runs)
            mix = {}
            for r in runs:
                for c, v in r["cmds"].items():
                    mix[c] = mix.get(c, 0) + v
            mix = sorted(((c, v / total) for c, v in mix.items() if total and v / total >= 0.005),
                         key=lambda cv: (-cv[1], cv[0]))
            mix = ", ".join(f"{c} {v:.2f}" for c, v in mix) or "—"
            errors = sum(r["errors"] for r in runs)
            print(f"| {variant} | {shape} | /{ep} | {rps:.0f}{rng} | {vs} | {p99:.2f} | {cmds:.2f} | {cpu:.1f} "
                  f"| {b_in:.0f} | {b_out:.0f} | {mix} | {errors} |")

    probes = [v for v in variants if os.path.exists(os.path.join(raw, f"probe.{v}.txt"))]
    if probes:
        print()
        print("Lost-update probe (concurrent `/set?k=kI` on one session, then `/keys`):")
        print()
        for v in probes:
            print(f"- {v}: " + open(os.path.join(raw, f"probe.{v}.txt")).read().strip())


if __name__ == "__main__":
    main(sys.argv[1])
