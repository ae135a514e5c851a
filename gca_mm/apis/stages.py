"""Resumable multi-stage jobs (the demo, the benchmark): each stage knows
its output; a rerun skips stages whose output is complete, and the log shows
the progress and an ETA from per-stage estimates refined as stages finish."""
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from mmengine.logging import print_log

@dataclass
class Stage:
    """One step of a job.

    Args:
        name: Shown in the log.
        run: Does the work; must leave ``done()`` true on success.
        done: True when the stage's output is complete.
        estimate_s: Expected seconds on a 2-core CPU, for the ETA.
    """
    name: str
    run: Callable[[], None]
    done: Callable[[], bool]
    estimate_s: float = 60.0
    seconds: Optional[float] = field(default=None, init=False)


def _fmt(seconds):
    seconds = int(round(seconds))
    return f'{seconds // 60:d}:{seconds % 60:02d}'


def run_stages(stages: List[Stage], title='job'):
    """Run the stages in order, skipping complete ones. Returns the list of
    (name, seconds or None when skipped)."""
    start = time.time()
    todo = [s for s in stages if not s.done()]
    remaining = sum(s.estimate_s for s in todo)
    print_log(f'{title}: {len(stages)} stages, {len(stages) - len(todo)} '
              f'already complete, estimated {_fmt(remaining)} (min:s)',
              logger='current')
    for i, stage in enumerate(stages, 1):
        if stage.done():
            print_log(f'[{i}/{len(stages)}] {stage.name}: complete, skipped',
                      logger='current')
            continue
        print_log(f'[{i}/{len(stages)}] {stage.name} ... elapsed '
                  f'{_fmt(time.time() - start)}, ETA {_fmt(remaining)}',
                  logger='current')
        t0 = time.time()
        stage.run()
        stage.seconds = time.time() - t0
        if not stage.done():
            raise RuntimeError(
                f'stage "{stage.name}" finished without producing its output')
        remaining = max(0.0, remaining - stage.estimate_s)
        print_log(f'[{i}/{len(stages)}] {stage.name}: done in '
                  f'{_fmt(stage.seconds)}', logger='current')
    print_log(f'{title}: finished in {_fmt(time.time() - start)}',
              logger='current')
    return [(s.name, s.seconds) for s in stages]


def run_script(script, *args, env=None):
    """Run a Python script with this interpreter in a child process (so each
    training run starts with fresh global state); raise if it fails."""
    cmd = [sys.executable, str(script)] + [str(a) for a in args]
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(cmd, env=full_env)
    if proc.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} failed with exit code '
                           f'{proc.returncode}')
