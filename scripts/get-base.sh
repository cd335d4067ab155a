#!/usr/bin/env bash
# Make the base kernel tree: unpack the 6.12 source into $BUILD/series/linux as
# a git repository whose first commit is the base (tagged $BASE_TAG), and add
# a second worktree, $BUILD/base/linux, detached at that tag.
#
# Source of the base, in order:
#   BASE_SOURCE=/path/linux-6.12.117.tar.xz   a kernel.org (or any) tarball
#   BASE_SOURCE=/path/to/linux                 a directory, e.g. your own tree
#   (unset)                                    Debian's linux-source-6.12,
#                                              installed from the archive if needed
# Does nothing if the tree already exists (delete $BUILD/series and $BUILD/base to redo).
source "$(dirname "$0")/lib.sh"

if [ -d "$REPO/.git" ]; then
	git -C "$REPO" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null ||
		die "$REPO exists but has no tag $BASE_TAG: move it away and rerun"
	exit 0
fi

install_debian_source() {
	local have
	have=$(dpkg-query -W -f='${Version}' "$BASE_PACKAGE" 2>/dev/null || true)
	[ "$have" = "$BASE_VERSION" ] && [ -f "$BASE_TARBALL" ] && return
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -q
	# Not "| grep -q": grep exits at the first match, and under pipefail
	# madison's SIGPIPE would then read as "not in the archive".
	if apt-cache madison "$BASE_PACKAGE" | grep -c " $BASE_VERSION " >/dev/null; then
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$BASE_PACKAGE=$BASE_VERSION"
	else
		log "WARNING: $BASE_PACKAGE $BASE_VERSION is not in the archive any more;"
		log "WARNING: using the newest 6.12 it has. Results will not match the README's."
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$BASE_PACKAGE"
	fi
}

source_desc=
if [ -n "${BASE_SOURCE:-}" ]; then
	source_desc="$BASE_SOURCE"
else
	install_debian_source
	BASE_SOURCE=$BASE_TARBALL
	source_desc="Debian $BASE_PACKAGE $(dpkg-query -W -f='${Version}' "$BASE_PACKAGE")"
fi

tmp=$BUILD/series/linux.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
log "unpacking $BASE_SOURCE"
if [ -d "$BASE_SOURCE" ]; then
	rsync -a --exclude=/.git "$BASE_SOURCE"/ "$tmp"/
else
	tar -xf "$BASE_SOURCE" -C "$tmp" --strip-components=1
fi
[ -f "$tmp/Makefile" ] && [ -f "$tmp/mm/gup.c" ] || die "$BASE_SOURCE does not look like a kernel tree"
version=$(make -s -C "$tmp" kernelversion)
case $version in
6.12.*) ;;
*) die "$BASE_SOURCE is Linux $version, not 6.12" ;;
esac

log "making the git repository (Linux $version)"
git -C "$tmp" init -q -b series
# Debian's top-level .gitignore ignores everything but debian/ ("/*"), so
# the import has to force-add. The same holds for files the series adds:
# 'git add -f' them (series-export warns about untracked files).
git -C "$tmp" add -A -f
GIT_AUTHOR_NAME="Linux base" GIT_AUTHOR_EMAIL="base@localhost" \
GIT_COMMITTER_NAME="Linux base" GIT_COMMITTER_EMAIL="base@localhost" \
GIT_AUTHOR_DATE="$BASE_COMMIT_DATE" GIT_COMMITTER_DATE="$BASE_COMMIT_DATE" \
	git -C "$tmp" commit -q -m "Linux $version" -m "Imported from $source_desc."
git -C "$tmp" tag "$BASE_TAG"
mv "$tmp" "$REPO"

mkdir -p "$BUILD/base"
git -C "$REPO" worktree add -q --detach "$BUILD/base/linux" "$BASE_TAG"
log "base: $(git -C "$REPO" rev-parse --short "$BASE_TAG") ($BASE_TAG) from $source_desc"
