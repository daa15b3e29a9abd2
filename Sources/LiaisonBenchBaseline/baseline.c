int baseline_placeholder(void) { return 0; }
