# AmiRotator build, test and demo. `sam build` calls build-AmiRotatorFunction with ARTIFACTS_DIR set.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
DOTNET ?= dotnet
PYTHON ?= python3
RID ?= $(if $(filter aarch64 arm64,$(shell uname -m)),linux-arm64,linux-x64)
MAX_GLIBC ?= 2.34
BOOTSTRAP_DIR := .build/bootstrap
BOOTSTRAP := $(BOOTSTRAP_DIR)/bootstrap
SOURCES := $(shell find src -name '*.cs' -o -name '*.csproj' 2>/dev/null) Directory.Build.props Directory.Packages.props

STACKSET_TEMPLATE := .build/stackset-template.yaml
PACKAGE := .build/ami-rotator-$(RID).zip

.PHONY: demo test bench bootstrap build-AmiRotatorFunction check-glibc lint unit clean stackset-template package

## demo: start the EC2 emulator, seed two Regions, run a real pass through the real bootstrap, print what happened
demo: bootstrap
	scripts/with-moto $(PYTHON) scripts/demo.py --bootstrap $(BOOTSTRAP)

## test: every test (unit, property, runtime, emulator, end-to-end through the bootstrap) plus cfn-lint
test: bootstrap lint
	rm -rf .build/test-results
	status=0; AMIROTATOR_BOOTSTRAP=$(CURDIR)/$(BOOTSTRAP) scripts/with-moto $(DOTNET) test AmiRotator.sln -c Release \
	  --logger "console;verbosity=minimal" --logger "trx" --results-directory .build/test-results || status=$$?; \
	$(PYTHON) scripts/test-summary.py .build/test-results || status=1; exit $$status

## lint: cfn-lint (with the SAM transform) on template.yaml, the StackSet edition, and the DR Region's dr-events.yaml
lint: $(STACKSET_TEMPLATE)
	cfn-lint template.yaml $(STACKSET_TEMPLATE) dr-events.yaml

## stackset-template: plain CloudFormation (no Transform) for StackSets; the code location is a parameter
stackset-template: $(STACKSET_TEMPLATE)

$(STACKSET_TEMPLATE): template.yaml scripts/sam_transform.py
	$(PYTHON) scripts/sam_transform.py template.yaml --stackset -o $@
	@echo "$@: plain CloudFormation for StackSets (parameters CodeS3Bucket and CodeS3Key name the packaged code)"

## package: the zip Lambda loads (bootstrap at its root, executable), for the StackSet recipe's CodeS3Key
package: $(PACKAGE)

$(PACKAGE): $(BOOTSTRAP)
	rm -f $@
	cd $(BOOTSTRAP_DIR) && zip -q -X ../$(notdir $@) bootstrap
	@echo "$@: $$(stat -c %s $@) bytes"

## bootstrap: the native AOT binary, checked for AL2023's glibc
bootstrap: $(BOOTSTRAP)

$(BOOTSTRAP): $(SOURCES)
	$(DOTNET) publish src/AmiRotator -c Release -r $(RID) -o $(BOOTSTRAP_DIR) -p:DebugType=none -p:DebugSymbols=false --nologo
	$(MAKE) --no-print-directory check-glibc BINARY=$@

## check-glibc: fail if BINARY needs a GLIBC symbol version newer than MAX_GLIBC (AL2023 ships 2.34)
check-glibc:
	@need=$$(objdump -T $(BINARY) | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1); \
	if [ "$$(printf '%s\n%s\n' "$$need" "$(MAX_GLIBC)" | sort -V | tail -1)" != "$(MAX_GLIBC)" ]; then \
	  echo "$(BINARY) needs GLIBC_$$need, newer than AL2023's $(MAX_GLIBC)" >&2; exit 1; \
	fi; \
	echo "$(BINARY): highest GLIBC symbol version $$need (AL2023 has $(MAX_GLIBC)), $$(stat -c %s $(BINARY)) bytes"

## build-AmiRotatorFunction: sam build's makefile target (native AOT builds for the machine's own architecture)
build-AmiRotatorFunction:
	$(DOTNET) publish src/AmiRotator -c Release -r $(RID) -o $(ARTIFACTS_DIR) -p:DebugType=none -p:DebugSymbols=false --nologo
	rm -f $(ARTIFACTS_DIR)/*.dbg $(ARTIFACTS_DIR)/*.pdb
	$(MAKE) --no-print-directory check-glibc BINARY=$(ARTIFACTS_DIR)/bootstrap

## bench: one run writes BENCHMARKS.md: the real bootstrap against the emulator (init, pass time, Describe calls, peak
## RSS), a night at real speed under EC2's buckets, the planner under BenchmarkDotNet, and whole nights emulated
bench: bootstrap
	$(DOTNET) build test/AmiRotator.Benchmarks -c Release --nologo -v quiet
	scripts/with-moto $(PYTHON) scripts/bench.py --bootstrap $(BOOTSTRAP)

clean:
	rm -rf .build src/*/bin src/*/obj test/*/bin test/*/obj
