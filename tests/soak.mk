# `make soak`: fresh random seeds on every software engine for as long as
# asked (tests/integration/soak.sh): the chaos test, then the differential
# soak. Included by the top-level Makefile, which provides OUT; DIFF_BIN
# comes from tests/diff/diff.mk.
#
#   make soak SOAK_SECONDS=900            each part for 15 minutes
#   make soak MODE=asan SOAK_PARTS=chaos  the chaos part on the ASan build
SOAK_SECONDS ?= 600
SOAK_PARTS ?= chaos diff

.PHONY: soak
soak: $(OUT)/ringvisor $(if $(filter diff,$(SOAK_PARTS)),$(DIFF_BIN))
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_PARTS="$(SOAK_PARTS)" \
		tests/integration/soak.sh $(OUT)/ringvisor $(DIFF_BIN)
