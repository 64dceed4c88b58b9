/**
 * The Builder that sequences a build (base, imports, run, diff, layer, config, layout) and the pure
 * translation from a layer definition to its image config. Depends on spec, plan, diff, runtime, storage
 * and the oci module; never on an implementation of Storage or ContainerRunner.
 */
package dev.stackerj.core.builder;
