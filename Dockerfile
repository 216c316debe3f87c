# The mlops-ci image: the GitHub docker action (action.yml builds it) and the image published to
# ghcr.io (.github/workflows/publish-image.yml). Works with BuildKit and the legacy builder.
#
# Python packages come from PyPI. For an offline build, put wheels in docker/wheels/ and pass
#   --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=/wheels
# which is what scripts/build-image does. Every stage uses the same base, so the venv's python
# link (/usr/local/bin/python3 in the real python:3.11-slim, /usr/bin/python3 in the local
# debootstrap stand-in from scripts/base-image) resolves in the final image.
#
# Two layers carry the Python code: the dependencies' venv (/opt/venv, large, changes only with
# the lock) and mlops-ci itself (/opt/app, small, on sys.path through a .pth file). A code change
# rebuilds and ships only the small one.
#
# Every Python package comes from a hash-locked file: docker/requirements.lock (pyproject.toml's
# dependencies and all they pull in, each at one version with the sha256 of every file PyPI has
# for it) and docker/build-requirements.lock (what builds mlops-ci itself). pip installs with
# --require-hashes, so a build gets the same bytes whatever PyPI publishes later. Both are made
# by scripts/image-lock from pyproject.toml; CI runs `scripts/image-lock --check` and fails when
# they are stale.
#
# The base is pinned by digest, so every build starts from the same bytes (a tag is moved to a
# new image with each Python patch and Debian update). The digest below is the multi-platform
# index of python:3.11-slim (3.11.16-slim) as published on Docker Hub. To update it:
#   docker buildx imagetools inspect python:3.11-slim   (the "Digest:" line; or docker pull, then
#   docker inspect --format '{{index .RepoDigests 0}}' python:3.11-slim)
# replace the digest below, rebuild, and run `pytest -m docker tests/docker`. Offline,
# scripts/build-image passes --build-arg BASE_IMAGE=python:3.11-slim for its local stand-in.
#
# The container runs as root: GitHub mounts the workspace owned by the runner's uid, and the
# entry point marks it a git safe.directory. Any other uid works too (docker run --user).
# mlops-ci itself runs as root; the repository's training command runs as the unprivileged
# user mlops-train (no home, no login, no groups), so it can read neither the token mlops-ci
# holds in memory, nor /proc/<mlops-ci>/environ, nor the runner's file-command files, nor a
# .git/config holding checkout's credential (docs/SECURITY.md, mlops_ci/backends/sandbox.py).
# Its uid is below 1000, never the runner's (1001 on GitHub's runners).

ARG BASE_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

FROM ${BASE_IMAGE} AS dependencies
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
# strip (binutils) for slim-venv.py; this stage only, the final image does not carry it.
RUN command -v strip >/dev/null || { apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils \
        >/dev/null \
    && rm -rf /var/lib/apt/lists/*; }
COPY docker/wheels/ /wheels/
COPY docker/slim-venv.py /usr/local/lib/mlops-ci-build/
COPY docker/requirements.lock /src/
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-compile --require-hashes --only-binary=:all: \
        -r /src/requirements.lock \
    && /opt/venv/bin/pip uninstall --quiet --yes pip setuptools wheel \
    && /opt/venv/bin/python /usr/local/lib/mlops-ci-build/slim-venv.py /opt/venv \
    && echo /opt/app > "$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/mlops-ci-app.pth" \
    && printf '#!/bin/sh\nexec /opt/venv/bin/python -m mlops_ci "$@"\n' > /opt/venv/bin/mlops-ci \
    && chmod 0755 /opt/venv/bin/mlops-ci

FROM dependencies AS app
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
COPY docker/build-requirements.lock /src/
RUN python3 -m venv /tmp/build-venv \
    && /tmp/build-venv/bin/pip install --quiet --require-hashes --only-binary=:all: \
        -r /src/build-requirements.lock
COPY pyproject.toml README.md /src/
COPY mlops_ci/ /src/mlops_ci/
RUN /tmp/build-venv/bin/pip install --quiet --no-compile --no-deps --no-build-isolation \
        --target /opt/app /src \
    && rm -rf /opt/app/bin \
    && /opt/venv/bin/python -m compileall -q --invalidation-mode unchecked-hash /opt/app \
    && /opt/venv/bin/python -c "import importlib, pkgutil, mlops_ci; \
[importlib.import_module(m.name) for m in pkgutil.walk_packages(mlops_ci.__path__, 'mlops_ci.') \
 if m.name != 'mlops_ci.__main__']"

FROM ${BASE_IMAGE}
# The real python:3.11-slim has no git: install-git.sh adds it without Perl (about 17 MB, not
# 100). The local stand-in has git, so this is a no-op offline.
COPY docker/install-git.sh /usr/local/lib/mlops-ci-build/
RUN sh /usr/local/lib/mlops-ci-build/install-git.sh && rm -r /usr/local/lib/mlops-ci-build
# The OpenMP runtime (libgomp1: a 1.5 MB layer): LightGBM's wheels, which a project's
# requirements.txt may bring for training and serving, load the system's (scikit-learn's wheels
# carry their own). Without it a LightGBM model fails to load: "libgomp.so.1: cannot open".
RUN if ! ldconfig -p | grep -q 'libgomp\.so\.1 '; then \
        apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libgomp1 \
            >/dev/null \
        && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin; \
    fi
COPY --from=dependencies /opt/venv /opt/venv
COPY --from=app /opt/app /opt/app
COPY docker/entrypoint.sh /usr/local/bin/mlops-ci-entrypoint
RUN useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        --user-group mlops-train
# MLOPS_CI_IMAGE: the docker deploy backend builds serving images FROM this container's own
# image (mlops_ci/deploy/own_image.py).
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 MLOPS_CI_IMAGE=1
ENTRYPOINT ["/bin/sh", "/usr/local/bin/mlops-ci-entrypoint"]
