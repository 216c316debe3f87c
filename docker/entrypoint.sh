#!/bin/sh
# Entry point of the mlops-ci container (the GitHub docker action and the published image).
#
# GitHub mounts the checkout at /github/workspace owned by the runner's uid, not the container's,
# and git then refuses it ("detected dubious ownership"). Marking the workspace a safe.directory
# in the global git config fixes that without trusting every directory. When $HOME is not
# writable (a container run as an arbitrary uid gets HOME=/), the setting goes to a private
# global config file instead.
#
# With no arguments (how the action runs it) this is `mlops-ci action`, which reads the INPUT_*
# variables itself; with arguments it is the mlops-ci command line, e.g. `validate -c mlops.yaml`
# or `--version`.
#
# The runner starts this shell (PID 1) with the token in its environment (INPUT_GITHUB_TOKEN).
# `exec` replaces it with mlops-ci, which moves the token and every INPUT_* out of its
# environment block into an anonymous file and re-executes itself (mlops_ci/backends/handoff.py):
# from then on /proc/1/environ holds no secret. Nothing here may start a process that outlives
# this script while the token is in its environment.
set -eu

if ! { [ -n "${HOME:-}" ] && [ -d "$HOME" ] && [ -w "$HOME" ]; }; then
    GIT_CONFIG_GLOBAL="$(mktemp "${TMPDIR:-/tmp}/mlops-ci-gitconfig.XXXXXX")"
    export GIT_CONFIG_GLOBAL
fi

mark_safe() {
    [ -n "$1" ] || return 0
    if git config --global --get-all safe.directory 2>/dev/null | grep -Fqx -- "$1"; then
        return 0
    fi
    git config --global --add safe.directory "$1"
}

mark_safe /github/workspace
mark_safe "${GITHUB_WORKSPACE:-}"

if [ "$#" -eq 0 ]; then
    exec /opt/venv/bin/mlops-ci action
fi
exec /opt/venv/bin/mlops-ci "$@"
