"""Write the attention maps of the benchmark's GCA controls for every image.

    python tools/make_control_maps.py DATA_ROOT --kind centre|mean|oracle \
        [--out DATA_ROOT/control_maps/KIND] [--gaze-maps DATA_ROOT/gaze/maps] \
        [--findings DATA_ROOT/findings.csv] [--sigma-frac 0.25]

centre: a centre-bias Gaussian; mean: the mean ground-truth gaze map of the
train split; oracle: from each image's finding boxes (gca-oracle, an upper
bound no user has). The map tree mirrors the image tree, as GCA reads it
(configs/benchmark/*_gca_{centre,mean,oracle}_knee.py). Maps already
written are kept: rerun after an interruption to finish the rest.
"""
import argparse
import os.path as osp

from gca_mm.experiments.control_maps import KINDS, write_control_maps


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data_root')
    p.add_argument('--kind', required=True, choices=KINDS)
    p.add_argument('--out', help='default: DATA_ROOT/control_maps/KIND')
    p.add_argument('--gaze-maps', help='ground-truth gaze maps (mean); '
                   'default: DATA_ROOT/gaze/maps')
    p.add_argument('--findings', help='findings table (oracle); default: '
                   'DATA_ROOT/findings.csv')
    p.add_argument('--sigma-frac', type=float, default=0.25,
                   help="the centre Gaussian's sigma, a fraction of each side")
    p.add_argument('--suffix', default='.png', choices=('.png', '.npy'))
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out = args.out or osp.join(args.data_root, 'control_maps', args.kind)
    summary = write_control_maps(
        args.kind, args.data_root, out, gaze_maps_root=args.gaze_maps,
        findings=args.findings, sigma_frac=args.sigma_frac,
        suffix=args.suffix, show_progress=True)
    print(f'\n{args.kind}: {summary["written"]} maps written, '
          f'{summary["skipped"]} already present, in {out}')


if __name__ == '__main__':
    main()
