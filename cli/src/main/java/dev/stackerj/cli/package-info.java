/**
 * The stacker command line: picocli commands, host setup, the user-namespace re-exec, error rendering and
 * exit codes (0 ok, 1 build failed, 2 usage or invalid stackerfile, 3 host not set up). The only module
 * that picks implementations (BtrfsStorage, RuncRunner).
 */
package dev.stackerj.cli;
