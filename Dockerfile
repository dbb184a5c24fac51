# exitflow: one image for the worker, the API and the codec server.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md config.py worker.py ./
COPY workflows ./workflows
COPY activities ./activities
COPY starter ./starter
RUN pip install . && useradd --system --uid 10001 exitflow
USER exitflow
# API (and its /metrics), codec server, worker metrics (EXITFLOW_METRICS_BIND).
EXPOSE 8000 8081 9464
CMD ["exitflow", "worker"]
