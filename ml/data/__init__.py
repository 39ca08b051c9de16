"""Dataset reading, leakage control (dedup), splits and the decoded-array cache."""
