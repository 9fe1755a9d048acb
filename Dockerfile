# The ettametta image: the bot and the workers run from it (docker-compose.yml, docs/deployment.md).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data

# ffmpeg (Debian's build can use NVENC when the NVIDIA runtime mounts the driver), espeak-ng,
# the caption fonts, and libgl1/libglib2.0-0 for OpenCV, which the face detector loads.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg espeak-ng fonts-inter fonts-dejavu-core \
        fonts-symbola fontconfig libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 ettametta && mkdir -p /data && chown ettametta:ettametta /data

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
