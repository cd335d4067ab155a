#!/usr/bin/env bash
# Build a guest kernel: build-kernel.sh base|series [debug|release] [--config-only]
#   debug    config/guest.config + config/debug.config (KASAN, lockdep, DEBUG_VM, ...)
#   release  config/guest.config only, for benchmarks
# The config is allnoconfig plus the fragments, merged by the kernel's own
# merge_config.sh; every option the fragments ask for is checked in the
# final .config, because merge_config.sh only warns when one is dropped.
# Incremental: the config is remade only when a fragment changed, and
# ccache serves objects the base and series trees have in common.
# Prints the path of the bzImage on stdout. --config-only stops after the
# config is made and checked (it takes seconds: the check that the fragments
# still fit a base, e.g. a new one).
source "$(dirname "$0")/lib.sh"

tree=${1:?usage: build-kernel.sh base|series [debug|release] [--config-only]}
config=${2:-debug}
config_only=${3:-}
src=$(tree_dir "$tree")
obj=$(obj_dir "$tree" "$config")
require_repo
[ -d "$src" ] || die "no $tree tree at $src"

case $config in
debug) fragments=("$PROJECT/config/guest.config" "$PROJECT/config/debug.config") ;;
release) fragments=("$PROJECT/config/guest.config") ;;
*) die "unknown config '$config' (debug or release)" ;;
esac

kmake() { make -C "$src" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS" "$@"; }

# Every "CONFIG_X=v" / "# CONFIG_X is not set" line of the fragments must be
# in .config as written.
check_config() {
	local missing=0 line name
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) name=${line%%=*} ;;
		"# CONFIG_"*" is not set") name=${line#\# }; name=${name%% *} ;;
		*) continue ;;
		esac
		if ! grep -qxF "$line" "$obj/.config"; then
			log "config: asked for '$line', got '$(grep -E "^(# )?$name[= ]" "$obj/.config" || echo "$name undefined")'"
			missing=1
		fi
	done < <(cat "${fragments[@]}")
	[ $missing -eq 0 ] || die "$obj/.config lacks options the fragments ask for (see above)"
}

mkdir -p "$obj"
stamp=$(cat "${fragments[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.fragments.sha256" 2>/dev/null)" != "$stamp" ]; then
	log "configuring $tree ($config) from ${fragments[*]##*/}"
	(cd "$src" && CC="ccache gcc" scripts/kconfig/merge_config.sh -n -O "$obj" "${fragments[@]}" >"$obj/merge_config.log" 2>&1) ||
		{ cat "$obj/merge_config.log" >&2; die "merge_config.sh failed"; }
	echo "$stamp" >"$obj/.fragments.sha256"
fi
check_config
if [ "$config_only" = --config-only ]; then
	log "$obj/.config has every option the fragments ask for (Linux $(make -s --no-print-directory -C "$src" kernelversion))"
	exit 0
fi

log "building $tree ($config) in $obj"
start=$SECONDS
kmake bzImage >"$obj/build.log" 2>&1 || { tail -40 "$obj/build.log" >&2; die "kernel build failed: $obj/build.log"; }
log "built $tree ($config) in $((SECONDS - start)) s"
echo "$obj/arch/x86/boot/bzImage"
