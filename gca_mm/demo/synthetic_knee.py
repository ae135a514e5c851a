"""Synthetic AP knee radiographs for the built-in demo data.

The Kellgren-Lawrence (KL) grade is carried only by small, localised findings
at the tibiofemoral joint: joint-space narrowing (JSN) per compartment,
marginal osteophytes and subchondral sclerosis. Everything global (pose,
anatomy size, exposure, noise, blur, left/right) is drawn independently of the
grade, so a view that crops the findings away loses the grade.

Coordinates follow OpenCV: ``x`` to the right, ``y`` down, pixel ``(i, j)``
centred at ``x=j, y=i``. A right knee (``side='R'``) is shown as on a
radiograph read from the front: its lateral side (with the fibula) is on the
image's left; a left knee is the mirror image.
"""
import math
from dataclasses import dataclass, field
from types import SimpleNamespace

import cv2
import numpy as np

GENERATOR_VERSION = '1.0'
NUM_GRADES = 5
SIDES = ('L', 'R')
FINDING_KINDS = ('compartment', 'jsn', 'osteophyte', 'sclerosis')
COMPARTMENTS = ('medial', 'lateral')

_SHIFT = 4  # fixed-point bits for sub-pixel polygon vertices in cv2.fillPoly


def image_rng(seed, index):
    """The random generator that renders image ``index`` of a dataset made
    with ``seed``; it depends on nothing else."""
    for name, value in (('seed', seed), ('index', index)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f'{name} must be a non-negative integer, '
                             f'got {value!r}')
    return np.random.default_rng([int(seed), int(index)])


@dataclass(frozen=True)
class GradeProfile:
    """How the findings of one KL grade are drawn.

    The *primary* compartment (medial with probability
    ``SyntheticKnee.medial_primary_prob``) carries the grade's findings; the
    other one gets findings with the given probabilities and severities scaled
    by ``secondary_scale``. Severity ranges are ``(low, high)`` in ``[0, 1]``.

    Args:
        osteophyte_severity: size of a spur as a fraction of
            ``SyntheticKnee.osteophyte_max_size``.
        primary_sites: ``(min, max)`` number of osteophyte sites (femoral
            and/or tibial margin, so at most 2) in the primary compartment.
        secondary_site_prob: probability of a spur at each secondary site.
        secondary_scale: factor on every secondary severity.
        jsn_prob / jsn_severity: primary narrowing; severity is the fraction
            of ``SyntheticKnee.jsn_max_narrowing`` removed from the gap.
        secondary_jsn_prob: probability of narrowing in the other compartment.
        sclerosis_prob / sclerosis_severity: primary subchondral sclerosis.
        secondary_sclerosis_prob: the same for the other compartment.
    """
    osteophyte_severity: tuple = (0.0, 0.0)
    primary_sites: tuple = (0, 0)
    secondary_site_prob: float = 0.0
    secondary_scale: float = 0.6
    jsn_prob: float = 0.0
    jsn_severity: tuple = (0.0, 0.0)
    secondary_jsn_prob: float = 0.0
    sclerosis_prob: float = 0.0
    sclerosis_severity: tuple = (0.0, 0.0)
    secondary_sclerosis_prob: float = 0.0

    def validate(self, name):
        for key in ('osteophyte_severity', 'jsn_severity',
                    'sclerosis_severity'):
            _check_range(f'{name}.{key}', getattr(self, key), 0.0, 1.0)
        for key in ('secondary_site_prob', 'secondary_scale', 'jsn_prob',
                    'secondary_jsn_prob', 'sclerosis_prob',
                    'secondary_sclerosis_prob'):
            value = getattr(self, key)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f'{name}.{key} must lie in [0, 1], '
                                 f'got {value!r}')
        lo, hi = self.primary_sites
        if not (isinstance(lo, int) and isinstance(hi, int)
                and 0 <= lo <= hi <= 2):
            raise ValueError(f'{name}.primary_sites must be integers '
                             f'0 <= min <= max <= 2, got {self.primary_sites}')


# KL0 none; KL1 doubtful lipping; KL2 definite small osteophytes, possible
# narrowing; KL3 moderate osteophytes, definite narrowing, some sclerosis;
# KL4 large osteophytes, severe narrowing, sclerosis.
DEFAULT_GRADE_PROFILES = (
    GradeProfile(),
    GradeProfile(
        osteophyte_severity=(0.12, 0.25),
        primary_sites=(1, 1),
        jsn_prob=0.2,
        jsn_severity=(0.05, 0.2)),
    GradeProfile(
        osteophyte_severity=(0.28, 0.48),
        primary_sites=(1, 2),
        secondary_site_prob=0.2,
        jsn_prob=0.5,
        jsn_severity=(0.15, 0.35)),
    GradeProfile(
        osteophyte_severity=(0.48, 0.72),
        primary_sites=(2, 2),
        secondary_site_prob=0.5,
        jsn_prob=1.0,
        jsn_severity=(0.4, 0.65),
        secondary_jsn_prob=0.2,
        sclerosis_prob=0.6,
        sclerosis_severity=(0.3, 0.6)),
    GradeProfile(
        osteophyte_severity=(0.72, 1.0),
        primary_sites=(2, 2),
        secondary_site_prob=0.8,
        jsn_prob=1.0,
        jsn_severity=(0.7, 0.95),
        secondary_jsn_prob=0.4,
        sclerosis_prob=1.0,
        sclerosis_severity=(0.6, 1.0),
        secondary_sclerosis_prob=0.4),
)


def _check_range(name, value, low=-math.inf, high=math.inf):
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not low <= value[0] <= value[1] <= high):
        raise ValueError(f'{name} must be a (low, high) pair with '
                         f'{low} <= low <= high <= {high}, got {value!r}')


@dataclass(frozen=True)
class SyntheticKnee:
    """Renders one synthetic AP knee radiograph and its findings table.

    Lengths are fractions of ``image_size``; ``(low, high)`` pairs are uniform
    ranges drawn once per image, independently of the grade.

    Args (groups):
        grade_profiles, medial_primary_prob: which findings each KL grade gets
            (see :class:`GradeProfile`) and how often the medial compartment
            is the one mainly affected.
        rotation_deg ... asymmetry: pose (rotation, scale, shift) and
            anatomy: bone proportions, joint-space width (lateral wider by
            ``lateral_gap_ratio``), soft-tissue envelope, left/right
            asymmetry of condyles and plateaus.
        osteophyte_max_size ... finding_box_margin: size of the largest
            spur, the largest fraction of the gap that narrowing removes,
            sclerotic band thickness and density, padding of finding boxes.
        soft_tissue_attenuation ... read_noise: X-ray appearance: tissue
            attenuations, trabecular texture, exposure offset, contrast,
            gamma, blur and signal-dependent plus constant noise.
        canvas_scale: drawing canvas relative to the image, large enough
            that posed views stay filled.

    Example:
        >>> knee = SyntheticKnee(image_size=224)
        >>> img, findings = knee.render(3, image_rng(seed=0, index=7))
    """
    image_size: int = 224
    grade_profiles: tuple = DEFAULT_GRADE_PROFILES
    medial_primary_prob: float = 0.75
    # Pose and anatomy (nuisance).
    rotation_deg: tuple = (-6.0, 6.0)
    scale: tuple = (0.92, 1.08)
    shift: tuple = (-0.035, 0.035)
    width: tuple = (0.92, 1.08)
    height: tuple = (0.9, 1.1)
    condyle_offset: float = 0.175
    condyle_radii: tuple = (0.14, 0.115)
    plateau_half_width: float = 0.335
    femur_shaft_half_width: float = 0.22
    tibia_shaft_half_width: float = 0.2
    fibula_head_radii: tuple = (0.065, 0.06)
    patella_radii: tuple = (0.125, 0.145)
    joint_gap: tuple = (0.03, 0.042)
    lateral_gap_ratio: tuple = (1.0, 1.25)
    plateau_dip: tuple = (0.0, 0.012)
    tibial_spine_height: tuple = (0.02, 0.04)
    soft_tissue_half_width: tuple = (0.46, 0.66)
    asymmetry: float = 0.03
    # Findings.
    osteophyte_max_size: float = 0.068
    jsn_max_narrowing: float = 0.85
    sclerosis_max_thickness: float = 0.05
    sclerosis_attenuation: float = 0.6
    finding_box_margin: float = 0.01
    # Appearance (nuisance).
    soft_tissue_attenuation: tuple = (0.6, 0.9)
    bone_attenuation: tuple = (0.9, 1.2)
    cortex_attenuation: tuple = (0.5, 0.7)
    trabecular_contrast: tuple = (0.06, 0.12)
    patella_attenuation: tuple = (0.15, 0.3)
    exposure_offset: tuple = (-0.04, 0.08)
    contrast: tuple = (0.85, 1.15)
    gamma: tuple = (0.8, 1.25)
    blur_sigma: tuple = (0.3, 0.9)
    quantum_noise: tuple = (0.01, 0.03)
    read_noise: tuple = (0.002, 0.008)
    canvas_scale: float = 1.5
    version: str = field(default=GENERATOR_VERSION, init=False)

    def __post_init__(self):
        if not isinstance(self.image_size, int) or self.image_size < 32:
            raise ValueError('image_size must be an integer >= 32, '
                             f'got {self.image_size!r}')
        if len(self.grade_profiles) != NUM_GRADES:
            raise ValueError(f'grade_profiles must hold {NUM_GRADES} '
                             'GradeProfile entries (KL0..KL4), got '
                             f'{len(self.grade_profiles)}')
        for grade, profile in enumerate(self.grade_profiles):
            if not isinstance(profile, GradeProfile):
                raise TypeError(f'grade_profiles[{grade}] must be a '
                                f'GradeProfile, got {type(profile).__name__}')
            profile.validate(f'grade_profiles[{grade}]')
        for name in ('rotation_deg', 'shift', 'exposure_offset'):
            _check_range(name, getattr(self, name))
        for name in ('scale', 'width', 'height', 'joint_gap',
                     'lateral_gap_ratio', 'plateau_dip', 'tibial_spine_height',
                     'soft_tissue_half_width', 'soft_tissue_attenuation',
                     'bone_attenuation', 'cortex_attenuation',
                     'trabecular_contrast', 'patella_attenuation', 'contrast',
                     'gamma', 'blur_sigma', 'quantum_noise', 'read_noise'):
            _check_range(name, getattr(self, name), 0.0)
        if not 0.0 <= self.asymmetry < 0.2:
            raise ValueError('asymmetry must lie in [0, 0.2), got '
                             f'{self.asymmetry!r}')
        for name in ('osteophyte_max_size', 'sclerosis_max_thickness'):
            if not 0.0 < getattr(self, name) <= 0.2:
                raise ValueError(
                    f'{name} must lie in (0, 0.2] (a fraction of '
                    f'image_size), got {getattr(self, name)!r}')
        if not 0.0 <= self.medial_primary_prob <= 1.0:
            raise ValueError('medial_primary_prob must lie in [0, 1], got '
                             f'{self.medial_primary_prob!r}')
        if not 0.0 < self.jsn_max_narrowing < 1.0:
            raise ValueError('jsn_max_narrowing must lie in (0, 1) so the '
                             'joint space never closes, got '
                             f'{self.jsn_max_narrowing!r}')
        if self.canvas_scale < 1.2:
            raise ValueError('canvas_scale must be >= 1.2 so that rotated '
                             f'views stay filled, got {self.canvas_scale!r}')

    def render(self, grade, rng, side=None):
        """Render one radiograph.

        Args:
            grade (int): KL grade 0..4.
            rng (numpy.random.Generator): the only source of randomness;
                see :func:`image_rng`.
            side (str, optional): ``'L'`` or ``'R'`` to force the knee side;
                by default drawn from ``rng``. Forcing it changes nothing else.

        Returns:
            tuple: ``img`` (uint8, ``image_size`` x ``image_size``) and
            ``findings``, a list of dicts with keys ``side, kind, compartment,
            x, y, x1, y1, x2, y2, severity`` (see ``docs/data_formats.md``).
            Both compartment landmarks are always present.
        """
        if not isinstance(grade, (int, np.integer)) or not 0 <= grade < 5:
            raise ValueError(f'grade must be an integer KL grade 0..4, '
                             f'got {grade!r}')
        if not isinstance(rng, np.random.Generator):
            raise TypeError('rng must be a numpy.random.Generator (e.g. '
                            f'image_rng(seed, index)), got {type(rng)}')
        if side not in (None, *SIDES):
            raise ValueError(f"side must be None, 'L' or 'R', got {side!r}")
        # Separate streams keep anatomy and noise identical across grades.
        anatomy_rng, finding_rng, noise_rng = rng.spawn(3)
        knee = self._sample_anatomy(anatomy_rng)
        if side is not None:
            knee.side = side
        findings = self._sample_findings(int(grade), knee, finding_rng)
        attenuation = self._attenuation(knee, findings, anatomy_rng)
        matrix = self._pose_matrix(knee)
        size = self.image_size
        attenuation = cv2.warpAffine(
            attenuation, matrix, (size, size), flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE)
        img = self._expose(attenuation, knee, noise_rng)
        rows = [self._finding_row(f, knee, matrix) for f in findings]
        if knee.side == 'L':
            img = np.ascontiguousarray(img[:, ::-1])
        return img, rows

    # ------------------------------------------------------------------
    # Sampling

    def _sample_anatomy(self, rng):
        u = float(self.image_size)

        def draw(pair):
            return float(rng.uniform(*pair))

        k = SimpleNamespace()
        k.side = 'R' if rng.random() < 0.5 else 'L'
        k.rotation = math.radians(draw(self.rotation_deg))
        k.scale = draw(self.scale)
        k.shift = np.array([draw(self.shift), draw(self.shift)]) * u
        w, h = draw(self.width), draw(self.height)
        k.canvas = int(math.ceil(self.canvas_scale * u))
        k.origin = np.array([(k.canvas - 1) / 2.0] * 2)
        # Canonical right knee: medial compartment at +x, lateral at -x.
        a = self.asymmetry
        jitter = (1.0 - a, 1.0 + a)
        rx, ry = self.condyle_radii[0] * u * w, self.condyle_radii[1] * u * h
        # The lateral condyle is a little smaller than the medial one.
        k.rx = {'medial': rx, 'lateral': rx * draw((1.0 - 2 * a, 1.0))}
        k.ry = {'medial': ry, 'lateral': ry * draw((1.0 - 3 * a, 1.0))}
        k.cx = {
            'medial': self.condyle_offset * u * w * draw(jitter),
            'lateral': -self.condyle_offset * u * w * draw(jitter)
        }
        gap = draw(self.joint_gap) * u
        k.gap = {'medial': gap, 'lateral': gap * draw(self.lateral_gap_ratio)}
        k.plateau_hw = {
            c: self.plateau_half_width * u * w * draw(jitter)
            for c in COMPARTMENTS
        }
        k.dip = {'medial': draw(self.plateau_dip) * u,
                 'lateral': draw(self.plateau_dip) * u * 0.4}
        k.spine_h = draw(self.tibial_spine_height) * u
        k.spine_x = 0.03 * u * w
        k.corner_r = 0.03 * u * w
        k.femur_shaft_hw = self.femur_shaft_half_width * u * w
        k.tibia_shaft_hw = self.tibia_shaft_half_width * u * w
        k.fibula = (np.array([-k.plateau_hw['lateral'] + 0.01 * u * w,
                              draw((0.17, 0.21)) * u]),
                    np.array(self.fibula_head_radii) * u * draw(
                        (1.0 - 3 * a, 1.0 + 3 * a)))
        k.patella = (np.array([draw((-0.02, 0.02)) * u,
                               draw((-0.2, -0.14)) * u]),
                     np.array(self.patella_radii) * u * draw(
                         (1.0 - 3 * a, 1.0 + 3 * a)))
        k.soft_cx = draw((-0.03, 0.03)) * u
        k.soft_hw = draw(self.soft_tissue_half_width) * u
        for name in ('soft_tissue_attenuation', 'bone_attenuation',
                     'cortex_attenuation', 'trabecular_contrast',
                     'patella_attenuation', 'exposure_offset', 'contrast',
                     'gamma', 'blur_sigma', 'quantum_noise', 'read_noise'):
            setattr(k, name, draw(getattr(self, name)))
        # Condyles rest ``gap`` above the plateau at their lowest point.
        k.cy = {c: self._tibial_surface(k, k.cx[c]) - k.gap[c] - k.ry[c]
                for c in COMPARTMENTS}
        k.delta = {c: 0.0 for c in COMPARTMENTS}  # narrowing, set by findings
        return k

    def _sample_findings(self, grade, k, rng):
        profile = self.grade_profiles[grade]
        findings = [self._compartment_landmark(k, c) for c in COMPARTMENTS]
        primary = ('medial' if rng.random() < self.medial_primary_prob else
                   'lateral')
        secondary = 'lateral' if primary == 'medial' else 'medial'
        scale = profile.secondary_scale

        lo, hi = profile.primary_sites
        n_sites = int(rng.integers(lo, hi + 1))
        if n_sites == 1:
            sites = ['tibial' if rng.random() < 0.6 else 'femoral']
        else:
            sites = ['femoral', 'tibial'][:n_sites]
        sites = [(primary, s, 1.0) for s in sites]
        sites += [(secondary, s, scale) for s in ('femoral', 'tibial')
                  if rng.random() < profile.secondary_site_prob]
        for comp, site, factor in sites:
            sev = factor * rng.uniform(*profile.osteophyte_severity)
            findings.append(self._osteophyte(k, comp, site, sev, rng))

        # Narrowing comes before sclerosis: the sclerotic band follows the
        # narrowed femoral surface.
        for comp, prob, factor in ((primary, profile.jsn_prob, 1.0),
                                   (secondary, profile.secondary_jsn_prob,
                                    scale)):
            if rng.random() < prob:
                sev = factor * rng.uniform(*profile.jsn_severity)
                findings.append(self._narrowing(k, comp, sev))
        for comp, prob, factor in ((primary, profile.sclerosis_prob, 1.0),
                                   (secondary,
                                    profile.secondary_sclerosis_prob, scale)):
            if rng.random() < prob:
                sev = factor * rng.uniform(*profile.sclerosis_severity)
                findings.append(self._sclerosis(k, comp, sev))
        return findings

    # ------------------------------------------------------------------
    # Geometry (canonical canvas coordinates, origin at the canvas centre)

    @staticmethod
    def _tibial_surface(k, x):
        """Height of the tibial plateau's upper surface at ``x``."""
        x = np.asarray(x, dtype=np.float64)
        # The joint line (y = 0) runs through the middle of the joint space.
        y = np.full_like(x, 0.25 * (k.gap['medial'] + k.gap['lateral']))
        for comp in COMPARTMENTS:
            z = (x - k.cx[comp]) / k.rx[comp]
            y = y + k.dip[comp] * np.cos(np.clip(z, -1, 1) * np.pi / 2)**2
        for sx in (-k.spine_x, k.spine_x):
            y = y - k.spine_h * np.exp(-((x - sx) / (0.5 * k.spine_x))**2)
        for comp, sign in (('medial', 1.0), ('lateral', -1.0)):
            edge = k.plateau_hw[comp] - k.corner_r
            over = np.clip(sign * x - edge, 0.0, k.corner_r)
            y = y + k.corner_r - np.sqrt(k.corner_r**2 - over**2)
        return y

    @staticmethod
    def _condyle_surface(k, comp, x):
        """Lower surface of a femoral condyle at ``x`` (before narrowing)."""
        z = np.clip((x - k.cx[comp]) / k.rx[comp], -1.0, 1.0)
        return k.cy[comp] + k.ry[comp] * np.sqrt(1.0 - z**2)

    @staticmethod
    def _compartment_x(k, comp, extent, n=25):
        return np.linspace(k.cx[comp] - extent * k.rx[comp],
                           k.cx[comp] + extent * k.rx[comp], n)

    @staticmethod
    def _taper(k, comp, x, extent):
        z = np.clip((x - k.cx[comp]) / (extent * k.rx[comp]), -1.0, 1.0)
        return np.cos(z * np.pi / 2)**0.7

    def _femoral_surface(self, k, comp, x):
        return (self._condyle_surface(k, comp, x) +
                k.delta[comp] * self._taper(k, comp, x, 0.85))

    def _compartment_landmark(self, k, comp):
        x = self._compartment_x(k, comp, 1.0)
        top = self._condyle_surface(k, comp, x) - 0.04 * self.image_size
        bottom = self._tibial_surface(k, x) + 0.04 * self.image_size
        centre_y = 0.5 * (self._condyle_surface(k, comp, k.cx[comp]) +
                          self._tibial_surface(k, k.cx[comp]))
        return dict(
            kind='compartment', compartment=comp, severity=0.0,
            centre=np.array([k.cx[comp], centre_y]),
            points=np.concatenate([np.stack([x, top], 1),
                                   np.stack([x, bottom], 1)]),
            margin=0.0)

    def _osteophyte(self, k, comp, site, severity, rng):
        """A beak-shaped spur at the femoral or tibial joint margin."""
        u = self.image_size
        sign = 1.0 if comp == 'medial' else -1.0
        length = severity * self.osteophyte_max_size * u
        if site == 'tibial':
            x0 = sign * (k.plateau_hw[comp] - 0.3 * k.corner_r)
            base = np.array([x0, float(self._tibial_surface(k, x0))])
            angle = math.radians(rng.uniform(10, 35))
            normal = np.array([sign * math.cos(angle), -math.sin(angle)])
            bend = np.array([0.0, -1.0])  # curls up towards the joint
        else:
            phi = math.radians(rng.uniform(20, 45))
            base = np.array([
                k.cx[comp] + sign * k.rx[comp] * math.cos(phi),
                k.cy[comp] + k.ry[comp] * math.sin(phi)
            ])
            angle = math.radians(rng.uniform(5, 30))
            normal = np.array([sign * math.cos(angle), math.sin(angle)])
            bend = np.array([0.0, 1.0])  # curls down towards the joint
        hook = rng.uniform(0.1, 0.5)
        half_base = 0.5 * length + 0.6
        t = np.linspace(0.0, 1.0, 9)[:, None]
        spine = (base - normal * 0.4 * half_base +
                 normal * (length + 0.4 * half_base) * t +
                 bend * hook * length * t**2)
        across = np.array([-normal[1], normal[0]])
        width = half_base * (1.0 - t)**0.9
        polygon = np.concatenate([spine + across * width,
                                  (spine - across * width)[::-1]])
        return dict(
            kind='osteophyte', compartment=comp, severity=severity,
            bone='tibia' if site == 'tibial' else 'femur',
            centre=spine[4], points=polygon, polygon=polygon,
            margin=self.finding_box_margin * u)

    def _narrowing(self, k, comp, severity):
        """Lower the condyle's articular surface into the joint space."""
        k.delta[comp] = severity * self.jsn_max_narrowing * k.gap[comp]
        x = self._compartment_x(k, comp, 0.85)
        upper = self._condyle_surface(k, comp, x)
        lower = self._tibial_surface(k, x)
        # The fill reaches well inside the condyle so that its own depth
        # never exceeds the condyle's there (see ``_bone``).
        fill = np.concatenate([
            np.stack([x, upper - 0.03 * self.image_size], 1),
            np.stack([x, self._femoral_surface(k, comp, x)], 1)[::-1]
        ])
        centre_y = 0.5 * (self._femoral_surface(k, comp, k.cx[comp]) +
                          self._tibial_surface(k, k.cx[comp]))
        return dict(
            kind='jsn', compartment=comp, severity=severity,
            centre=np.array([k.cx[comp], centre_y]),
            points=np.concatenate([np.stack([x, upper], 1),
                                   np.stack([x, lower], 1)]),
            polygon=fill, bone='femur',
            margin=self.finding_box_margin * self.image_size)

    def _sclerosis(self, k, comp, severity):
        """Denser bands under the tibial plateau and above the condyle."""
        thick = (0.3 + 0.7 * severity) * self.sclerosis_max_thickness * \
            self.image_size
        x = self._compartment_x(k, comp, 0.8)
        taper = self._taper(k, comp, x, 0.8)
        tibial = self._tibial_surface(k, x)
        femoral = self._femoral_surface(k, comp, x)
        bands = [
            np.concatenate([np.stack([x, tibial], 1),
                            np.stack([x, tibial + thick * taper], 1)[::-1]]),
            np.concatenate([np.stack([x, femoral - 0.6 * thick * taper], 1),
                            np.stack([x, femoral], 1)[::-1]]),
        ]
        centre_y = 0.5 * (femoral[len(x) // 2] + tibial[len(x) // 2])
        return dict(
            kind='sclerosis', compartment=comp, severity=severity,
            centre=np.array([k.cx[comp], centre_y]),
            points=np.concatenate(bands), bands=bands,
            margin=self.finding_box_margin * self.image_size + 2.0)

    def _femur_polygon(self, k):
        top = -k.canvas
        sides = []
        for comp, sign in (('lateral', -1.0), ('medial', 1.0)):
            hw = abs(k.cx[comp]) + k.rx[comp]
            t = np.linspace(0.0, 1.0, 16)
            flare_top = k.cy[comp] - 3.0 * k.ry[comp]
            xs = k.femur_shaft_hw + (hw - k.femur_shaft_hw) * \
                (0.5 - 0.5 * np.cos(np.pi * t))
            ys = flare_top + (k.cy[comp] - flare_top) * t
            side = np.stack([sign * xs, ys], 1)
            side = np.concatenate([[[sign * k.femur_shaft_hw, top]], side])
            sides.append(side)
        # Intercondylar notch: an arch between the condyles' inner edges.
        inner_l = k.cx['lateral'] + 0.87 * k.rx['lateral']
        inner_m = k.cx['medial'] - 0.87 * k.rx['medial']
        level = max(k.cy['lateral'], k.cy['medial'])
        xs = np.linspace(inner_l, inner_m, 15)
        z = (xs - 0.5 * (inner_l + inner_m)) / (0.5 * (inner_m - inner_l))
        roof = np.stack([
            xs, level + 0.5 * k.ry['medial'] -
            0.45 * k.ry['medial'] * np.sqrt(np.clip(1 - z**2, 0, 1))
        ], 1)
        return np.concatenate([sides[0], roof, sides[1][::-1]])

    def _tibia_polygon(self, k):
        x_l, x_m = -k.plateau_hw['lateral'], k.plateau_hw['medial']
        xs = np.linspace(x_l, x_m, 121)
        top = np.stack([xs, self._tibial_surface(k, xs)], 1)
        # The plateau overhangs a metaphysis that narrows concavely.
        shaft_y = 0.5 * self.image_size
        t = np.linspace(0.0, 1.0, 16)[1:]
        sides = []
        for edge, sign in ((x_m, 1.0), (x_l, -1.0)):
            y0 = float(self._tibial_surface(k, edge)) + k.corner_r
            xs_side = k.tibia_shaft_hw + (abs(edge) - k.tibia_shaft_hw) * \
                (1.0 - t)**2
            ys_side = y0 + (shaft_y - y0) * t
            side = np.stack([sign * xs_side, ys_side], 1)
            sides.append(
                np.concatenate([side, [[sign * k.tibia_shaft_hw, k.canvas]]]))
        return np.concatenate([top, sides[0], sides[1][::-1]])

    def _fibula_polygon(self, k):
        (cx, cy), (rx, ry) = k.fibula
        t = np.linspace(0.0, 2 * np.pi, 40, endpoint=False)
        head = np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)
        neck_y, shaft_hw = cy + 1.6 * ry, 0.55 * rx
        shaft = np.array([[cx - 0.8 * rx, cy], [cx + 0.8 * rx, cy],
                          [cx + shaft_hw, neck_y],
                          [cx + shaft_hw + 0.3 * rx, k.canvas],
                          [cx - shaft_hw + 0.3 * rx, k.canvas],
                          [cx - shaft_hw, neck_y]])
        return head, shaft

    # ------------------------------------------------------------------
    # Rendering

    @staticmethod
    def _draw(img, polygons):
        """Anti-aliased union of polygons given in pixel coordinates."""
        for polygon in polygons:  # one call each: fillPoly XORs overlaps
            pts = np.round(polygon * (1 << _SHIFT)).astype(np.int32)
            cv2.fillPoly(img, [pts], 255, cv2.LINE_AA, _SHIFT)
        return img

    def _fill(self, k, polygons):
        """Coverage (uint8) of polygons given in canonical coordinates."""
        img = np.zeros((k.canvas, k.canvas), np.uint8)
        return self._draw(img, [p + k.origin for p in polygons])

    def _ellipse(self, k, centre, radii, n=48):
        t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
        return np.stack([centre[0] + radii[0] * np.cos(t),
                         centre[1] + radii[1] * np.sin(t)], 1)

    def _depth(self, coverage):
        inside = (coverage >= 128).astype(np.uint8)
        return cv2.distanceTransform(inside, cv2.DIST_L2, 5)

    def _bone(self, k, polygons, additions, texture):
        """Coverage and attenuation of one bone: a body ramping up with depth
        (thickness) under a bright cortical rim, with trabecular texture.

        ``additions`` (osteophytes, narrowing) take the larger of their own
        depth and the bone's, which approximates the union's depth and keeps
        every change inside the added polygon.
        """
        coverage = self._fill(k, polygons)
        depth = self._depth(coverage)
        for polygon in additions:
            pixels = polygon + k.origin
            x0, y0 = np.maximum(np.floor(pixels.min(0)).astype(int) - 2, 0)
            x1, y1 = np.minimum(
                np.ceil(pixels.max(0)).astype(int) + 3, k.canvas)
            added = self._draw(np.zeros((y1 - y0, x1 - x0), np.uint8),
                               [pixels - (x0, y0)])
            roi = np.s_[y0:y1, x0:x1]
            depth[roi] = np.maximum(depth[roi], self._depth(added))
            coverage[roi] = np.maximum(coverage[roi], added)
        u = self.image_size
        body = 1.0 - np.exp(-depth / (0.05 * u))
        rim = np.exp(-depth / (0.01 * u))
        density = (k.bone_attenuation * body *
                   (1.0 + k.trabecular_contrast * texture) +
                   k.cortex_attenuation * rim)
        return coverage, density * (coverage.astype(np.float32) / 255.0)

    def _attenuation(self, k, findings, rng):
        n = k.canvas
        u = float(self.image_size)
        noise = rng.standard_normal((n, n), dtype=np.float32)
        fine = cv2.GaussianBlur(noise, (0, 0), sigmaX=0.005 * u,
                                sigmaY=0.009 * u)
        coarse = cv2.GaussianBlur(noise, (0, 0), 0.02 * u)
        texture = fine - coarse
        texture /= texture.std() + 1e-6

        femur = [self._femur_polygon(k)]
        femur += [self._ellipse(k, (k.cx[c], k.cy[c]), (k.rx[c], k.ry[c]))
                  for c in COMPARTMENTS]
        additions = {'femur': [], 'tibia': []}
        for f in findings:
            if 'bone' in f:
                additions[f['bone']].append(f['polygon'])
        cov_femur, femur = self._bone(k, femur, additions['femur'], texture)
        cov_tibia, tibia = self._bone(k, [self._tibia_polygon(k)],
                                      additions['tibia'], texture)
        _, fibula = self._bone(k, self._fibula_polygon(k), [], texture)
        bones = femur + tibia + fibula

        # The patella overlies the distal femur: a faint dome, no cortex.
        cov_patella = self._fill(k, [self._ellipse(k, *k.patella)])
        patella = k.patella_attenuation * \
            (1 - np.exp(-self._depth(cov_patella) / (0.04 * u)))
        patella = cv2.GaussianBlur(patella, (0, 0), 0.01 * u)

        xs = np.arange(n, dtype=np.float32)[None] - (k.origin[0] + k.soft_cx)
        ys = np.arange(n, dtype=np.float32)[:, None] - k.origin[1]
        half_width = k.soft_hw * (1.0 - 0.15 * ys / u)
        soft = np.sqrt(np.clip(1.0 - (xs / half_width)**2, 0.0, 1.0))
        attenuation = k.soft_tissue_attenuation * soft + bones + patella

        sclerotic = [f for f in findings if f['kind'] == 'sclerosis']
        if sclerotic:
            sclerosis = np.zeros((n, n), np.float32)
            for f in sclerotic:
                cov = self._fill(k, f['bands'])
                sclerosis += f['severity'] * cov.astype(np.float32) / 255
            sclerosis = cv2.GaussianBlur(sclerosis, (0, 0), 0.006 * u)
            in_bone = np.clip((cov_femur.astype(np.float32) +
                               cov_tibia.astype(np.float32)) / 255.0, 0, 1)
            attenuation += self.sclerosis_attenuation * sclerosis * in_bone
        return attenuation.astype(np.float32)

    def _pose_matrix(self, k):
        """Affine map from canvas pixels to output pixels (before the
        left/right mirror)."""
        c, s = math.cos(k.rotation), math.sin(k.rotation)
        linear = k.scale * np.array([[c, -s], [s, c]])
        out_centre = np.array([(self.image_size - 1) / 2.0] * 2)
        offset = out_centre + k.shift - linear @ k.origin
        return np.concatenate([linear, offset[:, None]], 1)

    def _expose(self, attenuation, k, rng):
        intensity = 1.0 - np.exp(-attenuation)
        intensity = np.clip(intensity * k.contrast + k.exposure_offset, 0, 1)
        intensity = intensity**k.gamma
        intensity = cv2.GaussianBlur(intensity, (0, 0), k.blur_sigma)
        sigma = k.quantum_noise * np.sqrt(intensity) + k.read_noise
        noise = rng.standard_normal(intensity.shape, dtype=np.float32)
        intensity = intensity + sigma * noise
        return np.clip(np.round(intensity * 255.0), 0, 255).astype(np.uint8)

    def _finding_row(self, finding, k, matrix):
        """Centre and pixel box (inclusive-exclusive) in the output image."""
        size, side = self.image_size, k.side

        def to_image(points):
            return (points + k.origin) @ matrix[:, :2].T + matrix[:, 2]

        out = to_image(finding['points'])
        centre = to_image(finding['centre'][None])[0]
        margin = finding['margin']
        lo = out.min(0) - margin
        hi = out.max(0) + margin
        x1, y1 = (np.floor(lo + 0.5)).astype(int)
        x2, y2 = (np.floor(hi + 0.5)).astype(int) + 1
        x1, x2 = np.clip([x1, x2], 0, size)
        y1, y2 = np.clip([y1, y2], 0, size)
        x, y = float(centre[0]), float(centre[1])
        if side == 'L':
            x1, x2 = size - x2, size - x1
            x = size - 1 - x
        return dict(side=side, kind=finding['kind'],
                    compartment=finding['compartment'],
                    x=round(x, 2), y=round(y, 2), x1=int(x1), y1=int(y1),
                    x2=int(x2), y2=int(y2),
                    severity=round(float(finding['severity']), 4))
