"""The worker's entry point (``python worker.py``); what it runs is in ``runtime/worker.py``."""

from runtime.worker import main

if __name__ == "__main__":
    main()
