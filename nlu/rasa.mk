# Rasa NLU service: its own Python 3.10 environment and the trained model, both cached outside
# the repository by content hash (building the env takes minutes, training about a minute).
ATHAR_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/athar
RASA_REQ := nlu/requirements-rasa.txt
RASA_ENV_DIR := $(ATHAR_CACHE)/rasa-venv-$(shell sha256sum $(RASA_REQ) | cut -c1-16)
RASA_VENV := .venv-rasa

RUN_PREREQS += rasa-model-run
TEST_PREREQS += rasa-model

.PHONY: rasa-venv rasa-model rasa-model-run

rasa-venv: $(RASA_ENV_DIR)/.complete
	@if [ "$$(readlink $(RASA_VENV) 2>/dev/null)" != "$(RASA_ENV_DIR)" ]; then rm -rf $(RASA_VENV); ln -s $(RASA_ENV_DIR) $(RASA_VENV); fi

# No prerequisite: the directory name holds the hash of the requirements (mtimes change on clone).
$(RASA_ENV_DIR)/.complete:
	@PY="$$(nlu/find-python310.sh)" || exit 1; \
	echo "Building Rasa's Python 3.10 environment in $(RASA_ENV_DIR) (a few minutes, once) ..."; \
	rm -rf "$(RASA_ENV_DIR)" && mkdir -p "$(ATHAR_CACHE)" && \
	"$$PY" -m venv "$(RASA_ENV_DIR)" && \
	{ "$(RASA_ENV_DIR)/bin/python" -m pip install --quiet --upgrade "pip<24" wheel && \
	  "$(RASA_ENV_DIR)/bin/python" -m pip install --quiet -r $(RASA_REQ) && \
	  "$(RASA_ENV_DIR)/bin/rasa" --version; } > "$(RASA_ENV_DIR).log" 2>&1 \
	|| { tail -30 "$(RASA_ENV_DIR).log"; echo "Building Rasa's environment failed (log: $(RASA_ENV_DIR).log)"; exit 1; }
	@touch $@

# Trains only when the training data, pipeline or normaliser changed (athar nlu train hashes them).
rasa-model: venv rasa-venv
	@$(BIN)/athar nlu train

# `make run` without Python 3.10 (a user's own machine): say how to get it (find-python310.sh
# does) and go on; Athar then uses the NLU server at ATHAR_NLU__URL if one answers (Rasa's
# container), else its fallback parser. `make test` still needs the real Rasa.
rasa-model-run: venv
	@if [ -f "$(RASA_ENV_DIR)/.complete" ] || nlu/find-python310.sh >/dev/null; then \
	  $(MAKE) --no-print-directory rasa-model; else \
	  echo "Going on without a local Rasa: Athar uses the NLU server at \$$ATHAR_NLU__URL if one answers, else its fallback parser."; fi
