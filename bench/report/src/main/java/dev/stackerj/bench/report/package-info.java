/**
 * bench/run's report: reads the harness's tab-separated records (timed samples, metrics, failures, scenario
 * marks, the machine) and writes the results JSON, the markdown tables and the plot's data and script. The
 * shell measures; this computes and formats, with the number formatting of the jq and awk it replaces
 * (byte for byte). Depends on the JDK only.
 */
package dev.stackerj.bench.report;
