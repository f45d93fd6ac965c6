"""lava-wta: an unsupervised winner-take-all spiking network (Diehl & Cook 2015, with the
synaptic scaling of Touda & Okuno 2026) as Lava processes."""
from lava_wta.config import ConfigError, WTAConfig

__version__ = "0.1.0"
__all__ = ["ConfigError", "WTAConfig", "__version__"]
