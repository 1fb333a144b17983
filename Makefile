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

# Mutation testing (make mutate): which tests each folder's mutants face. Emulator, integration and fault tests stay
# out: they need moto or the bootstrap and would make a run take hours. MUTATE narrows a run to some files while
# working on them (MUTATE='**/Planning/CopyStep.cs' make mutate-planning); STRYKER_ARGS adds Stryker options.
MUTATION_DIR := .build/mutation
MUTATE ?=
STRYKER_ARGS ?=
RETENTION_TESTS := FullyQualifiedName~AmiRotator.Tests.Retention.
INVOCATION_TESTS := FullyQualifiedName~AmiRotator.Tests.Invocation.
PLANNING_TESTS := FullyQualifiedName~AmiRotator.Tests.PlanSteps.|FullyQualifiedName~AmiRotator.Tests.Safety.|FullyQualifiedName~AmiRotator.Tests.Immutability.|FullyQualifiedName~AmiRotator.Tests.Execution.|FullyQualifiedName~AmiRotator.Tests.Drills.DrillPlannerProperties
# $(call stryker,Folder,test filter,report name): one Stryker run, config in test/AmiRotator.Tests/stryker-config.json
define stryker
rm -rf $(MUTATION_DIR)/$(3)
cd test/AmiRotator.Tests && $(DOTNET) stryker --skip-version-check --mutate '$(or $(MUTATE),**/$(1)/*.cs)' --test-case-filter '$(2)' --output $(CURDIR)/$(MUTATION_DIR)/$(3) $(STRYKER_ARGS)
endef

.PHONY: demo test bench bootstrap build-AmiRotatorFunction check-glibc lint unit clean stackset-template package \
  mutate mutate-retention mutate-planning mutate-invocation

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

## mutate: Stryker.NET on Retention, Planning and Invocation, each with its unit and property tests (no emulator); HTML
## reports under .build/mutation/<folder>/reports, then the score per folder; fails below MUTATION_MIN (95). Not in CI.
mutate:
	$(DOTNET) tool restore
	$(call stryker,Retention,$(RETENTION_TESTS),retention)
	$(call stryker,Planning,$(PLANNING_TESTS),planning)
	$(call stryker,Invocation,$(INVOCATION_TESTS),invocation)
	$(PYTHON) scripts/mutation-score.py $(foreach f,retention planning invocation,$(f)=$(MUTATION_DIR)/$(f)/reports/mutation-report.json)

## mutate-retention: Stryker.NET on src/AmiRotator/Retention with the Retention tests (about 6 minutes on 2 cores)
mutate-retention:
	$(DOTNET) tool restore
	$(call stryker,Retention,$(RETENTION_TESTS),retention)
	$(PYTHON) scripts/mutation-score.py retention=$(MUTATION_DIR)/retention/reports/mutation-report.json

## mutate-planning: Stryker.NET on src/AmiRotator/Planning with the planner's example and property tests (the long one)
mutate-planning:
	$(DOTNET) tool restore
	$(call stryker,Planning,$(PLANNING_TESTS),planning)
	$(PYTHON) scripts/mutation-score.py planning=$(MUTATION_DIR)/planning/reports/mutation-report.json

## mutate-invocation: Stryker.NET on src/AmiRotator/Invocation with the parser tests (about 4 minutes on 2 cores)
mutate-invocation:
	$(DOTNET) tool restore
	$(call stryker,Invocation,$(INVOCATION_TESTS),invocation)
	$(PYTHON) scripts/mutation-score.py invocation=$(MUTATION_DIR)/invocation/reports/mutation-report.json

clean:
	rm -rf .build src/*/bin src/*/obj test/*/bin test/*/obj
