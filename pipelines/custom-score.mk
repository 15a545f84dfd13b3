# The default pipeline with `score` swapped for a user's own program (pipelines/score_example.py):
# the stages before it are the same rules, and its output has the same record shape, so the
# stages after it read it unchanged (docs/SCORE.md).
#
#   make -f pipelines/custom-score.mk            # on the samples
#   make -f pipelines/custom-score.mk INPUTS='exports/*' AS_OF=2026-11-30

SWIFT ?= swift
OUT ?= build/custom-score
include pipelines/default.mk

.DEFAULT_GOAL := custom-score
.DELETE_ON_ERROR:

PYTHON_SCORED := $(OUT)/04-score/scored-by-python.ndjson

custom-score: $(PYTHON_SCORED)
	@echo "scored by pipelines/score_example.py: $(PYTHON_SCORED)"

$(PYTHON_SCORED): $(SEGMENTED) pipelines/score_example.py
	@mkdir -p $(@D)
	python3 pipelines/score_example.py < $< > $@

$(BIN)/%:
	$(SWIFT) build -c release

.PHONY: custom-score
