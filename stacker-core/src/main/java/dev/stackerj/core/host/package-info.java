/**
 * Probes of the host a build runs on (kernel, tools, subordinate ids, user namespaces, btrfs storage),
 * each problem named with its fix. {@code stacker check}, {@code build} and the integration tests all
 * decide with these. Depends on the runtime package (namespace entry), oci's fs (process ids) and
 * the JDK only.
 */
package dev.stackerj.core.host;
