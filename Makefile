# Entry points: `make` builds everything, `make test` runs every test,
# `make demo` runs the QEMU demo. `test` and `demo` first install what a fresh
# Debian 12 machine lacks.

BUILD      := build
TOOLCHAIN  := $(BUILD)/toolchain
JOBS       ?= $(shell nproc)

.PHONY: all deps demo-deps toolchain product host test unit e2e demo fuzz debuginfo install install-files clean format

all: product host

deps:
	scripts/install-deps.sh

toolchain:
	toolchain/build.sh $(TOOLCHAIN)

product: toolchain
	cmake -S . -B $(BUILD)/product -DKDK_PRODUCT=ON \
	  -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/toolchain/musl.cmake \
	  -DKDK_TOOLCHAIN_DIR=$(CURDIR)/$(TOOLCHAIN) >/dev/null
	cmake --build $(BUILD)/product -j $(JOBS)
	cmake --build $(BUILD)/product -j $(JOBS) --target kdk_netprobe
	strip -o $(BUILD)/kdumpkit $(BUILD)/product/cli/kdumpkit
	strip -o $(BUILD)/kdumpkit-test $(BUILD)/product/cli/kdumpkit-test
	toolchain/check-static-binary.sh $(BUILD)/kdumpkit
	toolchain/check-static-binary.sh $(BUILD)/kdumpkit-test

host:
	cmake -S . -B $(BUILD)/host -DKDK_BINARY=$(CURDIR)/$(BUILD)/kdumpkit >/dev/null
	cmake --build $(BUILD)/host -j $(JOBS)

test: deps all
	scripts/run-tests.sh $(BUILD)/host

unit: host
	ctest --test-dir $(BUILD)/host --output-on-failure -L unit

e2e: product host
	ctest --test-dir $(BUILD)/host --output-on-failure -L e2e

# The demo installs only what it needs: the build's and the harness's packages.
demo-deps:
	scripts/install-deps.sh toolchain/packages.txt qemu/packages.txt

demo: demo-deps product
	qemu/demo.sh $(BUILD)/kdumpkit

# Opt-in (858 MB download): drgn and crash, with the Debian kernel's debug
# symbols, read our dumps of both fixtures (tasks, crashed stack, bt, log).
debuginfo: deps product
	scripts/install-deps.sh tests/debuginfo/packages.txt
	tests/debuginfo/run.sh $(BUILD)/kdumpkit

# Installs the binary, the systemd unit, the kernel hooks, the default
# configuration (kept when one exists) and the documentation under DESTDIR.
DESTDIR ?=
KDUMPKIT_BIN ?= $(BUILD)/kdumpkit
install: product install-files

install-files:
	install -D -m 0755 $(KDUMPKIT_BIN) $(DESTDIR)/usr/sbin/kdumpkit
	install -D -m 0644 packaging/kdumpkit.service $(DESTDIR)/lib/systemd/system/kdumpkit.service
	install -D -m 0755 packaging/kernel-postinst $(DESTDIR)/etc/kernel/postinst.d/zz-kdumpkit
	install -D -m 0755 packaging/kernel-postrm $(DESTDIR)/etc/kernel/postrm.d/zz-kdumpkit
	install -D -m 0755 packaging/kernel-install.install $(DESTDIR)/usr/lib/kernel/install.d/60-kdumpkit.install
	[ -e $(DESTDIR)/etc/kdumpkit.conf ] || install -D -m 0600 packaging/kdumpkit.conf $(DESTDIR)/etc/kdumpkit.conf
	install -D -m 0644 README.md $(DESTDIR)/usr/share/doc/kdumpkit/README.md
	install -d -m 0700 $(DESTDIR)/var/lib/kdumpkit

# libFuzzer with ASan/UBSan (Debian's clang); FUZZ_SECONDS per target,
# FUZZ_TOTAL at most in all.
FUZZ_SECONDS ?= 60
FUZZ_TOTAL ?= 600
fuzz:
	scripts/install-deps.sh tests/fuzz/packages.txt
	cmake -S . -B $(BUILD)/fuzz -DKDK_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
	cmake --build $(BUILD)/fuzz -j $(JOBS)
	tests/fuzz/run-fuzzers.sh $(BUILD)/fuzz/tests/fuzz $(FUZZ_SECONDS) $(FUZZ_TOTAL)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD)
