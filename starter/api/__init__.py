"""exitflow's HTTP API (contract section 3), over the session workflows and the store."""

from starter.api.app import create_app

__all__ = ["create_app"]
