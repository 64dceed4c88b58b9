/**
 * Probes of the host a build runs on (tools, subordinate ids, user namespaces), each problem named with
 * its fix; what a storage backend needs, the backend probes itself
 * ({@link dev.stackerj.core.host.StoragePrerequisites}). {@code stacker check}, {@code build} and the
 * integration tests all decide with these. Depends on the runtime package (namespace entry), oci's fs
 * (process ids) and the JDK only.
 */
package dev.stackerj.core.host;
