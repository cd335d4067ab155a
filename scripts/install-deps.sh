#!/usr/bin/env bash
# Install the Debian packages the harness needs, if any are missing.
# Needs: root (or sudo) and Debian's archive. Safe to run again: it only
# calls apt-get when a package is missing.
source "$(dirname "$0")/lib.sh"

packages=(
	# building kernels and selftests
	build-essential flex bison bc cpio kmod libelf-dev libssl-dev ccache rsync xz-utils
	git perl python3 sparse libcap-dev libnuma-dev
	# the guest: QEMU, scratch filesystems, the userspace the scenarios use
	qemu-system-x86 e2fsprogs xfsprogs dosfstools util-linux fio liburing-dev
	rdma-core ibverbs-utils libibverbs-dev perftest iproute2 bindfs fuse3
	cryptsetup-bin dmsetup
	# b4 (scripts/get-b4.sh takes trixie's) and what it imports
	python3-dkim python3-dnspython python3-requests python3-patatt git-filter-repo
	# plotting benchmark results
	gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *"ok installed" ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
log "installing: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
