/** The build plan: layers of one or more stackerfiles ordered as a DAG of their {@code built} bases. Pure. */
package dev.stackerj.core.plan;
