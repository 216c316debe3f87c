#!/bin/sh
# Install git into the final image, without what mlops-ci never runs: install-git.sh
#
# The real python:3.11-slim has no git (the local stand-in from scripts/base-image has it: then
# this does nothing). A plain `apt-get install git` adds about 100 MB, mostly Perl: git depends on
# perl for scripts mlops-ci never calls (send-email, svn, instaweb, the old add -i). dpkg's
# path-exclude leaves out, for this one install, Perl's modules and libperl (perl-base, which
# dpkg and debconf use, is already installed and untouched), git's servers and the transports
# other than smart HTTP(S) (daemon, shell, http-backend, http-push, dumb http-fetch, imap-send,
# scalar), gitweb, and docs, man pages and translations. What mlops-ci runs (for-each-ref, tag,
# push and fetch over https, rev-parse, show, cat-file, diff, apply, commit) is git's own binary
# and git-remote-https. The packages stay installed in dpkg's eyes, so apt keeps working in an
# image built on this one; the exclusions are removed afterwards and apply to nothing else.
set -eu

if command -v git >/dev/null; then
    echo "install-git: $(git --version) is already in the base image"
    exit 0
fi

excludes=/etc/dpkg/dpkg.cfg.d/mlops-ci-git
cat > "$excludes" <<'EXCLUDES'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/perl/*
path-exclude=/usr/lib/*/perl/*
path-exclude=/usr/lib/*/libperl.so*
path-exclude=/usr/share/perl5/*
path-exclude=/usr/share/gitweb/*
path-exclude=/usr/bin/scalar
path-exclude=/usr/bin/git-shell
path-exclude=/usr/lib/git-core/scalar
path-exclude=/usr/lib/git-core/git-shell
path-exclude=/usr/lib/git-core/git-daemon
path-exclude=/usr/lib/git-core/git-http-backend
path-exclude=/usr/lib/git-core/git-http-push
path-exclude=/usr/lib/git-core/git-http-fetch
path-exclude=/usr/lib/git-core/git-imap-send
EXCLUDES

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git >/dev/null
apt-get clean
rm -rf "$excludes" /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log \
    /var/cache/debconf/*-old /var/lib/dpkg/*-old
echo "install-git: installed $(git --version)"
