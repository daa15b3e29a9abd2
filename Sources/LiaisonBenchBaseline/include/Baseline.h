int baseline_placeholder(void);
