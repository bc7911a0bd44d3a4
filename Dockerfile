# syntax=docker/dockerfile:1

# Browser assets from npm (Chart.js for the ranking charts) with the exact versions of
# package-lock.json, built in a throwaway stage: the image gets their files, not Node.js.
FROM python:3.13-slim-bookworm AS assets
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The portal's one image: gunicorn serves the web, and the same image runs the Celery worker
# and beat (see docker-compose.yml). WeasyPrint prints Chinese PDFs with Pango, HarfBuzz's
# subsetting library (without libharfbuzz-subset0 one notice takes ~20 s instead of ~0.5 s)
# and Debian's Noto CJK fonts, which have the bold weights and the rare name characters.
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings \
    PORTAL_VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media \
    STATIC_ROOT=/app/staticfiles \
    XDG_CACHE_HOME=/tmp/cache \
    WEB_CONCURRENCY=3

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fontconfig \
 && rm -rf /var/lib/apt/lists/* \
 && fc-cache -f

RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin portal

WORKDIR /app

# Requirements first, so that a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# Before collectstatic: portal/settings.py adds this directory to STATICFILES_DIRS when present.
COPY --from=assets /assets/node_modules/chart.js/dist ./node_modules/chart.js/dist

# Static files (hashed names, compressed, served by WhiteNoise) and the compiled translation
# catalogues are built into the image. The secret key below only lets production settings
# load for collectstatic; it is not kept in the image, and a container gets its own.
RUN DJANGO_DEBUG=0 \
    DJANGO_SECRET_KEY=build-time-only-dummy-key-for-collectstatic-never-used-to-sign-anything \
    python manage.py collectstatic --noinput \
 && if ls locale/*/LC_MESSAGES/django.po >/dev/null 2>&1; then \
      pybabel compile --statistics -d locale -D django; \
    else \
      echo "WARNING: no catalogues (locale/*/LC_MESSAGES/django.po) to compile"; \
    fi \
 && python manage.py check_pdf --strict \
 && mkdir -p /app/var/media \
 && chown -R portal:portal /app/var

USER portal
EXPOSE 8000

# Worker processes: gunicorn reads WEB_CONCURRENCY (about 2 × cores + 1; set it per host).
CMD ["gunicorn", "portal.wsgi", "-b", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]
