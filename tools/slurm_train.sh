#!/usr/bin/env bash
# Distributed training on a Slurm cluster: srun starts one process per GPU,
# mmengine's `slurm` launcher reads the rank and world size from srun.
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#       tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]
# More nodes: GPUS=16 GPUS_PER_NODE=8 gives 2 nodes of 8 processes.
# CPU-only nodes: GRES= (empty) GPUS=<processes> GPUS_PER_NODE=<per node>;
# the processes then use the gloo backend (see docs/distributed.md).
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
WORK_DIR=
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    WORK_DIR=$1
    shift
fi
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES-"--gres=gpu:${GPUS_PER_NODE}"}
SRUN_ARGS=${SRUN_ARGS:-}
HERE="$(cd "$(dirname "$0")" && pwd)"
PYTHON=${PYTHON:-python}

# shellcheck disable=SC2086  # GRES and SRUN_ARGS hold several words or none
PYTHONPATH="$HERE/..${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    $GRES \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$PYTHON" -u "$HERE/train.py" "$CONFIG" \
    ${WORK_DIR:+"--work-dir=$WORK_DIR"} --launcher slurm "$@"
