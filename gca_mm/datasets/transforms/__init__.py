from .loading import LoadXrayFromFile  # noqa: F401
from .saliency import GazeMapToTarget, LoadFixations  # noqa: F401
from .gaze_map import LoadGazeMap  # noqa: F401
from .gca import GazeConditionedAugment  # noqa: F401
from .cached_loading import LoadFromDecodedCache  # noqa: F401
