# Shared settings and helpers for the host-side scripts. Source it, don't run it.
#
# BASE names the kernel the series is applied to (docs/harness.md, "Bases"):
#   mainline  Debian's linux-source-7.3 from trixie-backports: upstream
#             7.3.4 with Debian's patches. Its series is patches/.
#   6.12      Debian's linux-source-6.12 from bookworm-security: the LTS
#             backport, backports/6.12/.
# BASE_VERSION= takes another version of the same Debian package (a newer
# 6.12.y, say); it gets a build directory of its own.
#
# Layout under $BUILD ($BUILD_ROOT/$BASE, ignored by git):
#   series/linux        the kernel git tree you work in (branch "series")
#   base/linux          a worktree of the same repository, detached at the base tag
#   <tree>/obj-<config> object directories, one per kernel tree and config
#   <tree>/selftests    selftests built from that tree
#   runs/               one directory per guest boot (console log, scratch disks, results)
# base/ and series/ have the same shape on purpose: with CCACHE_BASEDIR the
# compiler command lines of the two trees are identical, so a file the series
# does not touch is compiled once for both (and once for every BASE_VERSION
# of one base).

set -euo pipefail

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

PROJECT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_ROOT=${BUILD_ROOT:-$PROJECT/build}
# Absolute: kernel builds, apt and the guest's 9p mount take it from other
# directories.
case $BUILD_ROOT in
/*) ;;
*) BUILD_ROOT=$PWD/$BUILD_ROOT ;;
esac
# The layout before there were two bases kept the trees in build/series.
if [ -d "$BUILD_ROOT/series/linux/.git" ]; then
	die "$BUILD_ROOT has the old one-base layout ($BUILD_ROOT/series/linux): export any work in it
(make export with the old harness), then remove $BUILD_ROOT/{series,base,check,runs,test,bench}
and any tree of your own there; the harness remakes them under $BUILD_ROOT/BASE/"
fi

# The default base is mainline, the kernel the series is posted against.
BASE=${BASE:-mainline}
case $BASE in
mainline)
	BASE_PACKAGE=linux-source-7.3
	BASE_DEFAULT_VERSION=7.3.4-1~bpo13+1
	BASE_ARCHIVE="http://deb.debian.org/debian trixie-backports main"
	PATCHES=$PROJECT/patches
	# The revision of the series as posted: "[PATCH vN NN/MM]".
	SERIES_REVISION=9
	;;
6.12)
	BASE_PACKAGE=linux-source-6.12
	BASE_DEFAULT_VERSION=6.12.117-1~deb12u1
	BASE_ARCHIVE="http://deb.debian.org/debian-security bookworm-security main"
	PATCHES=$PROJECT/backports/6.12
	SERIES_REVISION=9
	;;
*) die "unknown BASE '$BASE' (mainline or 6.12)" ;;
esac
BASE_VERSION=${BASE_VERSION:-$BASE_DEFAULT_VERSION}
# The kernel a Debian version holds: 6.12.117-1~deb12u1 is Linux 6.12.117.
BASE_KERNEL_VERSION=${BASE_VERSION%%-*}
export BASE BASE_VERSION
if [ "$BASE_VERSION" = "$BASE_DEFAULT_VERSION" ]; then
	BUILD=$BUILD_ROOT/$BASE
else
	BUILD=$BUILD_ROOT/$BASE_KERNEL_VERSION
fi
REPO=$BUILD/series/linux

# Fixed commit identity and dates for the base commit, so that its hash is the
# same on every machine and the patches can name it in base-commit.
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

# tree_dir base|series|NAME -> the kernel source tree of that variant.
# base and series are the harness's own; NAME is any other tree under
# $BUILD/NAME/linux, e.g. a worktree of the series cut before a fix, to show
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

# Packages the machine's archive does not have (Debian's kernel source from
# trixie-backports, trixie's b4) are downloaded, not installed, through an
# apt configuration of our own under $BUILD_ROOT/apt/NAME: the machine's
# sources, lists and pinning stay as they are. apt.conf there drops the
# machine's update hooks (appstream, packagekit), which would act on the
# machine's own lists.
# private_apt_opts NAME: apt's options for NAME's configuration, one a line.
private_apt_opts() {
	local dir=$BUILD_ROOT/apt/$1
	printf '%s\n' -c "$dir/apt.conf" -o "Dir::Etc::sourcelist=$dir/sources.list" \
		-o Dir::Etc::sourceparts=/dev/null \
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" \
		-o APT::Sandbox::User=root -o Debug::NoLocking=1
}

# private_apt_update NAME ARCHIVE: NAME's configuration reads ARCHIVE
# ("URL SUITE COMPONENT"); fetch its lists.
private_apt_update() {
	local dir=$BUILD_ROOT/apt/$1 opts
	mapfile -t opts < <(private_apt_opts "$1")
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $2" >"$dir/sources.list"
	printf '%s\n' '#clear APT::Update::Pre-Invoke;' '#clear APT::Update::Post-Invoke;' \
		'#clear APT::Update::Post-Invoke-Success;' >"$dir/apt.conf"
	log "reading Debian's archive: $2"
	apt-get -q "${opts[@]}" update >"$dir/update.log" 2>&1 ||
		{ cat "$dir/update.log" >&2; die "apt-get update of $2 failed"; }
}

# The patch files named by $PATCHES/series, in order, one per line.
series_patches() {
	[ -f "$PATCHES/series" ] || return 0
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$PATCHES/series" | sed "s|^|$PATCHES/|"
}

# Checks that the kernel tree exists, and sets BASE_TAG to its base tag,
# base-<the version of the tree unpacked> (get-base.sh).
require_repo() {
	[ -d "$REPO/.git" ] || die "no kernel tree at $REPO: run 'make base BASE=$BASE' first"
	BASE_TAG=$(git -C "$REPO" tag -l 'base-*')
	case $BASE_TAG in
	"" | *$'\n'*) die "$REPO has no single base-<version> tag (found: ${BASE_TAG:-none})" ;;
	esac
}
