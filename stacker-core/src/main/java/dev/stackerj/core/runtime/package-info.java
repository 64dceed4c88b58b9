/**
 * Running a layer's script in a container (the ContainerRunner contract and its runc implementation)
 * and entering the user namespace when not root.
 */
package dev.stackerj.core.runtime;
