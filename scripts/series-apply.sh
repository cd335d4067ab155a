#!/usr/bin/env bash
# Apply BASE's series ($PATCHES, in the order of its series file) onto the
# base with git am, and make the kernel tree's "series" branch that result.
#
# The patches are first applied in a scratch worktree ($BUILD/check/linux),
# which is also the check that they apply cleanly. The series branch is then
# moved there only if that loses nothing: it is still at the base, or it
# already has the same tree. If it holds work that $PATCHES does not (commits
# not exported, or uncommitted changes), this stops and says so; FORCE=1
# discards that work.
source "$(dirname "$0")/lib.sh"
require_repo

# The cover letter's subject and text (up to git's shortlog) become the
# series branch's description, from which series-export.sh writes it again.
set_description_from_cover_letter() {
	local cover=$PATCHES/0000-cover-letter.patch
	[ -f "$cover" ] || return 0
	local description
	description=$(awk '
		!body && /^Subject: / { sub(/^Subject: (\[[^]]*\] )?/, ""); subject = $0; insubj = 1; next }
		!body && insubj && /^[ \t]/ { sub(/^[ \t]+/, " "); subject = subject $0; next }
		!body && /^$/ { body = 1; print subject; print ""; next }
		!body { insubj = 0; next }
		/^[^ ].* \([0-9]+\):$/ { exit }
		{ print }
	' "$cover")
	git -C "$REPO" config branch.series.description "$description"
}

check=$BUILD/check/linux
if [ ! -d "$check" ]; then
	mkdir -p "$BUILD/check"
	git -C "$REPO" worktree add -q --detach "$check" "$BASE_TAG"
fi
git -C "$check" am --abort >/dev/null 2>&1 || true
git -C "$check" checkout -q -f --detach "$BASE_TAG"
git -C "$check" clean -q -fdx

mapfile -t patches < <(series_patches)
if [ ${#patches[@]} -gt 0 ]; then
	git -C "$check" am -q --keep-cr "${patches[@]}" || {
		git -C "$check" am --abort >/dev/null 2>&1 || true
		die "the series does not apply to $BASE_TAG (see git am's message above)"
	}
fi
applied=$(git -C "$check" rev-parse HEAD)
log "${#patches[@]} patches apply cleanly to $BASE_TAG"

current=$(git -C "$REPO" rev-parse HEAD)
if [ "$(git -C "$REPO" rev-parse "HEAD^{tree}")" = "$(git -C "$check" rev-parse "HEAD^{tree}")" ] &&
	git -C "$REPO" diff --quiet HEAD; then
	log "the series branch already matches ${PATCHES#"$PROJECT"/}/"
	exit 0
fi
if [ "${FORCE:-0}" != 1 ]; then
	git -C "$REPO" diff --quiet HEAD ||
		die "$REPO has uncommitted changes: commit and 'make export', or FORCE=1 to discard them"
	[ "$current" = "$(git -C "$REPO" rev-parse "$BASE_TAG")" ] ||
		die "$REPO has commits that ${PATCHES#"$PROJECT"/}/ lacks: 'make export' them, or FORCE=1 to discard them"
fi
git -C "$REPO" checkout -q -B series
git -C "$REPO" reset -q --hard "$applied"
set_description_from_cover_letter
log "series branch of $REPO is now the applied series"
