#!/usr/bin/env bash
# Build what runs in the guest for one kernel tree: build-tests.sh base|series
#   - the tree's mm selftests, installed with run_vmtests.sh into $BUILD/<tree>/selftests/mm
#   - the project's guest programs (guest/progs/*.c and guest/progs/*/), compiled against that
#     tree's headers (mm/gup_test.h), into $BUILD/<tree>/progs
# Needs one of the tree's kernels configured, debug or else release (its
# object directory provides the exported uapi headers).
source "$(dirname "$0")/lib.sh"

tree=${1:?usage: build-tests.sh base|series}
src=$(tree_dir "$tree")
obj=$(obj_dir "$tree" debug)
[ -f "$obj/.config" ] || obj=$(obj_dir "$tree" release)
[ -f "$obj/.config" ] || die "configure the $tree kernel first: scripts/build-kernel.sh $tree"

out=$BUILD/$tree/selftests
log "building mm selftests of $tree into $out"
make -C "$src" O="$obj" CC="ccache gcc" -j"$JOBS" headers >"$obj/headers.log" 2>&1 ||
	{ tail -20 "$obj/headers.log" >&2; die "make headers failed"; }
# Keep going past tests that do not build: 6.12.117's khugepaged.c lacks an
# include (KSFT_SKIP undeclared). Tests a guest needs and lacks fail there.
# Plain gcc: mm/check_config.sh runs "$(CC) -c" with the first word of CC
# only, so with "ccache gcc" it never finds liburing and gup_longterm loses
# its io_uring cases. It records what it found in the source tree: probe
# again on every build, as the packages may have changed. 6.12 names the
# header local_config.h, 7.3 local_config.h_gen.
mm_src=$src/tools/testing/selftests/mm
rm -f "$mm_src"/local_config.{h,h_gen,mk}
make -k -C "$src/tools/testing/selftests" O="$obj" CC=gcc -j"$JOBS" \
	TARGETS=mm >"$obj/selftests.log" 2>&1 || true
grep -qs LOCAL_CONFIG_HAVE_LIBURING "$mm_src/local_config.h" "$mm_src/local_config.h_gen" ||
	die "the mm selftests did not find liburing (install liburing-dev)"
broken=$(sed -n 's|.*\*\*\* \[.*kselftest/mm/\([^]]*\)\] Error.*|\1|p' "$obj/selftests.log" | sort -u | xargs)
[ -z "$broken" ] || log "warning: mm selftests that do not build in $tree: $broken"
rm -rf "$out"
mkdir -p "$out/mm"
find "$obj/kselftest/mm" -maxdepth 1 -type f -perm -u+x -exec cp {} "$out/mm/" \;
cp "$src"/tools/testing/selftests/mm/*.sh "$out/mm/"
for t in gup_test gup_longterm cow run_vmtests.sh; do
	[ -x "$out/mm/$t" ] || die "mm selftest $t missing after the build: $obj/selftests.log"
done

progs=$BUILD/$tree/progs
mkdir -p "$progs"
# A program is one .c file, or a directory of them (pin_stress/). It names
# the libraries it needs on a "// LDLIBS:" line.
for prog in "$PROJECT"/guest/progs/*.c "$PROJECT"/guest/progs/*/; do
	prog=${prog%/}
	if [ -d "$prog" ]; then
		sources=("$prog"/*.c)
		[ -f "${sources[0]}" ] || continue
	else
		[ -f "$prog" ] || continue
		sources=("$prog")
	fi
	bin=$progs/$(basename "$prog" .c)
	read -ra ldlibs < <(sed -n 's|^// LDLIBS: ||p' "${sources[@]}" | tr '\n' ' ') || true
	gcc -O2 -Wall -Wextra -Werror -I"$src/mm" -isystem "$obj/usr/include" \
		-o "$bin" "${sources[@]}" "${ldlibs[@]}" || die "compiling $prog failed"
done
log "guest programs of $tree in $progs"
