#!/usr/bin/env python3
"""Lost-update probe: probe.py PORT [N=20] [TRIALS=3]. Stdlib only.

Per trial: log in (4 x 64 B), open N connections, release N `GET /set?k=kI` at once (a barrier),
then read `/keys` and count how many of k0..kN-1 are missing. Prints one line: the losses per trial.
"""
import http.client
import sys
import threading

port = int(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
trials = int(sys.argv[3]) if len(sys.argv) > 3 else 3


def conn():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def get(c, path, cookie):
    c.request("GET", path, headers={"Cookie": cookie})
    r = c.getresponse()
    return r.status, r.read().decode()


lost, failed = [], 0
for _ in range(trials):
    c = conn()
    c.request("POST", "/login?attrs=4&size=64", headers={"Content-Length": "0"})
    r = c.getresponse()
    r.read()
    cookie = "; ".join(v.split(";", 1)[0].strip() for k, v in r.getheaders() if k.lower() == "set-cookie")
    if r.status != 200 or not cookie:
        sys.exit(f"probe: /login answered {r.status} with no cookie")
    barrier = threading.Barrier(n)
    statuses = [0] * n
    conns = [conn() for _ in range(n)]
    for c2 in conns:
        c2.connect()  # connected before the barrier: only the requests race

    def one(i):
        barrier.wait()
        statuses[i] = get(conns[i], f"/set?k=k{i}", cookie)[0]

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed += sum(1 for s in statuses if s != 200)
    status, body = get(conn(), "/keys", cookie)
    present = set(body.split("\n")) if status == 200 else set()
    lost.append(sum(1 for i in range(n) if f"k{i}" not in present))

note = f"; {failed} /set answered non-200" if failed else ""
print(f"lost {', '.join(map(str, lost))} of {n}{note}")
