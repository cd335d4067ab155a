# Shared settings and helpers for the host-side scripts. Source it, don't run it.
#
# Layout under $BUILD (ignored by git):
#   series/linux        the kernel git tree you work in (branch "series")
#   base/linux          a worktree of the same repository, detached at the base tag
#   <tree>/obj-<config> object directories, one per kernel tree and config
#   <tree>/selftests    selftests built from that tree
#   runs/               one directory per guest boot (console log, scratch disks, results)
# base/ and series/ have the same shape on purpose: with CCACHE_BASEDIR the
# compiler command lines of the two trees are identical, so a file the series
# does not touch is compiled once for both.

set -euo pipefail

PROJECT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$PROJECT/build}
PATCHES=$PROJECT/patches
REPO=$BUILD/series/linux

# The base: Debian's linux-source-6.12, the one kernel source every machine here can install.
BASE_PACKAGE=linux-source-6.12
BASE_VERSION=6.12.117-1~deb12u1
BASE_TARBALL=/usr/src/linux-source-6.12.tar.xz
BASE_TAG=base-6.12.117

# The revision of the series as posted: patches/ is "[PATCH vN NN/MM]".
SERIES_REVISION=3

# Fixed commit identity and dates for the base commit, so that its hash is the
# same on every machine and patches/ can name it in base-commit.
BASE_COMMIT_DATE="2025-11-14T12:00:00Z"

export CCACHE_BASEDIR=$BUILD
export CCACHE_NOHASHDIR=1
# Generated headers are always newer than the build start; let direct mode
# hit anyway (nothing edits sources while a build runs).
export CCACHE_SLOPPINESS=include_file_mtime,include_file_ctime
export KBUILD_BUILD_TIMESTAMP="$BASE_COMMIT_DATE"
export KBUILD_BUILD_USER=pin
export KBUILD_BUILD_HOST=harness

JOBS=${JOBS:-$(nproc)}

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# tree_dir base|series|NAME -> the kernel source tree of that variant.
# base and series are the harness's own; NAME is any other tree under
# build/NAME/linux, e.g. a worktree of the series cut before a fix, to show
# what a test does without it.
tree_dir() {
	case $1 in
	base | series) echo "$BUILD/$1/linux" ;;
	*) [ -n "$1" ] && [ -d "$BUILD/$1/linux" ] ||
		die "unknown kernel tree '$1' (base, series, or a tree in $BUILD/NAME/linux)"
		echo "$BUILD/$1/linux" ;;
	esac
}

# obj_dir base|series CONFIG -> its object directory
obj_dir() { echo "$BUILD/$1/obj-$2"; }

# The patch files named by patches/series, in order, one per line.
series_patches() {
	[ -f "$PATCHES/series" ] || return 0
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$PATCHES/series" | sed "s|^|$PATCHES/|"
}

require_repo() {
	[ -d "$REPO/.git" ] || die "no kernel tree at $REPO: run 'make base' first"
}
