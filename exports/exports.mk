# System libraries the exports need: Pango (WeasyPrint lays out and shapes text with it) and a
# font with Arabic glyphs (DejaVu Sans). Installed with apt only when missing (included by the
# top-level Makefile; `make exports-sysdeps` on its own to check).
EXPORTS_APT := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig

.PHONY: exports-sysdeps
exports-sysdeps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || ! fc-list :lang=ar 2>/dev/null | grep -q .; then \
	  echo "Installing the system libraries for PDF exports: $(EXPORTS_APT)"; \
	  if command -v apt-get >/dev/null; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get install -y -q $(EXPORTS_APT) >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q $(EXPORTS_APT) >/dev/null; }; \
	  else \
	    echo "Please install Pango and an Arabic-capable font (e.g. DejaVu Sans) with your package manager"; exit 1; \
	  fi; \
	fi

# Tests only: LibreOffice Writer lays out the DOCX and ODT reports to count their pages, and
# poppler's pdftoppm renders report pages to PNG (the mixed-direction checks).
.PHONY: exports-testdeps
exports-testdeps:
	@if ! command -v pdftoppm >/dev/null && command -v apt-get >/dev/null; then \
	  echo "Installing poppler-utils (tests render report pages to PNG with pdftoppm)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q poppler-utils >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q poppler-utils >/dev/null; }; \
	fi
	@if ! command -v soffice >/dev/null; then \
	  echo "Installing LibreOffice Writer (tests count the pages of the DOCX/ODT reports with it)"; \
	  if command -v apt-get >/dev/null; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get install -y -q --no-install-recommends libreoffice-writer-nogui >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q --no-install-recommends libreoffice-writer-nogui >/dev/null; }; \
	  else \
	    echo "Please install LibreOffice (soffice) with your package manager"; exit 1; \
	  fi; \
	fi

RUN_PREREQS += exports-sysdeps
TEST_PREREQS += exports-sysdeps exports-testdeps
