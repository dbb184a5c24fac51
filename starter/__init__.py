"""What starts and talks to workflows: the ``exitflow`` CLI, the embedded stack, the API."""
