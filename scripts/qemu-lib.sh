# QEMU helpers for run-guest.sh. Source it after lib.sh.

# resolve_kernel PATH|TREE[:CONFIG] -> path of a built bzImage
resolve_kernel() {
	local arg=$1 tree config image
	if [ -f "$arg" ]; then
		echo "$arg"
		return
	fi
	tree=${arg%%:*}
	config=debug
	[ "$arg" = "$tree" ] || config=${arg#*:}
	image=$(obj_dir "$tree" "$config")/arch/x86/boot/bzImage
	[ -f "$image" ] || die "no kernel at $image: run 'scripts/build-kernel.sh $tree $config' first"
	echo "$image"
}

# make_scratch_disks RUNDIR: ext4, xfs and swap images, new for every run.
# Sparse files; the inode tables are initialised here so that no lazy-init
# thread writes in the background of a measurement in the guest.
make_scratch_disks() {
	local run=$1
	truncate -s "${SCRATCH_SIZE:-2G}" "$run/ext4.img" "$run/xfs.img"
	truncate -s "${SWAP_SIZE:-1G}" "$run/swap.img"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$run/ext4.img"
	mkfs.xfs -q -f "$run/xfs.img"
	chmod 600 "$run/swap.img"
	mkswap "$run/swap.img" >/dev/null 2>&1 || die "mkswap failed on $run/swap.img"
}

# choose_accel KERNEL -> QEMU accelerator arguments.
# KVM only when a probe boot (cached in $BUILD/kvm-probe) finished under it:
# on some hosts /dev/kvm exists but the guest hangs.
choose_accel() {
	local kernel=$1 verdict
	case ${ACCEL:-auto} in
	tcg) echo "-accel tcg,thread=multi -cpu max"; return ;;
	kvm) echo "-accel kvm -cpu host"; return ;;
	auto) ;;
	*) die "ACCEL must be tcg, kvm or unset" ;;
	esac
	if [ ! -w /dev/kvm ]; then
		verdict=tcg
	elif [ -f "$BUILD/kvm-probe" ]; then
		verdict=$(cat "$BUILD/kvm-probe")
	else
		log "probing KVM (a guest that does not finish in 30 s means TCG)"
		if ACCEL=kvm "$PROJECT/scripts/run-guest.sh" --timeout 30 --name kvm-probe "$kernel" -- true >/dev/null 2>&1; then
			verdict=kvm
		else
			verdict=tcg
		fi
		echo "$verdict" >"$BUILD/kvm-probe"
		log "KVM probe: using $verdict (cached in $BUILD/kvm-probe)"
	fi
	ACCEL=$verdict choose_accel "$kernel"
}

# boot_guest KERNEL RUNDIR TIMEOUT [QEMU ARGS...]
# Kernel console -> RUNDIR/console.log; the guest command's output (hvc0) -> stdout.
# The guest's input is GUEST_STDIN (default /dev/null; run-guest.sh --shell
# passes the terminal).
boot_guest() {
	local kernel=$1 run=$2 timeout=$3
	shift 3
	local cmdline=(
		console=ttyS0 no_hash_pointers panic=-1
		# Under TCG, timer interrupts come late, so the clocksource watchdog
		# (checking the TSC against jiffies) calls the TSC unstable and the
		# guest falls back to jiffies: every clock in it would tick in 4 ms
		# steps. QEMU's TSC is one monotonic clock for all vCPUs.
		tsc=reliable
		root=root rootfstype=9p ro
		rootflags=trans=virtio,version=9p2000.L,cache=loose,msize=262144
		init="$PROJECT/guest/init" harness_build="$BUILD"
	)
	# What a test asks for besides (run-guest.sh --append).
	read -ra extra <<<"${BOOT_APPEND:-}"
	cmdline+=("${extra[@]}")
	# timeout runs QEMU in a process group of its own, which may not read
	# the terminal (SIGTTIN): a guest that reads it stays in the foreground.
	local foreground=()
	[ -z "${GUEST_STDIN:-}" ] || foreground=(--foreground)
	timeout "${foreground[@]}" -k 10 "$timeout" qemu-system-x86_64 \
		-nodefaults -display none -no-reboot \
		-kernel "$kernel" -append "${cmdline[*]}" \
		-serial "file:$run/console.log" \
		-device virtio-serial-pci \
		-chardev stdio,id=cmdout,signal=off -device virtconsole,chardev=cmdout \
		-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$run/out,mount_tag=out,security_model=none" \
		-virtfs "local,path=$PROJECT,mount_tag=project,security_model=none,readonly=on" \
		-virtfs "local,path=$BUILD,mount_tag=build,security_model=none,readonly=on" \
		-drive "file=$run/ext4.img,if=virtio,format=raw,cache=unsafe" \
		-drive "file=$run/xfs.img,if=virtio,format=raw,cache=unsafe" \
		-drive "file=$run/swap.img,if=virtio,format=raw,cache=unsafe" \
		"$@" <"${GUEST_STDIN:-/dev/null}"
}
