# diemcau: one command to set up and run the demo, one to set up and run the tests.
# `make setup` is idempotent: it installs only what is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Debian packages the tests need (real servers, no mocks).
# GStreamer's RTSP server runs the simulated one-stop-desk cameras (camera/sim);
# on bookworm x264enc is in plugins-ugly (there is no gstreamer1.0-x264) and the
# text/time overlays that name each camera are in gstreamer1.0-x (pango).
GST_PACKAGES := gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-tools gstreamer1.0-plugins-base \
	gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x
APT_PACKAGES := postgresql iproute2 chromium mosquitto $(GST_PACKAGES)
PG_USER := diemcau-pg

.PHONY: setup system demo test bench lint clean screenshots

setup: system $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

system:
	@bash scripts/install-system-deps.sh $(PG_USER) $(APT_PACKAGES)

demo: setup
	$(BIN)/diemcau demo

test: setup
	$(BIN)/pytest -q

screenshots: setup  # the console's views at 1920x1080 and 1366x768, as in README
	DIEMCAU_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/console

bench: setup
	$(BIN)/pytest -q -m slow
	$(BIN)/diemcau bench import --rows 250 --json
	$(BIN)/diemcau bench provision --endpoints 250 --latency-ms 20 --json
	$(BIN)/diemcau bench monitor --endpoints 250 --interval 10 --duration 60 --json
	$(BIN)/diemcau bench session --endpoints 250 --json
	$(BIN)/diemcau bench analytics --cameras 50 --json
	$(BIN)/diemcau bench relay --viewers 40 --json
	$(BIN)/diemcau bench webhook --events 10000 --json
	$(BIN)/diemcau bench mqtt --events 10000 --json
	$(BIN)/diemcau bench camera-provision --cameras 50 --json

lint: setup
	$(BIN)/ruff check controller endpoints camera tests

clean:
	rm -rf $(VENV) var build *.egg-info
