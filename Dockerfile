# Slotwise's image: `docker compose up` builds it (docs/deploy.md).
# Three stages: the front-end stage fetches the admin panel's npm libraries (exact versions from
# admin/frontend/package-lock.json); the build stage installs the locked dependencies
# (requirements/run.txt, hashes checked), vendors those libraries into admin/static/vendor and
# compiles the translation catalogs; the runtime stage copies the result onto a fresh slim base
# and runs as a user without rights over the code.

ARG PYTHON_VERSION=3.11

# The admin panel's front-end libraries, from npm at the exact versions of its lock file.
FROM node:20-bookworm-slim AS frontend
WORKDIR /app
COPY admin/frontend/package.json admin/frontend/package-lock.json admin/frontend/
RUN npm ci --prefix admin/frontend --ignore-scripts --no-audit --no-fund

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/slotwise
WORKDIR /app
COPY requirements/run.txt requirements/run.txt
RUN /opt/slotwise/bin/pip install --require-hashes --no-deps -r requirements/run.txt
COPY pyproject.toml README.md babel.cfg ./
COPY slotwise slotwise
COPY core core
COPY bot bot
COPY channels channels
COPY admin admin
COPY migrations migrations
COPY locales locales
COPY tools/vendor.py tools/vendor.py
COPY --from=frontend /app/admin/frontend/node_modules admin/frontend/node_modules
# Editable on purpose: the catalogs are found beside the packages (/app/locales).
RUN /opt/slotwise/bin/python tools/vendor.py && rm -rf admin/frontend/node_modules \
    && /opt/slotwise/bin/pip install --no-deps --no-build-isolation -e . \
    && /opt/slotwise/bin/pybabel compile -d locales --statistics \
    && /opt/slotwise/bin/python -m compileall -q slotwise core bot channels admin migrations

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
# postgresql-client: pg_dump and pg_restore for `slotwise backup` and `slotwise restore`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin slotwise
COPY --from=build /opt/slotwise /opt/slotwise
COPY --from=build /app /app
# The code belongs to root and cannot be changed by the server; only data/ is its own
# (the generated secret key when SLOTWISE_SECRET_KEY is unset, backups, SQLite).
RUN mkdir -p /app/data && chown slotwise:slotwise /app/data
WORKDIR /app
USER slotwise
ENV PATH=/opt/slotwise/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SLOTWISE_HOST=0.0.0.0
EXPOSE 8000
VOLUME ["/app/data"]
CMD ["slotwise", "serve"]
