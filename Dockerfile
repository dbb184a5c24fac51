# exitflow: one image for the worker, the API and the codec server.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md worker.py ./
COPY activities ./activities
COPY config ./config
COPY contract ./contract
COPY devstack ./devstack
COPY links ./links
COPY reports ./reports
COPY runtime ./runtime
COPY sessions ./sessions
COPY starter ./starter
COPY store ./store
COPY workflows ./workflows
RUN pip install . && useradd --system --uid 10001 exitflow
USER exitflow
# API (and its /metrics), codec server, worker metrics (EXITFLOW_METRICS_BIND).
EXPOSE 8000 8081 9464
CMD ["exitflow", "worker"]
