# The ettametta image: the bot and the workers run from it (docker-compose.yml, docs/deployment.md).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data

# The run-time Debian packages (ffmpeg, espeak-ng, the caption fonts, OpenCV's libraries): one
# list, which scripts/setup.sh and scripts/check_image.sh read too.
COPY scripts/debian-runtime-packages.txt /tmp/debian-runtime-packages.txt
RUN apt-get update \
    && grep -v '^#' /tmp/debian-runtime-packages.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/debian-runtime-packages.txt

RUN useradd --create-home --uid 1000 ettametta && install -d -o ettametta -g ettametta -m 0700 /data

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY core ./core
COPY workers ./workers
COPY migrations ./migrations
RUN pip install .

USER ettametta
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["ettametta"]
CMD ["run"]
