#!/usr/bin/env bash
# Make the base kernel tree of $BASE: unpack its source into
# $BUILD/series/linux as a git repository whose first commit is the base,
# tagged base-<version> after the version the unpacked tree says it is, and
# add a second worktree, $BUILD/base/linux, detached at that tag.
#
# Source of the base, in order:
#   BASE_SOURCE=/path/linux-7.3.4.tar.xz   a kernel.org (or any) tarball
#   BASE_SOURCE=/path/to/linux             a directory, e.g. your own tree
#   (unset)                                Debian's $BASE_PACKAGE at exactly
#                                          $BASE_VERSION (lib.sh), downloaded
#                                          with a private apt configuration
# Does nothing if the tree already exists and was made from the same source;
# stops if it was made from another one.
source "$(dirname "$0")/lib.sh"

# What the base commit and the tree's config record as its source.
if [ -n "${BASE_SOURCE:-}" ]; then
	source_desc=$BASE_SOURCE
else
	source_desc="Debian $BASE_PACKAGE $BASE_VERSION"
fi

if [ -d "$REPO/.git" ]; then
	have=$(git -C "$REPO" config harness.baseSource || echo "an unrecorded source")
	[ "$have" = "$source_desc" ] ||
		die "$REPO was made from $have, not $source_desc: move $BUILD away, or name what it holds (BASE_VERSION=, BASE_SOURCE=)"
	require_repo
	exit 0
fi

# Debian's package is downloaded, not installed, through the project's own
# apt configuration (private_apt_update in lib.sh): bookworm machines can
# take trixie-backports' package (it is architecture "all": a tarball and
# its changelog).
# Prints the path of the downloaded .deb of $BASE_PACKAGE $BASE_VERSION.
download_debian_source() {
	set -e # not inherited by the $(...) this runs in
	local dir=$BUILD_ROOT/apt/$BASE downloads=$BUILD_ROOT/downloads opts deb
	mapfile -t opts < <(private_apt_opts "$BASE")
	deb=$downloads/${BASE_PACKAGE}_${BASE_VERSION/:/%3a}_all.deb
	if [ -f "$deb" ]; then
		echo "$deb"
		return
	fi
	mkdir -p "$downloads"
	private_apt_update "$BASE" "$BASE_ARCHIVE"
	# awk reads madison's whole output: "| grep -q" would exit at the first
	# match, and under pipefail madison's SIGPIPE would read as "missing"
	# (as it once did here, at random).
	local versions
	versions=$(apt-cache "${opts[@]}" madison "$BASE_PACKAGE" | awk -F' *[|] *' '{ printf " %s", $2 }')
	if [[ "$versions " != *" $BASE_VERSION "* ]]; then
		log "Debian's archive ($BASE_ARCHIVE) has no $BASE_PACKAGE $BASE_VERSION."
		log "It has:${versions:- no version of it}"
		die "name one of them: make <target> BASE=$BASE BASE_VERSION=<version>"
	fi
	log "downloading $BASE_PACKAGE $BASE_VERSION"
	(cd "$downloads" && apt-get -q "${opts[@]}" download "$BASE_PACKAGE=$BASE_VERSION" >"$dir/download.log" 2>&1) ||
		{ cat "$dir/download.log" >&2; die "apt-get download $BASE_PACKAGE=$BASE_VERSION failed"; }
	[ -f "$deb" ] || die "apt-get download did not write $deb"
	echo "$deb"
}

tmp=$BUILD/series/linux.tmp
rm -rf "$tmp" "$tmp.deb"
mkdir -p "$tmp"
if [ -n "${BASE_SOURCE:-}" ]; then
	log "unpacking $BASE_SOURCE"
	if [ -d "$BASE_SOURCE" ]; then
		rsync -a --exclude=/.git "$BASE_SOURCE"/ "$tmp"/
	else
		tar -xf "$BASE_SOURCE" -C "$tmp" --strip-components=1
	fi
	description="Imported from $BASE_SOURCE."
else
	deb=$(download_debian_source)
	# The package must be what its file name says.
	got=$(dpkg-deb -f "$deb" Package Version | sed 's/^[^:]*: //' | paste -sd' ')
	[ "$got" = "$BASE_PACKAGE $BASE_VERSION" ] || die "$deb holds $got, not $BASE_PACKAGE $BASE_VERSION"
	log "unpacking $BASE_PACKAGE.tar.xz from $(basename "$deb")"
	# No pipelines: tar stops reading at the end-of-archive marker, and
	# pipefail would take the writer's SIGPIPE on the padding for a failure.
	dpkg-deb -x "$deb" "$tmp.deb"
	tar -xJf "$tmp.deb/usr/src/$BASE_PACKAGE.tar.xz" -C "$tmp" --strip-components=1
	rm -rf "$tmp.deb"
	description="Imported from Debian's $BASE_PACKAGE $BASE_VERSION ($BASE_ARCHIVE):
upstream Linux $BASE_KERNEL_VERSION with the patches Debian applies to it
(the package says: \"$(dpkg-deb -f "$deb" Description | sed -n 1p)\")."
fi
[ -f "$tmp/Makefile" ] && [ -f "$tmp/mm/gup.c" ] || die "$source_desc does not look like a kernel tree"

# The version is the tree's own, never a constant of ours.
version=$(make -s --no-print-directory -C "$tmp" kernelversion)
case $version in
"${BASE_PACKAGE#linux-source-}".*) ;;
*) die "$source_desc is Linux $version, not ${BASE_PACKAGE#linux-source-} (BASE=$BASE)" ;;
esac
if [ -z "${BASE_SOURCE:-}" ] && [ "$version" != "$BASE_KERNEL_VERSION" ]; then
	die "Debian's $BASE_PACKAGE $BASE_VERSION unpacked as Linux $version, not $BASE_KERNEL_VERSION"
fi

log "making the git repository (Linux $version)"
git -C "$tmp" init -q -b series
# Debian's top-level .gitignore ignores everything but debian/ ("/*"), so
# the import has to force-add. The same holds for files the series adds:
# 'git add -f' them (series-export warns about untracked files).
git -C "$tmp" add -A -f
GIT_AUTHOR_NAME="Linux base" GIT_AUTHOR_EMAIL="base@localhost" \
GIT_COMMITTER_NAME="Linux base" GIT_COMMITTER_EMAIL="base@localhost" \
GIT_AUTHOR_DATE="$BASE_COMMIT_DATE" GIT_COMMITTER_DATE="$BASE_COMMIT_DATE" \
	git -C "$tmp" commit -q -m "Linux $version" -m "$description"
git -C "$tmp" tag "base-$version"
git -C "$tmp" config harness.baseSource "$source_desc"
mv "$tmp" "$REPO"

mkdir -p "$BUILD/base"
git -C "$REPO" worktree add -q --detach "$BUILD/base/linux" "base-$version"
log "base: $(git -C "$REPO" rev-parse --short "base-$version") (base-$version) from $source_desc"
