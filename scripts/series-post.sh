#!/usr/bin/env bash
# The postings of BASE's series: the sub-series that maintainers take, in
# the order they must land. 63 patches for mm, fs, block, RDMA and a dozen
# driver trees is not one posting.
#   series-post.sh            write each posting to $BUILD/postings/NN-NAME/
#   series-post.sh --update   first set the To: and Cc: lines of the cover
#                             files from the base tree's scripts/get_maintainer.pl
#   series-post.sh --check    write them, then check them (TAP; make test runs it)
#
# A posting is $PATCHES/postings/NN-NAME.cover, NN its place in the landing
# order. Its header lines, then a blank line, then the cover letter's body:
#   Patches: FIRST-LAST      its patches, numbered as in $PATCHES/series
#   Builds-on: N             optional: it needs only patches 1..N (0: the base
#                            alone), not every patch before it; it is made by
#                            cherry-picking it there, and names only those
#                            in prerequisite-patch-id
#   Recipients: per-patch    optional: each patch goes to its own maintainers,
#                            the cover letter to all of them
#   Also-Cc-of: FILE...      optional: Cc everyone get_maintainer.pl names for
#                            these files too (mm/gup.c: the pin API's people)
#   To: ...                  the maintainers (get_maintainer.pl --m)
#   Cc: ...                  reviewers and lists (--r --l) not already in To
#   Subject: ...             the cover letter's, without "[PATCH vN 0/n]"
# Each posting is git format-patch output: [PATCH vN k/n], the cover letter,
# and base-commit with a prerequisite-patch-id for every patch of the series
# it builds on (by default, every one before it), which is how b4 and the
# maintainers' tools find what a posting needs. Diffs are made as git's
# internal patch-id makes the ids --base prints (Myers, no indent
# heuristic, 3 lines of context, hunks not merged), whatever the user's
# git configuration: an id must be what "git patch-id --stable" gives for
# the diff that was posted. Every mode replaces $BUILD/postings.
source "$(dirname "$0")/lib.sh"
source "$PROJECT/lib/tap.sh"
require_repo

mode=${1:-write}
case $mode in
write | --update | --check) ;;
*) die "usage: series-post.sh [--update | --check]" ;;
esac

src=$(tree_dir base)
out=$BUILD/postings
covers=("$PATCHES"/postings/*.cover)
[ -f "${covers[0]}" ] || die "no postings in $PATCHES/postings"
mapfile -t patch_files < <(series_patches)
mapfile -t commits < <(git -C "$REPO" rev-list --reverse "$BASE_TAG..series")
[ ${#commits[@]} -eq ${#patch_files[@]} ] ||
	die "the series branch has ${#commits[@]} commits, $PATCHES/series ${#patch_files[@]}: run make apply"

# header FILE NAME: the value of a cover file's header line NAME.
header() { sed -n "/^\$/q; s/^$2: //p" "$1"; }

# recipients to|cc COVER PATCH...: get_maintainer.pl's maintainers of the
# patches, or their reviewers and lists and everyone it names for the
# cover's Also-Cc-of files, less the maintainers; one comma-separated line.
recipients() {
	local which=$1 cover=$2 to also
	shift 2
	local gm=(perl "$src/scripts/get_maintainer.pl" --no-git --no-git-fallback --no-rolestats --nofixes)
	to=$(cd "$src" && "${gm[@]}" --m --nor --nol "$@" | awk '!seen[$0]++')
	if [ "$which" = to ]; then
		printf '%s\n' "$to" | paste -sd, | sed 's/,/, /g'
		return
	fi
	read -ra also <<<"$(header "$cover" Also-Cc-of)"
	{
		(cd "$src" && "${gm[@]}" --nom --r --l "$@")
		[ ${#also[@]} -eq 0 ] || (cd "$src" && "${gm[@]}" -f "${also[@]}")
	} | awk -v to="$to" '
		BEGIN { n = split(to, m, "\n"); for (i = 1; i <= n; i++) skip[m[i]] = 1 }
		!skip[$0] && !seen[$0]++' | paste -sd, | sed 's/,/, /g'
}

# patch_commit N: the series branch's commit of patch N (0: the base).
patch_commit() {
	if [ "$1" -eq 0 ]; then echo "$BASE_TAG"; else echo "${commits[$1 - 1]}"; fi
}

# The patch files of a posting: range FIRST-LAST.
range_files() {
	local first=${1%-*} last=${1#*-}
	printf '%s\n' "${patch_files[@]:first-1:last-first+1}"
}

if [ "$mode" = --update ]; then
	for cover in "${covers[@]}"; do
		mapfile -t files < <(range_files "$(header "$cover" Patches)")
		to=$(recipients to "$cover" "${files[@]}")
		cc=$(recipients cc "$cover" "${files[@]}")
		awk -v to="$to" -v cc="$cc" '
			!body && /^To: / { print "To: " to; next }
			!body && /^Cc: / { print "Cc: " cc; next }
			/^$/ { body = 1 }
			{ print }' "$cover" >"$cover.new" && mv "$cover.new" "$cover"
		log "recipients of $(basename "$cover") set"
	done
fi

# fold_addresses LIST: a header value, one address per line as git format-patch does.
fold_addresses() { echo "${1//, /,$'\n'    }"; }

# insert_headers PATCH TO CC: add To: and Cc: before the end of its headers.
insert_headers() {
	local patch=$1 headers
	[ -n "$2$3" ] || return 0
	headers=
	[ -z "$2" ] || headers="To: $(fold_addresses "$2")"
	[ -z "$3" ] || headers+="${headers:+$'\n'}Cc: $(fold_addresses "$3")"
	awk -v h="$headers" '!done && /^$/ { print h; done = 1 } { print }' "$patch" >"$patch.new" &&
		mv "$patch.new" "$patch"
}

rm -rf "$out"
mkdir -p "$out"
worktree=$BUILD/postings-tree
git -C "$REPO" worktree remove --force "$worktree" 2>/dev/null || rm -rf "$worktree"
git -C "$REPO" worktree prune
trap 'git -C "$REPO" worktree remove --force "$worktree" 2>/dev/null || true' EXIT

for cover in "${covers[@]}"; do
	name=$(basename "$cover" .cover)
	range=$(header "$cover" Patches)
	first=${range%-*} last=${range#*-}
	dir=$out/$name
	from=$BASE_TAG
	[ "$first" -eq 1 ] || from=${commits[first - 2]}
	tree=$REPO rev_range=$from..${commits[last - 1]}
	builds_on=$(header "$cover" Builds-on)
	if [ -n "$builds_on" ]; then
		[[ $builds_on =~ ^[0-9]+$ ]] && [ "$builds_on" -lt "$first" ] ||
			die "$name: Builds-on: '$builds_on' is not a patch number below $first"
	fi
	if [ -n "$builds_on" ] && [ "$builds_on" -ne $((first - 1)) ]; then
		# Made where it builds on, so that it names no other prerequisite.
		onto=$(patch_commit "$builds_on")
		git -C "$REPO" worktree add -q --detach "$worktree" "$onto"
		git -C "$worktree" -c user.name=post -c user.email=post@localhost \
			cherry-pick "$rev_range" >/dev/null 2>&1 ||
			die "$name: does not apply on patches 1-$builds_on alone"
		tree=$worktree rev_range=$onto..HEAD
	fi
	addresses=()
	if [ "$(header "$cover" Recipients)" != per-patch ]; then
		IFS=, read -ra to <<<"$(header "$cover" To)"
		IFS=, read -ra cc <<<"$(header "$cover" Cc)"
		for a in "${to[@]}"; do addresses+=(--to="${a# }"); done
		for a in "${cc[@]}"; do addresses+=(--cc="${a# }"); done
	fi
	git -C "$tree" -c diff.algorithm=myers -c diff.indentHeuristic=false -c diff.context=3 \
		-c diff.interHunkContext=0 format-patch -q --zero-commit --no-signature --abbrev=12 \
		--base="$BASE_TAG" --subject-prefix="PATCH v$SERIES_REVISION" \
		--cover-letter --thread=shallow "${addresses[@]}" -o "$dir" "$rev_range"
	[ "$tree" = "$REPO" ] || git -C "$REPO" worktree remove --force "$worktree"
	# The cover letter: its subject and body from the cover file.
	subject=$(header "$cover" Subject)
	sed -n '/^$/,$p' "$cover" | sed 1d >"$dir/.body"
	# The subject through ENVIRON: -v would expand its backslashes.
	SUBJECT=$subject awk -v body="$dir/.body" '
		i = index($0, "*** SUBJECT HERE ***") {
			$0 = substr($0, 1, i - 1) ENVIRON["SUBJECT"] substr($0, i + length("*** SUBJECT HERE ***"))
		}
		/^\*\*\* BLURB HERE \*\*\*$/ { while ((getline line < body) > 0) print line; next }
		{ print }' "$dir"/0000-cover-letter.patch >"$dir/.cover" &&
		mv "$dir/.cover" "$dir/0000-cover-letter.patch"
	rm "$dir/.body"
	if [ "$(header "$cover" Recipients)" = per-patch ]; then
		for patch in "$dir"/0*.patch; do
			[ "$(basename "$patch")" != 0000-cover-letter.patch ] || continue
			insert_headers "$patch" "$(recipients to "$cover" "$patch")" "$(recipients cc "$cover" "$patch")"
		done
		insert_headers "$dir/0000-cover-letter.patch" "$(header "$cover" To)" "$(header "$cover" Cc)"
	fi
	# One mbox per posting, in order, for git am and b4.
	cat "$dir"/0*.patch >"$dir.mbox"
done
log "wrote ${#covers[@]} postings to $out"
[ "$mode" = --check ] || exit 0

# The checks.
b4=$("$PROJECT/scripts/get-b4.sh")
b4_version=$("$b4" --version)
base_commit=$(git -C "$REPO" rev-parse "$BASE_TAG^{commit}")

# b4_am MBOX N: b4 (offline, in the kernel tree, so that it can find the
# base-commit) parses all N patches of the mbox and knows its base.
# b4 am neither applies them nor resolves prerequisites: apply_postings
# and the prerequisite check below do.
b4_am() {
	local b4_out
	rm -rf "$1.b4"
	b4_out=$(cd "$REPO" && "$b4" --offline-mode am --no-add-trailers -o "$1.b4" -m "$1" 2>&1) || {
		echo "$b4_out"
		return 1
	}
	echo "$b4_out"
	grep -q "^Total patches: $2\$" <<<"$b4_out" &&
		grep -q "^ *Base: using specified base-commit $base_commit\$" <<<"$b4_out"
}

# The stable patch-id of each patch of each posting, as a maintainer's
# tools compute it from the mail: "ID POSTING".
posted_ids() {
	local cover posting patch
	for cover in "${covers[@]}"; do
		posting=$(basename "$cover" .cover)
		for patch in "$out/$posting"/0*.patch; do
			[ "$(basename "$patch")" != 0000-cover-letter.patch ] || continue
			git patch-id --stable <"$patch" | awk -v p="$posting" '{ print $1, p }'
		done
	done
}

# prerequisites_resolve POSTING: every prerequisite-patch-id it names is
# the patch-id of a patch posted in an earlier posting ($ids).
prerequisites_resolve() {
	local id bad=0
	while read -r id; do
		if ! awk -v id="$id" -v me="$1" '$1 "" == id "" && $2 < me { found = 1 } END { exit !found }' <<<"$ids"; then
			echo "prerequisite-patch-id $id is no patch of an earlier posting"
			bad=1
		fi
	done < <(sed -n 's/^prerequisite-patch-id: //p' "$out/$1/0000-cover-letter.patch")
	return $bad
}

ids=$(posted_ids)
expected=1
for cover in "${covers[@]}"; do
	name=$(basename "$cover" .cover)
	range=$(header "$cover" Patches)
	first=${range%-*} last=${range#*-}
	if [ "$first" -eq "$expected" ] && [ "$last" -ge "$first" ]; then
		tap_result pass "posting $name: patches $range follow the posting before"
	else
		tap_result fail "posting $name: patches $range follow the posting before" "expected $expected-"
	fi
	expected=$((last + 1))
	mapfile -t files < <(range_files "$range")
	if [ "$(header "$cover" To)" = "$(recipients to "$cover" "${files[@]}")" ] &&
		[ "$(header "$cover" Cc)" = "$(recipients cc "$cover" "${files[@]}")" ]; then
		tap_result pass "posting $name: To and Cc are get_maintainer.pl's"
	else
		tap_result fail "posting $name: To and Cc are get_maintainer.pl's" "run scripts/series-post.sh --update"
	fi
	n=$((last - first + 1))
	subject=$(sed -n 's/^Subject: //p' "$out/$name/0000-cover-letter.patch")
	prerequisites=$(grep -c '^prerequisite-patch-id: ' "$out/$name/0000-cover-letter.patch" || true)
	want=$(header "$cover" Builds-on)
	want=${want:-$((first - 1))}
	if [[ $subject =~ ^\[PATCH\ v$SERIES_REVISION\ 0+/$n\]\  ]] &&
		grep -q "^base-commit: $base_commit\$" "$out/$name/0000-cover-letter.patch" &&
		[ "$prerequisites" -eq "$want" ]; then
		tap_result pass "posting $name: $n patches, cover letter, base-commit, $want prerequisites"
	else
		tap_result fail "posting $name: $n patches, cover letter, base-commit, $want prerequisites" \
			"subject '$subject', $prerequisites prerequisites"
	fi
	tap_run "posting $name: b4 $b4_version parses all $n patches, base-commit known" "$out/$name.b4.log" \
		b4_am "$out/$name.mbox" "$n"
	tap_run "posting $name: its prerequisite-patch-ids are patches of earlier postings" \
		"$out/$name.prerequisites.log" prerequisites_resolve "$name"
done
if [ "$((expected - 1))" -eq ${#patch_files[@]} ]; then
	tap_result pass "postings: cover all ${#patch_files[@]} patches"
else
	tap_result fail "postings: cover all ${#patch_files[@]} patches" "they end at $((expected - 1))"
fi

# Applied in the landing order, the postings make the series; one that
# builds on fewer patches than come before it applies there too.
apply_postings() {
	local cover posting chain=$BASE_TAG patches builds_on onto
	local am=(git -C "$worktree" -c user.name=post -c user.email=post@localhost am -q)
	git -C "$REPO" worktree add -q --detach "$worktree" "$BASE_TAG" || return 1
	for cover in "${covers[@]}"; do
		posting=$(basename "$cover" .cover)
		patches=("$out/$posting"/0*.patch)
		patches=("${patches[@]:1}") # not the cover letter
		builds_on=$(header "$cover" Builds-on)
		if [ -n "$builds_on" ]; then
			onto=$(patch_commit "$builds_on")
			git -C "$worktree" checkout -q --detach "$onto" || return 1
			"${am[@]}" "${patches[@]}" || { echo "$posting: does not apply on patches 1-$builds_on"; return 1; }
			git -C "$worktree" checkout -q --detach "$chain" || return 1
		fi
		"${am[@]}" -3 "${patches[@]}" || { echo "$posting: does not apply after the postings before it"; return 1; }
		chain=$(git -C "$worktree" rev-parse HEAD) || return 1
	done
	[ "$(git -C "$worktree" rev-parse 'HEAD^{tree}')" = "$(git -C "$REPO" rev-parse 'series^{tree}')" ] ||
		{ echo "the postings applied in order do not make the series branch's tree"; return 1; }
}
tap_run "postings: applied in order they make the series" "$out/apply.log" apply_postings
[ "$tap_failed" -eq 0 ]
