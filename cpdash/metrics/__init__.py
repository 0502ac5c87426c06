"""The dashboard's figures, each defined once (README, "Metrics"): they get per-group statistics from a
Source (cpdash.metrics.gather) and every page, map, slide, pack and CSV calls them; cpdash.metrics.suppression
decides what may be shown."""
