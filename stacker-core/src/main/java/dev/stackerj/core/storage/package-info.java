/** The Storage contract for layer roots; implementations (btrfs) live in their own modules. */
package dev.stackerj.core.storage;
