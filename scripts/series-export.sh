#!/usr/bin/env bash
# Export the kernel tree's commits since the base to BASE's series ($PATCHES): git
# format-patch output with a cover letter, and the series file.
#
# File names are NNNN-subject.patch, and the output is stable (no commit
# hashes, no git version) so that re-exporting an unchanged series changes
# nothing. The cover letter comes from the series branch's description
# (git branch --edit-description series): its first line is the subject,
# the rest the body. series-apply.sh does not touch the description.
source "$(dirname "$0")/lib.sh"
require_repo

git -C "$REPO" diff --quiet HEAD || die "$REPO has uncommitted changes: commit them first"
# Debian's top-level .gitignore ignores everything, so git status hides new
# files: list untracked files whether ignored or not (kernels are built out
# of tree, so the source tree has no build output).
# The mm selftests build writes local_config.{h,mk} into the source tree.
untracked=$(git -C "$REPO" ls-files --others --directory | grep -v '^tools/testing/selftests/mm/local_config\.' | head -5 || true)
[ -z "$untracked" ] || log "warning: untracked files in $REPO (new files need 'git add -f'):$(printf '\n  %s' $untracked)"

count=$(git -C "$REPO" rev-list --count "$BASE_TAG..HEAD")
rm -f "$PATCHES"/*.patch
mkdir -p "$PATCHES"
if [ "$count" -gt 0 ]; then
	# --abbrev=12: git's default length follows the number of packed
	# objects, which differs between machines and after a gc.
	git -C "$REPO" format-patch -q --zero-commit --no-signature --abbrev=12 --base="$BASE_TAG" \
		--subject-prefix="PATCH v$SERIES_REVISION" \
		--cover-letter --cover-from-description=subject -o "$PATCHES" "$BASE_TAG..HEAD"
	# The cover letter is dated now; date it like the newest patch instead,
	# so that an unchanged series exports unchanged.
	newest=$(git -C "$REPO" log -1 --format=%aD "$BASE_TAG..HEAD")
	sed -i "0,/^Date: /s/^Date: .*/Date: $newest/" "$PATCHES/0000-cover-letter.patch"
	# A blank context line is a lone space, which reads as trailing
	# whitespace wherever the patch files themselves are diffed or
	# checked; git am takes an empty line as the same blank context.
	sed -i 's/^ $//' "$PATCHES"/*.patch
fi
{
	echo "# The series, in the order git am applies it (made by scripts/series-export.sh)."
	(cd "$PATCHES" && ls -1 -- *.patch 2>/dev/null | grep -v '^0000-cover-letter' || true)
} >"$PATCHES/series"
log "exported $count patches to $PATCHES"
