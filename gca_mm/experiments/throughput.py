"""Throughput of data pipelines, measured so that their ratio is robust to
the machine's load."""
import copy
import random
import time

import cv2
import numpy as np
import torch
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope


def build_pipeline(pipeline):
    """``mmengine.dataset.Compose`` of a pipeline config (mmpretrain
    scope), as a dataset builds it."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return Compose(copy.deepcopy(list(pipeline)))


def pipeline_throughput(pipelines, data_infos, rounds=5, warmup=1, seed=0):
    """Images per second of each pipeline on the same data infos.

    The pipelines run in interleaved rounds: each round passes all data
    infos through every pipeline, one pipeline after the other, their order
    reversed every other round (A, B, B, A, A, B, ...), so that a drift of
    the machine's load affects all of them alike; a short burst of load
    still hits one pass, which the per-round rates show. Each pipeline runs
    a whole pass on its own, with its own data in the caches. Everything
    runs in this process on one thread (OpenCV and torch set to 1 thread, as in a
    dataloader worker; restored afterwards); each call gets a deep copy of
    the data info, as a dataset does. Before each pass ``numpy`` and
    ``random`` are seeded with ``seed + round``. The steps of a pipeline
    with a ``transforms`` list (a ``Compose``) are run one after the other,
    as ``Compose`` does, and timed each.

    Args:
        pipelines (dict): name -> pipeline (a callable such as
            ``mmengine.dataset.Compose``).
        data_infos (list[dict]): data infos (e.g. ``dataset.get_data_info``).
        rounds (int): timed rounds. Defaults to 5.
        warmup (int): untimed rounds first. Defaults to 1.
        seed (int): base seed. Defaults to 0.

    Returns:
        dict: ``images`` (per round), ``rounds``, ``seconds``
        {name: total}, ``images_per_s`` {name: rate over all rounds},
        ``round_images_per_s`` {name: [rate per round]}, ``step_us``
        {name: {step: microseconds per image}} (for ``Compose`` pipelines;
        a repeated step type is numbered: ``RandomFlip#2``).
    """
    if not pipelines:
        raise ValueError('pipeline_throughput needs at least one pipeline')
    if not data_infos:
        raise ValueError('pipeline_throughput needs at least one data info')
    if not (isinstance(rounds, int) and rounds >= 1):
        raise ValueError(f'rounds must be a positive int, got {rounds!r}')
    if not (isinstance(warmup, int) and warmup >= 0):
        raise ValueError(f'warmup must be an int >= 0, got {warmup!r}')
    names = list(pipelines)
    seconds = {name: [0.0] * rounds for name in names}
    steps = {name: _steps(p) for name, p in pipelines.items()}
    step_seconds = {name: [0.0] * len(steps[name]) for name in names}
    clock = time.perf_counter

    def run(name, info, timed):
        start = clock()
        results = copy.deepcopy(info)
        for i, (_, step) in enumerate(steps[name]):
            t = clock()
            results = step(results)
            if timed:
                step_seconds[name][i] += clock() - t
            if results is None:
                raise ValueError(f'pipeline {name!r} returned None for '
                                 f'{info.get("img_path", info)}')
        return clock() - start

    cv2_threads, torch_threads = cv2.getNumThreads(), torch.get_num_threads()
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    try:
        for r in range(warmup + rounds):
            for name in (names if r % 2 == 0 else names[::-1]):
                np.random.seed(seed + r)
                random.seed(seed + r)
                elapsed = sum(run(name, info, r >= warmup)
                              for info in data_infos)
                if r >= warmup:
                    seconds[name][r - warmup] = elapsed
    finally:
        cv2.setNumThreads(cv2_threads)
        torch.set_num_threads(torch_threads)
    n = len(data_infos)
    return dict(
        images=n,
        rounds=rounds,
        seconds={k: sum(v) for k, v in seconds.items()},
        images_per_s={k: n * len(v) / sum(v) for k, v in seconds.items()},
        round_images_per_s={k: [n / s for s in v]
                            for k, v in seconds.items()},
        step_us={
            name: {step: 1e6 * t / (n * rounds)
                   for (step, _), t in zip(steps[name], step_seconds[name])}
            for name in names if hasattr(pipelines[name], 'transforms')
        })


def _steps(pipeline):
    """``(name, callable)`` steps of a ``Compose`` (its transforms), or the
    pipeline itself as one step."""
    transforms = getattr(pipeline, 'transforms', None)
    if transforms is None:
        return [('pipeline', pipeline)]
    named, seen = [], {}
    for t in transforms:
        base = type(t).__name__
        seen[base] = seen.get(base, 0) + 1
        named.append((base if seen[base] == 1 else f'{base}#{seen[base]}',
                      t))
    return named


def speed_ratio(result, numerator, denominator):
    """How fast pipeline ``numerator`` runs relative to ``denominator`` in a
    :func:`pipeline_throughput` result: ``ratio`` of their images per
    second over all rounds (above 1: ``numerator`` is faster) and
    ``round_ratio_median``, the median of the per-round ratios (robust to a
    burst of load that hit one pass)."""
    rates = result['round_images_per_s']
    per_round = np.divide(rates[numerator], rates[denominator])
    return dict(
        ratio=result['images_per_s'][numerator] /
        result['images_per_s'][denominator],
        round_ratio_median=float(np.median(per_round)))
