/**
 * The Builder, a short sequence over small steps: the base (BaseResolver, BaseUnpacker), the cache rules
 * (CacheReuse), imports (Imports, LayerImports), overlay_dirs (OverlayDirLayers, OverlayDirCopy), the run
 * (LayerContainer, RunScript, RunOverlay), the layer,
 * the config (ImageConfigs, Authorship, GenerateLabels) and the manifest (Annotations); what happens is told
 * to a BuildListener as typed BuildEvents. Depends on stackerfile, plan, cache, diff, runtime, storage, sys
 * and the oci module; never on an implementation of Storage or ContainerRunner.
 */
package dev.stackerj.core.builder;
