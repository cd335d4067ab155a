#!/usr/bin/env bash
# Build what runs in the guest for one kernel tree: build-tests.sh base|series
#   - the tree's mm selftests, installed with run_vmtests.sh into $BUILD/<tree>/selftests/mm
#   - the project's guest programs (guest/progs/*.c), compiled against that
#     tree's headers (mm/gup_test.h), into $BUILD/<tree>/progs
# Needs the tree's debug kernel configured (its object directory provides the
# exported uapi headers).
source "$(dirname "$0")/lib.sh"

tree=${1:?usage: build-tests.sh base|series}
src=$(tree_dir "$tree")
obj=$(obj_dir "$tree" debug)
[ -f "$obj/.config" ] || die "configure the $tree kernel first: scripts/build-kernel.sh $tree"

out=$BUILD/$tree/selftests
log "building mm selftests of $tree into $out"
make -C "$src" O="$obj" CC="ccache gcc" -j"$JOBS" headers >"$obj/headers.log" 2>&1 ||
	{ tail -20 "$obj/headers.log" >&2; die "make headers failed"; }
make -C "$src/tools/testing/selftests" O="$obj" CC="ccache gcc" -j"$JOBS" \
	TARGETS=mm INSTALL_PATH="$out" install >"$obj/selftests.log" 2>&1 ||
	{ tail -30 "$obj/selftests.log" >&2; die "building the mm selftests failed: $obj/selftests.log"; }
[ -x "$out/mm/run_vmtests.sh" ] && [ -x "$out/mm/gup_test" ] || die "selftests not where expected in $out/mm"

progs=$BUILD/$tree/progs
mkdir -p "$progs"
for c in "$PROJECT"/guest/progs/*.c; do
	bin=$progs/$(basename "$c" .c)
	gcc -O2 -Wall -Wextra -Werror -I"$src/mm" -isystem "$obj/usr/include" -o "$bin" "$c" ||
		die "compiling $c failed"
done
log "guest programs of $tree in $progs"
