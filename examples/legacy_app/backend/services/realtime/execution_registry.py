"""Which user started which background run (generation jobs, coach summaries)."""

import time
from dataclasses import dataclass, field
from typing import Optional

from backend.utils.singleton import SingletonMeta


@dataclass
class RunRecord:
    run_id: str
    user_id: int
    kind: str
    started_at: float = field(default_factory=time.time)
    finished: bool = False


class ExecutionRegistry(metaclass=SingletonMeta):
    def __init__(self):
        self.runs: dict[str, RunRecord] = {}
        self.runs_by_user: dict[int, list[str]] = {}

    def register(self, run_id: str, user_id: int, kind: str) -> RunRecord:
        record = RunRecord(run_id=run_id, user_id=user_id, kind=kind)
        self.runs[run_id] = record
        self.runs_by_user.setdefault(user_id, []).append(run_id)
        return record

    def owner_of(self, run_id: str) -> Optional[int]:
        record = self.runs.get(run_id)
        return record.user_id if record else None

    def finish(self, run_id: str) -> None:
        if run_id in self.runs:
            self.runs[run_id].finished = True

    def active_runs(self, user_id: int) -> list[RunRecord]:
        return [self.runs[r] for r in self.runs_by_user.get(user_id, []) if not self.runs[r].finished]
