"""Resumable multi-stage jobs (the demo, the benchmark): each stage knows
its output; a rerun skips stages whose output is complete, and the log shows
the progress and an ETA from per-stage estimates refined as stages finish."""
import collections
import os
import re
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


def run_script(script, *args, env=None, log_file=None, echo=None):
    """Run a Python script with this interpreter in a child process (so each
    training run starts with fresh global state); raise if it fails.

    With ``log_file``, the child's output goes to that file and only lines
    matching the regular expression ``echo`` (e.g. mmengine's progress lines
    with their ETA) are shown; on failure the end of the log is shown.
    """
    cmd = [sys.executable, str(script)] + [str(a) for a in args]
    full_env = dict(os.environ)
    full_env.update(env or {})
    if log_file is None:
        proc = subprocess.run(cmd, env=full_env)
        tail = ''
    else:
        os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
        pattern = re.compile(echo) if echo else None
        lines = collections.deque(maxlen=40)
        with open(log_file, 'a') as log, subprocess.Popen(
                cmd, env=full_env, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
            for line in proc.stdout:
                log.write(line)
                lines.append(line)
                if pattern is not None and pattern.search(line):
                    print('    ' + line.rstrip(), flush=True)
        tail = ''.join(lines)
    if proc.returncode != 0:
        where = f' (log: {log_file})' if log_file else ''
        raise RuntimeError(f'{" ".join(cmd)} failed with exit code '
                           f'{proc.returncode}{where}\n{tail}')
