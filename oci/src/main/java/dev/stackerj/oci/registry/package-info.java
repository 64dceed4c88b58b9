/**
 * The OCI distribution API: image references, token and basic auth, credentials from auth.json and
 * docker config.json, a retrying client on {@code java.net.http}, the pull cache for base images and the
 * publisher. Depends on the JDK, Jackson and the other oci packages only.
 */
package dev.stackerj.oci.registry;
