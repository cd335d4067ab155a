#!/usr/bin/env bash
# b4 for series-post.sh --check: trixie's b4 0.14, downloaded and unpacked
# into $BUILD_ROOT/tools/b4 (prints the path of its command). Bookworm's b4
# 0.12 fails "b4 am" on a folded From: header, which git format-patch
# writes for a long name. b4 is pure Python: it runs on bookworm's python3
# with the modules install-deps.sh installs.
source "$(dirname "$0")/lib.sh"

# The version tested here; if trixie has moved on, its current one.
B4_VERSION=0.14.2-2
tools=$BUILD_ROOT/tools/b4
b4=$tools/b4
if [ -x "$b4" ] && "$b4" --version >/dev/null 2>&1; then
	echo "$b4"
	exit 0
fi
private_apt_update trixie "http://deb.debian.org/debian trixie main"
mapfile -t opts < <(private_apt_opts trixie)
rm -rf "$tools"
mkdir -p "$tools/deb"
if ! (cd "$tools/deb" && apt-get -q "${opts[@]}" download "b4=$B4_VERSION" >download.log 2>&1); then
	log "could not download b4 $B4_VERSION (see $tools/deb/download.log): taking trixie's current b4"
	rm -f "$tools"/deb/*.deb
	(cd "$tools/deb" && apt-get -q "${opts[@]}" download b4 >download-current.log 2>&1) ||
		{ cat "$tools/deb/download-current.log" >&2; die "apt-get download b4 failed"; }
fi
dpkg-deb -x "$tools"/deb/b4_*.deb "$tools/root"
# The wrapper finds the unpacked package beside itself.
cat >"$b4" <<'WRAPPER'
#!/bin/sh
root=$(cd "$(dirname "$0")" && pwd)/root
PYTHONPATH="$root/usr/lib/python3/dist-packages" exec /usr/bin/python3 -m b4.command "$@"
WRAPPER
chmod +x "$b4"
version=$("$b4" --version) || die "the b4 from trixie does not run here"
log "b4 $version in $tools"
echo "$b4"
