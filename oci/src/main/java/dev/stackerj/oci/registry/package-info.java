/**
 * The OCI distribution API: image references, credentials from auth.json and docker config.json, a client
 * of one registry, the pull cache for base images and the publishers.
 *
 * <p>The client is in parts. {@link dev.stackerj.oci.registry.RegistryClient} is the face: one method per
 * operation, each its own class ({@code ManifestPuller}, {@code BlobChecker}, {@code BlobPuller},
 * {@code BlobPusher}, {@code ManifestPusher}) that says what to send and how to read the answer. They all
 * go through one {@code Transport}: the scheme ({@code SchemeProbe}, {@code TlsPolicy}), the authorization
 * ({@code Authenticator}: bearer tokens and basic auth, and the rule that credentials go only to the
 * registry's own origin), redirects and upload locations ({@link dev.stackerj.oci.registry.HttpCalls}'s
 * rules), idle timeouts, and retries ({@link dev.stackerj.oci.registry.RetryPolicy}); failures read as
 * {@code RegistryErrors} words them. {@link dev.stackerj.oci.registry.PullCache} and
 * {@link dev.stackerj.oci.registry.RegistryPublisher} are sequences of those operations.
 *
 * <p>HTTP is {@link dev.stackerj.oci.registry.Http1Client}, plain sockets (JSSE for https only): not
 * {@code java.net.http}, whose start-up cost most of a warm publish. Depends on the JDK, Jackson (through
 * {@code oci.Json}), {@code sys} and the other oci packages only.
 */
package dev.stackerj.oci.registry;
