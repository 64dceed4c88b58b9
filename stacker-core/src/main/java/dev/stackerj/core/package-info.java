/** The build engine: spec, plan, diff, runtime, storage and build; depends on the oci module. */
package dev.stackerj.core;
