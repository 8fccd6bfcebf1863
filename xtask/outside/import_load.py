#!/usr/bin/env python3
"""Outside check (issue 13): a 100,000-row import job on the release server over SQLite while
8 sellers run the cycle. Prints the import's duration and the sellers' latencies before and
during the import, and every 5xx. Usage: import_load.py BASE_URL [ROWS]"""
import json, sys, threading, time, urllib.request, urllib.error

BASE = sys.argv[1]
ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
PASSWORD = "cube-demo-2025"
SELLERS = 8

def call(method, path, token=None, body=None, timeout=120):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None), dict(r.headers)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw), dict(e.headers)
        except Exception:
            return e.code, raw, dict(e.headers)

def login(email):
    s, b, _ = call("POST", "/api/login", body={"email": email, "password": PASSWORD})
    assert s == 200, (s, b)
    return b["token"]

admin = login("admin@demo.example.com")
s, assignments, _ = call("GET", "/api/assignments", admin)
sales = next(a for a in assignments if a["name"] == "Strøm vår 2025")
s, overview, _ = call("GET", f"/api/assignments/{sales['id']}", admin)
no_answer = next(o["id"] for o in overview["outcomes"] if o["name"] == "No answer")
owner = overview.get("data_owner") or sales.get("data_owner")
tokens = [login(f"seller{n}@demo.example.com") for n in range(1, SELLERS + 1)]

lat = []  # (t, seconds, status)
stop = False
def seller(token):
    while not stop:
        t0 = time.time()
        s, b, _ = call("POST", f"/api/assignments/{sales['id']}/next", token)
        lat.append((t0, time.time() - t0, s))
        if s != 200 or not b:
            time.sleep(0.05)
            continue
        enrollment = b["enrollment"]["id"] if isinstance(b.get("enrollment"), dict) else b.get("enrollment_id") or b["enrollment"]
        t0 = time.time()
        s, _, _ = call("POST", f"/api/enrollments/{enrollment}/outcomes", token, {"outcome": no_answer})
        lat.append((t0, time.time() - t0, s))

threads = [threading.Thread(target=seller, args=(t,)) for t in tokens]
for t in threads: t.start()
time.sleep(8)
rows = [{"name": f"Import {n} AS", "phones": [f"+474{n:07d}"], "external_id": f"imp-{n}"} for n in range(ROWS)]
body = {"assignment": sales["id"], "dataset": "b2b", "rows": rows}
started = time.time()
s, job, headers = call("POST", f"/api/data-owners/{owner}/customers/import-jobs", admin, body)
answered = time.time() - started
assert s == 202, (s, job)
location = headers.get("Location") or headers.get("location")
while True:
    s, job, _ = call("GET", location, admin)
    if job["status"] != "running":
        break
    time.sleep(0.2)
finished = time.time()
time.sleep(5)
stop = True
for t in threads: t.join()

def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p))] * 1000 if v else float("nan")
before = [d for (t, d, st) in lat if t < started]
during = [d for (t, d, st) in lat if started <= t <= finished]
errors = [st for (t, d, st) in lat if st >= 500]
other = sorted({st for (t, d, st) in lat if st not in (200, 201, 204)})
print(f"import job: {ROWS} rows, answered 202 in {answered:.2f} s, status {job['status']} after {finished - started:.2f} s "
      f"(rows_done {job['rows_done']}, created {job.get('report', {}) and job['report']['created']})")
print(f"sellers before: {len(before)} requests, p50 {pct(before, .5):.1f} ms, p99 {pct(before, .99):.1f} ms, "
      f"{len(before) / 2 / 8:.0f} cycles/s-ish")
print(f"sellers during: {len(during)} requests over {finished - started:.1f} s, p50 {pct(during, .5):.1f} ms, "
      f"p99 {pct(during, .99):.1f} ms, max {pct(during, 1):.1f} ms")
print(f"5xx: {len(errors)}; other statuses: {other}")
