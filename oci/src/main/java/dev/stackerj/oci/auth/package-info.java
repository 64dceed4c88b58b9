/** Credentials from containers' auth.json and docker's config.json, for registries and http imports. */
package dev.stackerj.oci.auth;
