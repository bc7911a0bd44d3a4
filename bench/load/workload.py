"""The mixed workload: the users of the portal as threads, each a closed loop of requests with
a short random pause between them ("think time"), until told to stop.

- Applicants (signed in through the login form) read their list page and their application's
  page, read the draft through the API and save a section (``PATCH``, with the version read).
- Project leaders (API tokens) submit ready drafts, one each, at a steady pace
  (``POST /api/v1/applications/{id}/submit/``).
- Experts (API tokens) work through their assignments: declare no conflict, read the score
  sheet, save a draft of the scores, submit; then read their list of assignments.
- Staff (signed in) start the funding-notice batch of one call after another and follow each
  job's progress until it ends (``POST /api/v1/calls/{id}/notices/``, ``GET /api/v1/jobs/{id}/``);
  in the same session, other tabs read the ranking of the call under review, as a page and
  through the API.

A client that gets no answer or a 5xx (a fault) reads the state again and carries on from
what the server says, as a person reloading a page would; what each client was told is kept
for the exactly-once check (``bench.load.steps.verify``).
"""

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bench.load.client import Client, Recorder

# Kinds of request, as printed.
LIST_PAGE = "applicant: list page"
APPLICATION_PAGE = "applicant: application page"
READ_DRAFT = "applicant: read draft (API)"
SAVE_DRAFT = "applicant: save draft (PATCH)"
SUBMIT = "leader: submit (POST)"
DECLARE = "expert: declare"
READ_REVIEW = "expert: read score sheet"
SAVE_REVIEW = "expert: save scores (draft)"
SUBMIT_REVIEW = "expert: submit review"
EXPERT_LIST = "expert: list assignments"
RANKING_PAGE = "staff: ranking page"
RANKING_API = "staff: ranking (API)"
BATCH_START = "staff: start notice batch"
BATCH_PROGRESS = "staff: batch progress"
NOTICE_LIST = "staff: notices of a call"


@dataclass
class Told:
    """What the clients were told succeeded (the exactly-once check compares the database)."""

    submitted: set[int] = field(default_factory=set)
    # Submissions that got no answer or a 5xx: persisted or not, the check says which is true,
    # and they are sent again once the portal is back (200 or 409 "already submitted").
    unsure: set[int] = field(default_factory=set)
    saved_versions: dict[int, int] = field(default_factory=dict)
    reviewed: set[int] = field(default_factory=set)
    jobs: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class User(threading.Thread):
    """A closed loop of ``step()`` with a random pause after each request."""

    def __init__(self, name: str, workload: "Workload") -> None:
        super().__init__(name=name, daemon=True)
        self.workload = workload
        self.random = random.Random(name)
        self.failure: BaseException | None = None

    def pause(self, seconds: float | None = None) -> None:
        low, high = self.workload.think
        self.workload.stopping.wait(seconds if seconds is not None else self.random.uniform(low, high))

    def setup(self) -> None:
        """Before the loop (signing in)."""

    def step(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        try:
            try:
                self.setup()
            finally:
                self.workload.signed_in.release()
            while not self.workload.stopping.is_set():
                self.step()
        except BaseException as error:  # a client's bug must show, not end the thread in silence
            self.failure = error


class Applicant(User):
    def __init__(self, workload: "Workload", email: str, application: int, password: str) -> None:
        super().__init__(f"applicant-{application}", workload)
        self.client = Client(workload.port, workload.recorder)
        self.email, self.application, self.password = email, application, password
        self.version: int | None = None
        self.turn = 0

    def setup(self) -> None:
        self.client.login(self.email, self.password)

    def step(self) -> None:
        pk = self.application
        self.turn += 1
        which = self.turn % 4
        if which == 1:
            self.client.call(LIST_PAGE, "GET", "/applications/")
        elif which == 2:
            self.client.call(APPLICATION_PAGE, "GET", f"/applications/{pk}/")
        elif which == 3 or self.version is None:
            reply = self.client.call(READ_DRAFT, "GET", f"/api/v1/applications/{pk}/")
            self.version = reply.json()["version"] if reply.status == 200 else None
        else:
            reply = self.client.call(
                SAVE_DRAFT,
                "PATCH",
                f"/api/v1/applications/{pk}/",
                data={
                    "version": self.version,
                    "abstract": f"摘要（第{self.turn}次保存）：面向川渝的联合研究。",
                },
            )
            if reply.status == 200:
                self.version = reply.json()["version"]
                with self.workload.told.lock:
                    self.workload.told.saved_versions[pk] = self.version
            else:
                self.version = None  # saved or not: read it again
        self.pause()


class Leader(User):
    """Submits the drafts of a shared queue, one every ``interval`` seconds."""

    def __init__(self, workload: "Workload", index: int, drafts: deque, interval: float) -> None:
        super().__init__(f"leader-{index}", workload)
        self.drafts, self.interval = drafts, interval

    def step(self) -> None:
        try:
            draft = self.drafts.popleft()
        except IndexError:
            self.pause(0.5)
            return
        client = Client(self.workload.port, self.workload.recorder, token=draft["token"])
        reply = client.call(SUBMIT, "POST", f"/api/v1/applications/{draft['id']}/submit/", data={})
        told = self.workload.told
        with told.lock:
            if reply.status == 200:
                told.submitted.add(draft["id"])
            elif reply.status == 0 or reply.status >= 500:
                told.unsure.add(draft["id"])
        self.pause(self.interval)


class Expert(User):
    """Declares, reads, saves a draft and submits each assignment; then reads the list."""

    def __init__(self, workload: "Workload", index: int, token: str, assignments: list[int]) -> None:
        super().__init__(f"expert-{index}", workload)
        self.client = Client(workload.port, workload.recorder, token=token)
        self.todo = deque(assignments)
        self.state = "read"
        self.sheet: dict[str, Any] = {}

    def _points(self, fraction: float) -> dict[str, str]:
        return {c["code"]: f"{float(c['max_points']) * fraction:.1f}" for c in self.sheet.get("criteria", [])}

    def step(self) -> None:
        if not self.todo:
            self.client.call(EXPERT_LIST, "GET", "/api/v1/assignments/")
            self.pause()
            return
        pk = self.todo[0]
        path = f"/api/v1/assignments/{pk}/review/"
        if self.state == "read":
            reply = self.client.call(READ_REVIEW, "GET", path)
            if reply.status == 200:
                self.sheet = reply.json()
                if self.sheet["status"] == "submitted" or self.sheet["assignment_status"] == "declined":
                    self.todo.popleft()  # done before a fault took the answer away
                elif self.sheet["assignment_status"] == "assigned":
                    self.state = "declare"
                else:
                    self.state = "draft"
        elif self.state == "declare":
            reply = self.client.call(
                DECLARE, "POST", f"/api/v1/assignments/{pk}/declare/", data={"no_conflict": True}
            )
            self.state = "read" if reply.status != 200 else "read-after-declare"
        elif self.state == "read-after-declare":
            reply = self.client.call(READ_REVIEW, "GET", path)
            self.sheet = reply.json() if reply.status == 200 else self.sheet
            self.state = "draft" if reply.status == 200 else "read"
        elif self.state == "draft":
            reply = self.client.call(
                SAVE_REVIEW,
                "PUT",
                path,
                data={"scores": self._points(0.7), "version": self.sheet["version"], "submit": False},
            )
            if reply.status == 200:
                self.sheet = reply.json()
                self.state = "submit"
            else:
                self.state = "read"
        else:
            fraction = 0.55 + self.random.random() * 0.4
            reply = self.client.call(
                SUBMIT_REVIEW,
                "PUT",
                path,
                data={
                    "scores": self._points(fraction),
                    "comment": "立项依据充分，技术路线可行，川渝合作分工明确。",
                    "recommendation": "fund" if fraction > 0.7 else "changes",
                    "version": self.sheet["version"],
                    "submit": True,
                },
            )
            if reply.status == 200:
                with self.workload.told.lock:
                    self.workload.told.reviewed.add(pk)
                self.todo.popleft()
            self.state = "read"
        self.pause()


class RankingReader(User):
    """Reads the ranking in the session of the staff member who runs the notices (one sign-in:
    a password hash costs seconds of CPU)."""

    def __init__(self, workload: "Workload", index: int, staff: "NoticeRunner", call: int) -> None:
        super().__init__(f"staff-ranking-{index}", workload)
        self.client = Client(workload.port, workload.recorder)
        self.staff, self.call_id = staff, call
        self.turn = 0

    def setup(self) -> None:
        if not self.staff.signed_in.wait(timeout=120) or "sessionid" not in self.staff.client.cookies:
            raise RuntimeError("the staff session was not opened")
        self.client.cookies = dict(self.staff.client.cookies)

    def step(self) -> None:
        self.turn += 1
        if self.turn % 2:
            self.client.call(RANKING_PAGE, "GET", f"/review/calls/{self.call_id}/ranking/")
        else:
            self.client.call(RANKING_API, "GET", f"/api/v1/calls/{self.call_id}/ranking/")
        self.pause()


class NoticeRunner(User):
    """Starts the batch of one call after another and follows each job until it ends."""

    POLL = 0.5

    def __init__(self, workload: "Workload", email: str, password: str, calls: list[int]) -> None:
        super().__init__(f"staff-notices-{email}", workload)
        self.client = Client(workload.port, workload.recorder)
        self.email, self.password = email, password
        self.calls = deque(calls)
        self.done: list[int] = []
        self.job: int | None = None
        self.signed_in = threading.Event()

    def setup(self) -> None:
        try:
            self.client.login(self.email, self.password)
        finally:
            self.signed_in.set()

    def step(self) -> None:
        if self.job is not None:
            reply = self.client.call(BATCH_PROGRESS, "GET", f"/api/v1/jobs/{self.job}/")
            if reply.status == 200 and reply.json()["status"] in ("done", "failed"):
                self.done.append(self.calls.popleft())
                self.job = None
            self.pause(self.POLL)
        elif self.calls and self.workload.batches_allowed.is_set():
            call = self.calls[0]
            # Sent again after a fault, it reuses the batch under way (never a second one).
            reply = self.client.call(
                BATCH_START, "POST", f"/api/v1/calls/{call}/notices/", expect=(202,), data={}
            )
            if reply.status == 202:
                self.job = reply.json()["job"]
                with self.workload.told.lock:
                    self.workload.told.jobs[call] = self.job
            self.pause(self.POLL)
        else:
            call = self.done[-1] if self.done else self.calls[0]
            self.client.call(NOTICE_LIST, "GET", f"/api/v1/calls/{call}/notices/")
            self.pause(max(self.POLL, self.workload.think[1]))


@dataclass
class Shape:
    """How many clients of each kind, and their pace."""

    think: tuple[float, float] = (0.05, 0.25)
    leaders: int = 2
    # Seconds between two submissions of one leader.
    submit_interval: float = 1.5
    ranking_readers: int = 1


class Workload:
    """The clients of one run, on the seed's data; ``start()``, then ``stop()``."""

    def __init__(self, port: int, seeded: dict[str, Any], shape: Shape) -> None:
        self.port = port
        self.recorder = Recorder()
        self.told = Told()
        self.think = shape.think
        self.stopping = threading.Event()
        # Released once by every client after signing in (or trying to).
        self.signed_in = threading.Semaphore(0)
        # Cleared: the notice runner starts no new batch (it still follows the one under way).
        self.batches_allowed = threading.Event()
        self.batches_allowed.set()
        password = seeded["password"]
        self.drafts: deque = deque(seeded["drafts"])
        staff = seeded["staff"][0]
        self.notices = NoticeRunner(self, staff["email"], password, seeded["notice_calls"])
        self.users: list[User] = [
            *(Applicant(self, a["email"], a["application"], password) for a in seeded["applicants"]),
            *(Leader(self, i, self.drafts, shape.submit_interval) for i in range(shape.leaders)),
            *(Expert(self, i, e["token"], e["assignments"]) for i, e in enumerate(seeded["experts"])),
            *(
                RankingReader(self, i, self.notices, seeded["review_call"])
                for i in range(shape.ranking_readers)
            ),
            self.notices,
        ]

    def start(self) -> None:
        for user in self.users:
            user.start()

    def wait_signed_in(self, timeout: float = 120.0) -> None:
        """Until every client has signed in (a password hash costs seconds on a busy machine)."""
        deadline = time.monotonic() + timeout
        for _user in self.users:
            if not self.signed_in.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"the clients did not sign in within {timeout:.0f} s")

    def session(self) -> Client:
        """The client of a signed-in applicant (its session cookie), for checks of its own."""
        applicant = next(u for u in self.users if isinstance(u, Applicant))
        client = Client(self.port, Recorder())
        client.cookies = dict(applicant.client.cookies)
        return client

    def stop(self) -> None:
        self.stopping.set()
        for user in self.users:
            user.join(timeout=90)
        failures = [f"{u.name}: {type(u.failure).__name__}: {u.failure}" for u in self.users if u.failure]
        if failures:
            raise RuntimeError("clients failed:\n" + "\n".join(failures))

    def clients_failed(self) -> list[str]:
        return [f"{u.name}: {type(u.failure).__name__}: {u.failure}" for u in self.users if u.failure]
