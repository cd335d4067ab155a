# The front door: every command the README names is a target here.
# Scripts live in scripts/ (host side) and guest/ (inside the guest).

# The kernel the series is applied to: mainline (patches/) or 6.12 (the LTS
# backport, backports/6.12/); BASE_VERSION= another Debian version of it.
# mainline unless told. scripts/lib.sh has the details.
BASE ?= mainline
BASE_VERSION ?=
export BASE BASE_VERSION

TREE ?= series
CONFIG ?= debug
CMD ?= uname -a

GUEST_TESTS ?=
# A group of guest tests instead (guest/run-tests lists them): quick, gup,
# reclaim, writeback, callsites, rdma, uring, stress, mm.
GROUP ?=

# bench-reclaim: boots per kernel, and ICOUNT=1 for deterministic guest time.
# Its kernels are release ones unless CONFIG is given (CONFIG's default,
# debug, is for the other targets).
ROUNDS ?= 3
ICOUNT ?=

# stress: how long the random mix runs, and its seed (default: the clock).
DURATION ?= 600
SEED ?=
bench_config = $(if $(filter-out file,$(origin CONFIG)),--config $(CONFIG))
bench_kernel_config = $(if $(filter-out file,$(origin CONFIG)),$(CONFIG),release)

# What a target that builds or boots TREE's kernel needs first: for the
# series, BASE's patches applied (series-apply.sh is safe to repeat: it moves the
# branch only when that loses nothing, and says why otherwise); any other
# tree (base, or a worktree under build/) is used as it is.
tree_ready = $(if $(filter series,$(TREE)),apply,base)

.PHONY: help run test guest-tests bench-reclaim stress base apply post export kernel config kernels tests guest shell deps clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

run: ## main scenario: base and series kernels side by side on the headline (ext4 long-term pins)
	scripts/scenario.sh

test: ## everything: harness self-tests, series hygiene, series kernel build, guest tests, log check; GROUP=quick for the inner loop
	scripts/test.sh

guest-tests: $(tree_ready) ## guest tests alone on TREE's kernel (base shows what the series fixes): make guest-tests TREE=base GUEST_TESTS=longterm-pin (or GROUP=quick)
	scripts/build-kernel.sh $(TREE) debug >/dev/null
	scripts/build-tests.sh $(TREE)
	GUEST_TESTS="$(GUEST_TESTS)" GROUP="$(GROUP)" scripts/guest-tests.sh $(TREE)

bench-reclaim: apply ## benchmark base vs series kernels (pins under reclaim, gup, O_DIRECT, fixed buffers, pinned writeback): ROUNDS=3 CONFIG=release ICOUNT=1 ONLY="gup fio"
	scripts/build-kernel.sh base $(bench_kernel_config) >/dev/null
	scripts/build-kernel.sh series $(bench_kernel_config) >/dev/null
	scripts/build-tests.sh base
	scripts/build-tests.sh series
	scripts/bench-reclaim.sh --rounds $(ROUNDS) $(bench_config) $(if $(filter 1,$(ICOUNT)),--icount) $(if $(ONLY),--only "$(ONLY)")

stress: $(tree_ready) ## pinned file-backed memory under a random mix of pins, writes, syncs, truncation, kills and injected faults: DURATION=600 SEED=n (seconds)
	scripts/stress.sh --tree $(TREE) --seconds $(DURATION) $(if $(SEED),--seed $(SEED))

deps: ## install the Debian packages the harness needs
	scripts/install-deps.sh

base: deps ## fetch and unpack BASE's kernel into build/BASE/series/linux (a git tree) and build/BASE/base/linux
	scripts/get-base.sh

apply: base ## apply BASE's patches to the base: the series branch of build/BASE/series/linux
	scripts/series-apply.sh

post: apply ## write BASE's postings (patches/postings/: the sub-series, in landing order) to build/BASE/postings/
	scripts/series-post.sh

export: ## write the series branch's commits back to BASE's patches (format-patch, cover letter, series)
	scripts/series-export.sh

kernel: $(tree_ready) ## build one kernel: make kernel TREE=base|series CONFIG=debug|release
	scripts/build-kernel.sh $(TREE) $(CONFIG)

config: $(tree_ready) ## make and check one kernel's .config, without building: make config BASE=mainline CONFIG=release
	scripts/build-kernel.sh $(TREE) $(CONFIG) --config-only

kernels: apply ## build the base and series debug kernels
	scripts/build-kernel.sh base debug
	scripts/build-kernel.sh series debug

tests: $(tree_ready) ## build the selftests and guest programs of TREE
	scripts/build-tests.sh $(TREE)

guest: $(tree_ready) ## run CMD in a guest on the TREE:CONFIG kernel, e.g. make guest CMD='cat /proc/vmstat'
	scripts/build-kernel.sh $(TREE) $(CONFIG) >/dev/null
	scripts/run-guest.sh $(TREE):$(CONFIG) -- sh -c '$(CMD)'

shell: $(tree_ready) ## an interactive shell in a guest on the TREE:CONFIG kernel (exit or ^D to leave)
	scripts/build-kernel.sh $(TREE) $(CONFIG) >/dev/null
	scripts/run-guest.sh --shell $(TREE):$(CONFIG)

clean: ## remove guest run directories and test logs, of every base
	rm -rf build/*/runs build/*/test

distclean: ## remove build/ entirely (kernel trees, objects, runs)
	rm -rf build
