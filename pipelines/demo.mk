# The demo portfolio: 300 generated accounts over two years (scripts/generate_exports.py
# --demo, seeded: the same bytes every time), 400 days of usage, annual renewals that renewed
# and that churned, a cohort program of twelve; generated into build/demo/exports (10 MB, not
# committed), then the pipeline and the backtest, so that every section of the report shows
# real numbers.
#
#   make demo        # → build/demo/08-backtest/report.html

DEMO_OUT ?= build/demo
DEMO_EXPORTS := $(DEMO_OUT)/exports

$(DEMO_EXPORTS)/.generated: scripts/generate_exports.py
	rm -rf $(DEMO_EXPORTS)
	python3 scripts/generate_exports.py --demo --out $(DEMO_EXPORTS)
	touch $@

## demo: a generated portfolio of 300 accounts over two years, the pipeline and the backtest on it (build/demo/08-backtest/report.html)
demo: build $(DEMO_EXPORTS)/.generated
	@$(MAKE) --no-print-directory backtest OUT=$(DEMO_OUT) INPUTS='$(DEMO_EXPORTS)/*.csv $(DEMO_EXPORTS)/*.xml'

.PHONY: demo
