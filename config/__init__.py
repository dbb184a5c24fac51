"""exitflow's configuration: ``Settings`` from ``EXITFLOW_*`` variables, and the payload keys."""

from config.settings import VAR_DIR, Settings, get_settings

__all__ = ["VAR_DIR", "Settings", "get_settings"]
