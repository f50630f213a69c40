# hoist — build, test, install.
#
#   make                 build ./hoist
#   make check           build and run every test (C unit tests + pytest)
#   make check SANITIZE=1  the same under AddressSanitizer + UBSan
#   make killpoints      deploy/update/undeploy SIGKILLed at every request against
#                        the fake AWS and the fake Tencent Cloud, each re-run checked
#                        to converge (tables; make check runs a few of them)
#   make demo            deploy examples/flask to the local provider and print its answer
#   make install PREFIX=/usr/local DESTDIR=
#
# Missing Debian build/test packages are installed automatically when run as
# root (otherwise the exact apt-get command is printed).

VERSION   := 0.1.0
CC        ?= cc
PYTHON    ?= /usr/bin/python3
PREFIX    ?= /usr/local
DESTDIR   ?=
SANITIZE  ?=

ifeq ($(SANITIZE),1)
BUILD     ?= build-san
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD     ?= build
SANFLAGS  :=
endif

PKGS      := libcurl openssl jansson libzip libarchive libmicrohttpd libxml-2.0 zlib yaml-0.1 \
             libdeflate
DEB_BUILD := build-essential pkg-config libcurl4-openssl-dev libssl-dev libjansson-dev \
             libzip-dev libarchive-dev libmicrohttpd-dev libcmocka-dev libxml2-dev zlib1g-dev \
             libyaml-dev libdeflate-dev
DEB_TEST  := python3 python3-pytest python3-flask python3-django python3-botocore \
             python3-werkzeug python3-blinker python3-cryptography python3-venv python3-yaml \
             pebble wrk bash-completion zsh fish zip unzip curl openssl man-db
PYMODS    := pytest,flask,django,botocore,werkzeug,blinker,cryptography,venv,yaml
# Node.js runs the clouds' official SDKs (tests/package.json) that judge the
# fake Alibaba and Tencent clouds.  Debian's nodejs/npm are installed only when
# `node`/`npm` are missing (a NodeSource nodejs already provides npm and
# conflicts with Debian's).
DEB_NODE  := $(if $(shell command -v node),,nodejs) $(if $(shell command -v npm),,npm)
NODE_MODS := tests/node_modules/.hoist-installed

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -Werror
CFLAGS    ?= -O2 -g
ALLCFLAGS  = -std=c17 -D_GNU_SOURCE -DHOIST_VERSION='"$(VERSION)"' $(WARN) $(SANFLAGS) \
             $(CFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Linked at start; the others (LAZY_PKGS) are opened when first called (core/lazylib.h).
EAGER_PKGS := openssl jansson libzip zlib yaml-0.1 libdeflate
LIBS       = $(shell pkg-config --libs $(EAGER_PKGS) 2>/dev/null) -lm -lpthread -ldl
# Unit tests may call a lazy library directly too (reading a slim bundle back).
TEST_LIBS  = $(LIBS) $(shell pkg-config --libs libcurl libarchive libmicrohttpd libxml-2.0 \
               2>/dev/null)
# The soname a link against lib $(1) would have recorded, for lazy_*.c.
soname     = $(shell objdump -p $$($(CC) -print-file-name=$(1).so) 2>/dev/null | \
               awk '/SONAME/ { print $$2 }')
$(BUILD)/core/lazy_curl.o:           LAZY = $(call soname,libcurl)
$(BUILD)/core/lazy_xml.o:            LAZY = $(call soname,libxml2)
$(BUILD)/core/lazy_archive.o:        LAZY = $(call soname,libarchive)
$(BUILD)/providers/local/lazy_mhd.o: LAZY = $(call soname,libmicrohttpd)
$(BUILD)/core/lazy_%.o $(BUILD)/providers/local/lazy_%.o: \
  ALLCFLAGS += -DLAZY_SONAME='"$(LAZY)"'

CORE_SRC  := $(sort $(wildcard core/*.c providers/*.c providers/*/*.c))
CLI_SRC   := $(sort $(wildcard cli/*.c))
TPL_SRC   := $(sort $(wildcard templates/*/*.py))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))

CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/templates.o
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
DRV_SRC   := $(sort $(wildcard tests/drivers/*.c))
DRV_BIN   := $(DRV_SRC:tests/drivers/%.c=$(BUILD)/tests/drivers/%)

.PHONY: all deps deps-test check unit pytest demo install clean bench killpoints
.DELETE_ON_ERROR:

all: $(BUILD)/hoist
ifeq ($(BUILD),build)
	@ln -sf build/hoist hoist
endif

# ---- dependencies -----------------------------------------------------------
# Checked, and installed from Debian when root, before anything is compiled.
# deps-test checks both lists and installs (or names) everything missing at once.
HAVE_BUILD = pkg-config --exists $(PKGS) cmocka 2>/dev/null
HAVE_TEST  = ( $(PYTHON) -c 'import $(PYMODS)' && command -v pebble && command -v wrk && \
	       command -v curl && command -v openssl && command -v zip && command -v man && \
	       command -v zsh && command -v fish && \
	       command -v node && command -v npm ) \
	     >/dev/null 2>&1

deps:
	@$(HAVE_BUILD) || sh .ci/apt-install.sh $(DEB_BUILD)

deps-test:
	@( $(HAVE_BUILD) && $(HAVE_TEST) ) || sh .ci/apt-install.sh $(DEB_BUILD) $(DEB_TEST) $(DEB_NODE)

# The pinned test SDKs, installed exactly as locked (no install scripts run).
$(NODE_MODS): tests/package.json tests/package-lock.json | deps-test
	cd tests && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# ---- build ------------------------------------------------------------------
$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/embed: templates/embed.c | deps
	@mkdir -p $(dir $@)
	$(CC) -std=c17 $(WARN) -O2 $< -o $@

$(BUILD)/gen/templates.c: $(BUILD)/embed $(TPL_SRC)
	@mkdir -p $(dir $@)
	$(BUILD)/embed $@ $(TPL_SRC)

$(BUILD)/gen/templates.o: $(BUILD)/gen/templates.c
	$(CC) $(ALLCFLAGS) -Icore -c $< -o $@

$(BUILD)/hoist: $(CLI_OBJ) $(CORE_OBJ)
	$(CC) $(SANFLAGS) $(CFLAGS) -o $@ $(CLI_OBJ) $(CORE_OBJ) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $< $(CORE_OBJ) \
	  $(TEST_LIBS) $(shell pkg-config --libs cmocka)

# Test drivers: small programs that run core/ code for pytest (HOIST_TEST_DRIVERS).
$(BUILD)/tests/drivers/%: tests/drivers/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -o $@ $< $(CORE_OBJ) $(LIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- tests ------------------------------------------------------------------
check: deps-test $(BUILD)/hoist unit pytest

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

PYTEST_ARGS ?=
pytest: deps-test $(BUILD)/hoist $(DRV_BIN) $(NODE_MODS)
	HOIST=$(CURDIR)/$(BUILD)/hoist HOIST_TEST_DRIVERS=$(CURDIR)/$(BUILD)/tests/drivers \
	  SANITIZE=$(SANITIZE) $(PYTHON) -m pytest -q tests $(PYTEST_ARGS)

demo: deps-test all
	@sh examples/flask/demo.sh $(BUILD)/hoist

bench: $(BUILD)/hoist
	@sh bench/run.sh

killpoints: deps-test $(BUILD)/hoist
	$(PYTHON) tests/aws/killpoints.py --hoist $(BUILD)/hoist
	$(PYTHON) tests/tencent/tc_killpoints.py --hoist $(BUILD)/hoist

# ---- install ----------------------------------------------------------------
install: $(BUILD)/hoist
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/hoist $(DESTDIR)$(PREFIX)/bin/hoist
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 man/*.7 $(DESTDIR)$(PREFIX)/share/man/man7/
	$(BUILD)/hoist completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/hoist

clean:
	rm -rf build build-san hoist
