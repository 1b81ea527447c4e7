# Tests only: the dashboard's browser tests (tests/dashboard/test_browser.py) drive Debian's
# Chromium through its chromedriver (Selenium). Installed with apt when missing; where they
# cannot be installed the tests say so and are skipped (`make dashboard-testdeps` on its own).
DASHBOARD_APT := chromium chromium-driver

.PHONY: dashboard-testdeps
dashboard-testdeps:
	@if ! command -v chromedriver >/dev/null || ! { command -v chromium >/dev/null || command -v chromium-browser >/dev/null; }; then \
	  if command -v apt-get >/dev/null; then \
	    echo "Installing Chromium and chromedriver (the dashboard's browser tests)"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends $(DASHBOARD_APT) >/dev/null \
	    || { $$SUDO apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends $(DASHBOARD_APT) >/dev/null; } \
	    || echo "Could not install Chromium: the dashboard's browser tests will be skipped"; \
	  else \
	    echo "No apt-get: install Chromium and chromedriver yourself, or the dashboard's browser tests are skipped"; \
	  fi; \
	fi

TEST_PREREQS += dashboard-testdeps
