#!/usr/bin/env bash
# Series hygiene, one TAP line per check (lib/tap.sh):
#   - the series of BASE ($PATCHES) applies to the base with git am (series-apply.sh), and the
#     kernel tree's series branch is that result
#   - every patch has a Signed-off-by
#   - every patch passes scripts/checkpatch.pl --strict from the base tree,
#     except its reminder that a new file may need a MAINTAINERS entry:
#     instead, every file the series adds must have a maintainer in
#     MAINTAINERS (an existing F: pattern may cover it); and except
#     UNKNOWN_COMMIT_ID: the base comes from a release tarball, so it has no
#     upstream history to look a Fixes: tag's commit up in
source "$(dirname "$0")/lib.sh"
source "$PROJECT/lib/tap.sh"
require_repo
out=$BUILD/test
mkdir -p "$out"

tap_run "series: applies to $BASE_TAG with git am" "$out/series-apply.log" \
	"$PROJECT/scripts/series-apply.sh"

mapfile -t patches < <(series_patches)
if [ ${#patches[@]} -eq 0 ]; then
	tap_result skip "series: patches signed off and checkpatch --strict clean" "${PATCHES#"$PROJECT"/}/series is empty"
	exit 0
fi
for p in "${patches[@]}"; do
	name=$(basename "$p")
	if grep -q '^Signed-off-by: ' "$p"; then
		tap_result pass "series: $name: Signed-off-by"
	else
		tap_result fail "series: $name: Signed-off-by" "missing"
	fi
	tap_run "series: $name: checkpatch --strict" "$out/checkpatch-$name.log" \
		perl "$(tree_dir base)/scripts/checkpatch.pl" --root="$(tree_dir base)" \
		--strict --quiet --ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$p"
done

while read -r file; do
	# Captured first: "| grep -q" under pipefail could take the writer's
	# SIGPIPE for a failure.
	maintainers=$(cd "$REPO" && perl scripts/get_maintainer.pl --nogit --nogit-fallback -f "$file")
	if [[ $maintainers == *"(maintainer"* ]]; then
		tap_result pass "series: $file has a maintainer"
	else
		tap_result fail "series: $file has a maintainer" "no MAINTAINERS entry covers it"
	fi
done < <(git -C "$REPO" diff --diff-filter=A --name-only "$BASE_TAG" series)
[ "$tap_failed" -eq 0 ]
