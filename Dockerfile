# exitflow: one image for the worker and the API.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md config.py worker.py ./
COPY workflows ./workflows
COPY activities ./activities
COPY starter ./starter
RUN pip install . && useradd --system --uid 10001 exitflow
USER exitflow
CMD ["exitflow", "worker"]
